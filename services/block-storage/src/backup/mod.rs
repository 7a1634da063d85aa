//! The backup role (`cinder-backup`): serves `block-storage-backup`, keeping
//! backups of volumes in a posix repository (`backup_posix_path`, a local or
//! mounted directory). Like the volume role it holds no database credentials:
//! it reports to the api role, which alone writes the database.

mod manager;
pub mod repository;

use std::sync::Arc;

use ferrostack_rpc::{Client, Runner, Transport};

use crate::config::BlockStorageConfig;
use crate::rpc::api;
use crate::rpc::messages::Heartbeat;
use manager::BackupManager;

/// The binary name `os-services` shows for backup hosts.
pub const BINARY: &str = "cinder-backup";

/// Starts the backup host on `runner`, with a heartbeat every `report_interval`.
pub async fn start(
    cfg: &BlockStorageConfig,
    transport: Arc<dyn Transport>,
    runner: &mut Runner,
) -> anyhow::Result<()> {
    let timeout = cfg.messaging.rpc_response_timeout;
    let scratch = cfg
        .image_conversion_dir
        .join(&cfg.service.host)
        .join("backups");
    std::fs::create_dir_all(&scratch)?;
    // Raw images of tenants' volumes pass through it: this host's user only.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&scratch, std::fs::Permissions::from_mode(0o700))?;
    }
    std::fs::create_dir_all(&cfg.backup.root)?;
    let manager = Arc::new(BackupManager {
        host: cfg.service.host.clone(),
        repository: cfg.backup.clone(),
        api: Client::new(transport.clone(), timeout),
        volumes: Client::new(transport.clone(), timeout),
        scratch,
        keepalive_every: (cfg.stuck_timeout / 4).max(std::time::Duration::from_secs(1)),
    });
    runner.serve(
        manager
            .clone()
            .router()
            .serve(&transport, &cfg.service.host)
            .await?,
    );
    let api = Client::<api::Topic>::new(transport, timeout);
    let beat = Heartbeat {
        host: cfg.service.host.clone(),
        binary: BINARY.into(),
        availability_zone: cfg.storage_zone.clone(),
    };
    runner.every("backup heartbeat", cfg.report_interval, move || {
        let (api, beat) = (api.clone(), beat.clone());
        async move {
            let context = ferrostack_rpc::Context::internal();
            if let Err(e) = api.cast::<api::Heartbeat>(&context, None, &beat).await {
                tracing::warn!(host = beat.host, "heartbeat not sent: {e}");
            }
        }
    });
    Ok(())
}
