//! ferrostack block storage: Cinder v3 in Rust, as four roles — `api` (HTTP and
//! the database), `scheduler`, `volume` and `backup` — that talk over the
//! shared RPC transport, in one process by default or each alone.

pub mod api;
pub mod backup;
pub mod capabilities;
pub mod config;
pub mod db;
pub mod domain;
pub mod policies;
pub mod rpc;
pub mod scheduler;
pub mod volume;

use std::sync::Arc;

use ferrostack_api::{ApiService, Envelope};
use ferrostack_config::Config;
use ferrostack_rpc::{Runner, Transport};
use tokio_util::sync::CancellationToken;

use crate::config::BlockStorageConfig;
use crate::domain::{ApiRpc, Cinder};

/// A role this process plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    Api,
    Scheduler,
    Volume,
    Backup,
}

/// The roles running in this process.
pub struct Running {
    /// The api role, when it runs here.
    pub api: Option<Arc<Cinder>>,
    /// Their servers and periodic tasks.
    pub runner: Runner,
}

/// Starts `roles` on one transport; the api role also opens (and migrates) the
/// database and serves the other roles' updates.
pub async fn start(
    config: &Config,
    roles: &[Role],
    shutdown: CancellationToken,
) -> anyhow::Result<Running> {
    let cfg = BlockStorageConfig::from_config(config)?;
    let transport: Arc<dyn Transport> = cfg.messaging.transport().await?;
    let mut runner = Runner::new(shutdown);
    let api = if roles.contains(&Role::Api) {
        let db = ferrostack_db::connect(&cfg.database).await?;
        if cfg.database.auto_migrate {
            ferrostack_db::migrate::<db::Migrator>(&db).await?;
        }
        let cinder = Cinder::new(cfg.clone(), db, transport.clone())?;
        cinder.ensure_default_type().await?;
        let server = Arc::new(ApiRpc(cinder.clone()))
            .router()
            .serve(&transport, &cfg.service.host)
            .await?;
        runner.serve(server);
        let housekeeper = cinder.clone();
        runner.every("housekeeping", cfg.report_interval, move || {
            let cinder = housekeeper.clone();
            async move { cinder.housekeeping().await }
        });
        Some(cinder)
    } else {
        None
    };
    if roles.contains(&Role::Scheduler) {
        scheduler::start(&cfg, transport.clone(), &mut runner).await?;
    }
    if roles.contains(&Role::Volume) {
        volume::start(&cfg, transport.clone(), &mut runner).await?;
    }
    if roles.contains(&Role::Backup) {
        backup::start(&cfg, transport.clone(), &mut runner).await?;
    }
    if let Some(cinder) = api.clone().filter(|_| !transport.durable()) {
        // The bus lost what it held when this process last ended.
        tokio::spawn(async move {
            if let Err(e) = cinder.resend_lost_work().await {
                tracing::error!("lost work not sent again: {e}");
            }
        });
    }
    Ok(Running { api, runner })
}

/// The HTTP application of the api role.
pub fn api_service(cinder: Arc<Cinder>) -> anyhow::Result<ApiService> {
    let Some(auth) = cinder.auth.clone() else {
        anyhow::bail!("[keystone_authtoken] auth_url is required to serve the block-storage API")
    };
    let body_limit = cinder.cfg.service.body_limit;
    let (router, v3, openapi) = api::router_and_openapi(cinder);
    Ok(ApiService {
        name: "block-storage",
        body_limit,
        router,
        protected: Some((v3, ferrostack_auth::gate(auth))),
        envelope: Envelope::Fault,
        openapi: Some(openapi),
        path_rewrite: None,
    })
}

/// Runs `roles` until `shutdown`, serving HTTP when the api role is among them.
pub async fn serve(
    config: &Config,
    roles: &[Role],
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let running = start(config, roles, shutdown.clone()).await?;
    match running.api.clone() {
        Some(cinder) => {
            let options = cinder.cfg.service.clone();
            ferrostack_api::run(api_service(cinder)?, &options, shutdown).await?;
        }
        None => shutdown.cancelled().await,
    }
    running.runner.stop().await;
    Ok(())
}
