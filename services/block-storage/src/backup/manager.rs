//! The backup host's work: it reads a volume (or a snapshot's temporary copy)
//! through the export its volume host makes to this host's connector, as
//! Cinder's backup service attaches it, keeps the data in the repository, and
//! writes a backup back through the export of the volume to restore into. Every
//! outcome goes to the api role as a `BackupUpdate`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferrostack_rpc::{Client, Context, RemoteError, Router, RpcError};

use super::repository::{Repository, Source};
use crate::domain::backup_updates::DELETED;
use crate::rpc::messages::{
    BackupData, BackupExport, BackupTarget, BackupUpdate, ConnectionRequest, CreateBackup,
    RestoreBackup, UserMessage,
};
use crate::rpc::{api, backup, volume};
use crate::volume::connection_copy;
use crate::volume::keepalive::{Keepalive, Working};

/// What a backup host holds.
pub struct BackupManager {
    /// This host's name (`os-services` shows it with `cinder-backup`).
    pub host: String,
    pub repository: Repository,
    pub api: Client<api::Topic>,
    pub volumes: Client<volume::Topic>,
    /// Scratch space for the raw images a backup reads and a restore writes.
    pub scratch: PathBuf,
    pub keepalive_every: Duration,
}

fn message(action_id: &str, detail_id: &str) -> Option<UserMessage> {
    Some(UserMessage {
        action_id: action_id.into(),
        detail_id: detail_id.into(),
    })
}

/// Runs blocking repository work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(e) => Err(format!("the backup task failed: {e}")),
    }
}

impl BackupManager {
    fn connector(&self) -> String {
        connection_copy::connector(&self.host).to_string()
    }

    fn scratch_file(&self, name: &str) -> PathBuf {
        self.scratch
            .join(format!("{name}-{}", uuid::Uuid::new_v4().simple()))
    }

    /// Reports a backup's state; false when the backup was deleted meanwhile.
    async fn report(&self, update: BackupUpdate) -> bool {
        let context = Context::internal();
        match self
            .api
            .call::<api::BackupUpdate>(&context, None, &update)
            .await
        {
            Err(RpcError::Remote(e)) if e.kind == DELETED => false,
            Err(e) => {
                tracing::error!(backup = update.id, "cannot report the backup's state: {e}");
                true
            }
            Ok(()) => true,
        }
    }

    /// Reads the target through its volume host's export into a new raw image.
    async fn read_volume(
        &self,
        target: &BackupTarget,
        image: &std::path::Path,
    ) -> Result<(), String> {
        let context = Context::internal();
        let ask = BackupExport {
            target: Some(target.clone()),
            connector_json: self.connector(),
        };
        let info = self
            .volumes
            .call::<volume::ExportForBackup>(&context, Some(&target.host), &ask)
            .await
            .map_err(|e| format!("volume host {} cannot export the volume: {e}", target.host))?;
        let copied = match serde_json::from_str(&info.connection_info_json) {
            Ok(info) => connection_copy::copy_from(&info, image, &self.scratch_file("chap"))
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!(
                "volume host {} sent a bad export: {e}",
                target.host
            )),
        };
        let released = self
            .volumes
            .call::<volume::ReleaseBackupExport>(&context, Some(&target.host), &ask)
            .await;
        if let Err(e) = released {
            tracing::warn!(backup = target.backup_id, "the backup's export stays: {e}");
        }
        copied
    }

    /// Writes a raw image over the whole volume through its host's export.
    async fn write_volume(
        &self,
        target: &BackupTarget,
        image: &std::path::Path,
    ) -> Result<(), String> {
        let context = Context::internal();
        let ask = ConnectionRequest {
            volume_id: target.volume_id.clone(),
            host: target.host.clone(),
            connector_json: self.connector(),
        };
        let info = self
            .volumes
            .call::<volume::InitializeConnection>(&context, Some(&target.host), &ask)
            .await
            .map_err(|e| format!("volume host {} cannot export the volume: {e}", target.host))?;
        let copied = match serde_json::from_str(&info.connection_info_json) {
            Ok(info) => connection_copy::copy_into(image, "raw", &info, &self.scratch_file("chap"))
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!(
                "volume host {} sent a bad export: {e}",
                target.host
            )),
        };
        let ended = self
            .volumes
            .call::<volume::TerminateConnection>(&context, Some(&target.host), &ask)
            .await;
        if let Err(e) = ended {
            tracing::warn!(volume = target.volume_id, "the restore's export stays: {e}");
        }
        copied
    }

    async fn create(&self, request: CreateBackup) {
        let target = request.target.unwrap_or_default();
        let _alive = Keepalive::start(
            self.api.clone(),
            Working::Backup(&target.backup_id, &["creating"]),
            self.keepalive_every,
        );
        let image = self.scratch_file("backup");
        let read = self.read_volume(&target, &image).await;
        // Cinder's detail: the volume host could not give the data, or the
        // repository could not keep it.
        let detail = if read.is_ok() { "020" } else { "019" };
        let written = match read {
            Ok(()) => {
                let repository = self.repository.clone();
                let path = target.service_metadata.clone();
                let parent = Some(request.parent_service_metadata).filter(|p| !p.is_empty());
                let (backup_id, volume_id) = (target.backup_id.clone(), target.volume_id.clone());
                let volume_meta =
                    serde_json::from_str(&request.volume_meta_json).unwrap_or_default();
                let data = image.clone();
                blocking(move || {
                    let source = Source {
                        backup_id: &backup_id,
                        volume_id: &volume_id,
                        data: &data,
                        parent: parent.as_deref(),
                        volume_meta,
                    };
                    repository.write(&path, &source)
                })
                .await
            }
            Err(e) => Err(e),
        };
        let _ = tokio::fs::remove_file(&image).await;
        let (status, object_count, error, message) = match written {
            Ok(count) => ("available", count as i64, String::new(), None),
            Err(e) => {
                tracing::warn!(backup = target.backup_id, "backup failed: {e}");
                // A partial backup's data goes; its record stays, in error.
                let repository = self.repository.clone();
                let path = target.service_metadata.clone();
                let _ = blocking(move || repository.delete(&path)).await;
                ("error", 0, e, message("013", detail))
            }
        };
        let mut update = BackupUpdate {
            id: target.backup_id.clone(),
            status: status.into(),
            from_status: vec!["creating".into()],
            error,
            object_count,
            message,
            ..BackupUpdate::default()
        };
        if target.snapshot_id.is_empty() {
            update.volume_id = target.volume_id.clone();
            update.volume_status = request.done_status;
        } else {
            update.snapshot_id = target.snapshot_id.clone();
            update.snapshot_status = request.done_status;
        }
        if !self.report(update).await {
            tracing::info!(
                backup = target.backup_id,
                "deleted while it was made: its data goes"
            );
            let repository = self.repository.clone();
            let path = target.service_metadata.clone();
            if let Err(e) = blocking(move || repository.delete(&path)).await {
                tracing::warn!(backup = target.backup_id, "its data stays: {e}");
            }
        }
    }

    async fn restore(&self, request: RestoreBackup) {
        let target = request.target.unwrap_or_default();
        let _alive = Keepalive::start(
            self.api.clone(),
            Working::Backup(&target.backup_id, &["restoring"]),
            self.keepalive_every,
        );
        let image = self.scratch_file("restore");
        let repository = self.repository.clone();
        let (path, data) = (target.service_metadata.clone(), image.clone());
        let restored = blocking(move || repository.restore(&path, &data)).await;
        let restored = match restored {
            Ok(meta) => self.write_volume(&target, &image).await.map(|()| meta),
            Err(e) => Err(e),
        };
        let _ = tokio::fs::remove_file(&image).await;
        let update = BackupUpdate {
            id: target.backup_id.clone(),
            status: "available".into(),
            from_status: vec!["restoring".into()],
            volume_id: target.volume_id.clone(),
            ..BackupUpdate::default()
        };
        let update = match restored {
            Ok(meta) => BackupUpdate {
                volume_status: "available".into(),
                volume_meta_json: meta.to_string(),
                ..update
            },
            Err(e) => {
                tracing::warn!(backup = target.backup_id, "restore failed: {e}");
                BackupUpdate {
                    volume_status: "error_restoring".into(),
                    error: e,
                    message: message("015", "026"),
                    ..update
                }
            }
        };
        self.report(update).await;
    }

    async fn delete(&self, request: BackupData) {
        let repository = self.repository.clone();
        let path = request.service_metadata.clone();
        let deleted = blocking(move || repository.delete(&path)).await;
        let (status, error, message) = match deleted {
            Ok(()) => ("deleted", String::new(), None),
            Err(e) => ("error_deleting", e, message("014", "025")),
        };
        self.report(BackupUpdate {
            id: request.backup_id,
            status: status.into(),
            from_status: vec!["deleting".into()],
            error,
            message,
            ..BackupUpdate::default()
        })
        .await;
    }

    /// An imported record is available once its data is found complete.
    async fn import_record(&self, request: BackupData) {
        let repository = self.repository.clone();
        let path = request.service_metadata.clone();
        let found = blocking(move || repository.verify(&path)).await;
        let (status, error) = match found {
            Ok(_) => ("available", String::new()),
            Err(e) => (
                "error",
                format!("the imported backup's data is not usable: {e}"),
            ),
        };
        self.report(BackupUpdate {
            id: request.backup_id,
            status: status.into(),
            from_status: vec!["creating".into()],
            error,
            ..BackupUpdate::default()
        })
        .await;
    }

    /// The backup topic's handlers: casts, each done in the background.
    pub fn router(self: Arc<Self>) -> Router<backup::Topic, Self> {
        use backup::*;
        Router::new(self)
            .route::<CreateBackup, _, _>(|m, _, request| async move {
                m.create(request).await;
                Ok::<(), RemoteError>(())
            })
            .route::<RestoreBackup, _, _>(|m, _, request| async move {
                m.restore(request).await;
                Ok::<(), RemoteError>(())
            })
            .route::<DeleteBackup, _, _>(|m, _, request| async move {
                m.delete(request).await;
                Ok::<(), RemoteError>(())
            })
            .route::<ImportRecord, _, _>(|m, _, request| async move {
                m.import_record(request).await;
                Ok::<(), RemoteError>(())
            })
    }
}
