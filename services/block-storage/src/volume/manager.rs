//! One manager per backend: RPC handler, periodic reports.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

mod reimage;

use crate::rpc::messages::{
    BackupExport, BackupTarget, Capabilities, ConnectionInfo, ConnectionRequest,
    CreateMigrationTarget, CreateVolume, DeleteVolume, ExtendVolume, Heartbeat, MigrateVolume,
    MigrationTargetReady, RestoreBackup, SnapshotRequest, SnapshotUpdate, UploadImage, UserMessage,
    VolumeSpec, VolumeUpdate,
};
use ferrostack_rpc::{Client, Context, RemoteError, Router, Runner, Transport};

use super::connection_copy;
use super::driver::Driver;
use super::driver::DriverError;
use super::image_transfer::{Expected, ImageTransfer};
use super::keepalive::{Keepalive, Working};
use crate::config::BlockStorageConfig;
use crate::rpc::{api, backup, remote, scheduler, volume};

/// The statuses of a volume being created.
const CREATING: [&str; 2] = ["creating", "downloading"];
/// The statuses of a volume whose data moves (its migration_status says so).
const MIGRATING: [&str; 4] = ["retyping", "maintenance", "available", "in-use"];

/// The binary name `os-services` shows for volume managers.
pub const BINARY: &str = "cinder-volume";

tokio::task_local! {
    /// The context of the request being handled: reports carry its request id
    /// back, so user messages and logs name the request that failed.
    static REQUEST: ferrostack_rpc::Context;
}

/// The context reports go out with: the request's, without its token.
fn report_context() -> ferrostack_rpc::Context {
    REQUEST
        .try_with(|c| ferrostack_rpc::Context {
            auth_token: String::new(),
            ..c.clone()
        })
        .unwrap_or_else(|_| ferrostack_rpc::Context::internal())
}

/// Cinder's user message for a failure: `(action_id, detail_id)`.
fn user_message(action_id: &str, detail_id: &str) -> Option<UserMessage> {
    Some(UserMessage {
        action_id: action_id.into(),
        detail_id: detail_id.into(),
    })
}

/// Another backend of this volume role: its driver and its pool.
#[derive(Clone)]
struct Sibling {
    driver: Arc<dyn Driver>,
    pool: String,
}

struct BackendManager {
    host: String,
    backend_name: String,
    zone: String,
    driver: Arc<dyn Driver>,
    api: Client<api::Topic>,
    /// Other volume hosts, for migrations between hosts.
    volumes: Client<volume::Topic>,
    /// The backup hosts, for volumes made from backups.
    backups: Client<backup::Topic>,
    images: Arc<ImageTransfer>,
    /// Every backend of this volume role by `host@backend`, for migrations.
    siblings: Arc<OnceLock<HashMap<String, Sibling>>>,
    /// How often a working operation says it is alive.
    keepalive_every: std::time::Duration,
    /// `max_over_subscription_ratio` and `reserved_percentage`.
    over_subscription: f64,
    reserved_percentage: i32,
}

impl BackendManager {
    /// Keepalives for `working` until the guard is dropped.
    fn keepalive(&self, working: Working) -> Keepalive {
        Keepalive::start(self.api.clone(), working, self.keepalive_every)
    }

    /// Reports a volume's new state; false when the api role did not take it.
    /// A volume placed here is in this backend's pool.
    async fn report(&self, mut update: VolumeUpdate) -> bool {
        if update.host == self.host && update.pool.is_empty() {
            update.pool = self.backend_name.clone();
        }
        let result = self
            .api
            .call::<api::VolumeUpdate>(&report_context(), None, &update)
            .await;
        if let Err(e) = &result {
            tracing::error!(volume = update.id, "cannot report the volume's state: {e}");
        }
        result.is_ok()
    }

    /// Downloads the spec's image to scratch space and writes it into the volume.
    async fn create_from_image(
        &self,
        spec: &VolumeSpec,
        token: &str,
        size: u64,
    ) -> Result<String, DriverError> {
        self.report(VolumeUpdate {
            id: spec.id.clone(),
            status: "downloading".into(),
            from_status: vec!["creating".into()],
            host: self.host.clone(),
            ..VolumeUpdate::default()
        })
        .await;
        self.write_image(spec, token, size, None).await
    }

    /// Downloads the spec's image to scratch space, checked against what the
    /// image API says of it, and makes the volume of it — after removing the
    /// volume's old data at `replacing`, for a reimage, once the image is here.
    pub(super) async fn write_image(
        &self,
        spec: &VolumeSpec,
        token: &str,
        size: u64,
        replacing: Option<&str>,
    ) -> Result<String, DriverError> {
        let scratch = self.images.scratch(&spec.image_id);
        let expected = Expected {
            disk_format: &spec.image_disk_format,
            hash: (!spec.image_hash_value.is_empty()).then_some((
                spec.image_hash_algo.as_str(),
                spec.image_hash_value.as_str(),
            )),
        };
        let made = match self
            .images
            .download(
                &spec.image_api_url,
                token,
                &spec.image_id,
                &scratch,
                &expected,
            )
            .await
        {
            Ok(found) => match replacing {
                Some(location) => match self.driver.delete(&spec.id, location).await {
                    Ok(()) => {
                        self.driver
                            .take_image_as_volume(&spec.id, size, &scratch, found.qemu_name())
                            .await
                    }
                    Err(e) => Err(e),
                },
                None => {
                    self.driver
                        .take_image_as_volume(&spec.id, size, &scratch, found.qemu_name())
                        .await
                }
            },
            Err(e) => Err(e),
        };
        let _ = tokio::fs::remove_file(&scratch).await;
        made
    }

    /// Places the volume here; false when another host has it (a create
    /// delivered twice) or the api role cannot say.
    async fn claim(&self, volume_id: &str) -> bool {
        let claim = VolumeUpdate {
            id: volume_id.to_string(),
            from_status: CREATING.map(String::from).to_vec(),
            host: self.host.clone(),
            pool: self.backend_name.clone(),
            claim: true,
            ..VolumeUpdate::default()
        };
        let placed = self
            .api
            .call::<api::VolumeUpdate>(&report_context(), None, &claim)
            .await;
        if let Err(e) = &placed {
            tracing::warn!(volume = volume_id, "not made here: {e}");
        }
        placed.is_ok()
    }

    async fn create(&self, request: CreateVolume, token: &str) {
        let Some(spec) = request.volume else { return };
        if !self.claim(&spec.id).await {
            return;
        }
        let _alive = self.keepalive(Working::Volume(&spec.id, &CREATING));
        let size = u64::try_from(spec.size_gb).unwrap_or(0);
        let made = if !spec.image_id.is_empty() {
            self.create_from_image(&spec, token, size).await
        } else if !spec.snapshot_id.is_empty() {
            self.driver
                .create_from_snapshot(&spec.id, &spec.snapshot_id, size)
                .await
        } else if !spec.source_volume_id.is_empty() {
            self.driver
                .clone_volume(&spec.id, &spec.source_volume_id, size)
                .await
        } else {
            self.driver.create(&spec.id, size).await
        };
        if let (Ok(location), false) = (&made, spec.backup_id.is_empty()) {
            self.restore_into(&spec, location).await;
            return;
        }
        let update = match made {
            Ok(location) => VolumeUpdate {
                id: spec.id.clone(),
                status: "available".into(),
                from_status: CREATING.map(String::from).to_vec(),
                host: self.host.clone(),
                provider_location: location,
                bootable: !spec.image_id.is_empty(),
                ..VolumeUpdate::default()
            },
            Err(e) => {
                tracing::warn!(volume = spec.id, "create failed: {e}");
                let message = if spec.image_id.is_empty() {
                    user_message("008", "012")
                } else {
                    user_message("005", "001")
                };
                VolumeUpdate {
                    id: spec.id.clone(),
                    status: "error".into(),
                    from_status: CREATING.map(String::from).to_vec(),
                    host: self.host.clone(),
                    error: e.to_string(),
                    message,
                    ..VolumeUpdate::default()
                }
            }
        };
        self.report(update).await;
    }

    /// Has a backup host restore the spec's backup into the volume just made
    /// (3.47); the volume stays creating, placed here, until the restore ends.
    async fn restore_into(&self, spec: &VolumeSpec, location: &str) {
        self.report(VolumeUpdate {
            id: spec.id.clone(),
            from_status: CREATING.map(String::from).to_vec(),
            host: self.host.clone(),
            provider_location: location.to_string(),
            ..VolumeUpdate::default()
        })
        .await;
        let restore = RestoreBackup {
            target: Some(BackupTarget {
                backup_id: spec.backup_id.clone(),
                volume_id: spec.id.clone(),
                host: self.host.clone(),
                snapshot_id: String::new(),
                size_gb: spec.size_gb,
                service_metadata: spec.backup_service_metadata.clone(),
                temporary_clone: false,
            }),
        };
        let sent = self
            .backups
            .cast::<backup::RestoreBackup>(&report_context(), None, &restore)
            .await;
        if let Err(e) = sent {
            tracing::warn!(volume = spec.id, "no backup host takes the restore: {e}");
            self.report(VolumeUpdate {
                id: spec.id.clone(),
                status: "error".into(),
                from_status: CREATING.map(String::from).to_vec(),
                error: format!("no backup host takes the restore: {e}"),
                message: user_message("015", "026"),
                ..VolumeUpdate::default()
            })
            .await;
        }
    }

    /// Uploads a copy of the volume into the image the api role created, then
    /// hands the volume back; a failed upload's image is deleted.
    async fn upload_image(&self, request: UploadImage, token: &str) {
        let _alive = self.keepalive(Working::Volume(&request.volume_id, &["uploading"]));
        // A raw volume uploads as a raw image as it is; others are converted first.
        let direct = request.disk_format == "raw" && self.driver.data_format() == "raw";
        let source = if direct {
            self.driver.path(&request.volume_id)
        } else {
            self.images.scratch(&request.image_id)
        };
        let mut outcome = if direct {
            Ok(())
        } else {
            self.driver
                .copy_volume_to_image(&request.volume_id, &source, &request.disk_format)
                .await
        };
        if outcome.is_ok() {
            outcome = self
                .images
                .upload(&request.image_api_url, token, &request.image_id, &source)
                .await;
        }
        if !direct {
            let _ = tokio::fs::remove_file(&source).await;
        }
        let (error, message) = match outcome {
            Ok(()) => (String::new(), None),
            Err(e) => {
                self.images
                    .discard(&request.image_api_url, token, &request.image_id)
                    .await;
                (e.to_string(), user_message("003", "004"))
            }
        };
        self.report(VolumeUpdate {
            id: request.volume_id.clone(),
            status: request.done_status.clone(),
            from_status: vec!["uploading".into()],
            error,
            message,
            ..VolumeUpdate::default()
        })
        .await;
    }

    /// Moves a volume's data to another backend (a retype that needs one), then
    /// drops it here.
    async fn migrate(&self, request: MigrateVolume) {
        let _alive = self.keepalive(Working::Volume(&request.id, &MIGRATING));
        let finished = |error: String, status: &str| VolumeUpdate {
            id: request.id.clone(),
            status: request.done_status.clone(),
            migration_status: status.into(),
            error,
            ..VolumeUpdate::default()
        };
        self.report(VolumeUpdate {
            id: request.id.clone(),
            migration_status: "migrating".into(),
            ..VolumeUpdate::default()
        })
        .await;
        let sibling = self
            .siblings
            .get()
            .and_then(|siblings| siblings.get(&request.dest_host))
            .cloned();
        let moved = match sibling {
            Some(destination) => self.move_to_sibling(&request, destination).await,
            None => self.move_to_host(&request).await,
        };
        match moved {
            Ok((location, pool)) => {
                let moved_over = VolumeUpdate {
                    host: request.dest_host.clone(),
                    pool,
                    provider_location: location,
                    volume_type_id: request.volume_type_id.clone(),
                    ..finished(String::new(), "success")
                };
                // The old data goes only once the volume points at the new.
                if !self.report(moved_over).await {
                    return;
                }
                if let Err(e) = self.driver.delete(&request.id, "").await {
                    tracing::warn!(
                        volume = request.id,
                        "the migrated volume's old data stays: {e}"
                    );
                }
            }
            Err(e) => {
                tracing::warn!(volume = request.id, "migration failed: {e}");
                self.report(finished(e.to_string(), "error")).await;
            }
        }
    }

    /// Copies the volume into a backend of this volume role.
    async fn move_to_sibling(
        &self,
        request: &MigrateVolume,
        sibling: Sibling,
    ) -> Result<(String, String), DriverError> {
        let destination = sibling.driver;
        let size = u64::try_from(request.size_gb).unwrap_or(0);
        // Never over data already there (the same directory, or a move that ran
        // before): it is not ours to replace, nor to remove on failure.
        if destination.path(&request.id).exists() {
            return Err(DriverError::Failed(format!(
                "volume {} already has data on {}",
                request.id, request.dest_host
            )));
        }
        let copied = destination
            .copy_image_to_volume(
                &request.id,
                size,
                &self.driver.path(&request.id),
                self.driver.data_format(),
            )
            .await;
        if copied.is_err() {
            let _ = destination.delete(&request.id, "").await;
        }
        copied.map(|location| (location, sibling.pool))
    }

    /// Copies the volume into a backend of another volume host: that host
    /// creates an empty volume and exports it to this one, which writes the
    /// data through the export, as Cinder's generic migration does.
    async fn move_to_host(&self, request: &MigrateVolume) -> Result<(String, String), DriverError> {
        let context = ferrostack_rpc::Context::internal();
        let dest = request.dest_host.as_str();
        let connector_json = connection_copy::connector(&self.host).to_string();
        let ask = CreateMigrationTarget {
            id: request.id.clone(),
            host: dest.into(),
            size_gb: request.size_gb,
            connector_json: connector_json.clone(),
        };
        let ready = self
            .volumes
            .call::<volume::CreateMigrationTarget>(&context, Some(dest), &ask)
            .await
            .map_err(|e| {
                DriverError::Failed(format!("backend {dest} cannot take the volume: {e}"))
            })?;
        let source = self.driver.path(&request.id);
        let copied = match serde_json::from_str::<serde_json::Value>(&ready.connection_info_json) {
            Ok(info) => {
                connection_copy::copy_into(
                    &source,
                    self.driver.data_format(),
                    &info,
                    &self.images.scratch("chap"),
                )
                .await
            }
            Err(e) => Err(DriverError::Failed(format!(
                "backend {dest} sent a bad export: {e}"
            ))),
        };
        let release = ConnectionRequest {
            volume_id: request.id.clone(),
            host: dest.into(),
            connector_json,
        };
        if copied.is_ok() {
            let ended = self
                .volumes
                .call::<volume::TerminateConnection>(&context, Some(dest), &release)
                .await;
            if let Err(e) = ended {
                tracing::warn!(volume = request.id, "the export on {dest} stays: {e}");
            }
        } else {
            let dropped = self
                .volumes
                .call::<volume::DeleteMigrationTarget>(&context, Some(dest), &release)
                .await;
            if let Err(e) = dropped {
                tracing::warn!(volume = request.id, "the copy on {dest} stays: {e}");
            }
        }
        copied.map(|()| (ready.provider_location, ready.pool))
    }

    /// Creates and exports an empty volume for a migration from another host.
    async fn create_migration_target(
        &self,
        ask: CreateMigrationTarget,
    ) -> Result<MigrationTargetReady, DriverError> {
        let size = u64::try_from(ask.size_gb).unwrap_or(0);
        let connector: serde_json::Value =
            serde_json::from_str(&ask.connector_json).unwrap_or_default();
        // Never over data already here: on shared storage that is the source.
        if self.driver.path(&ask.id).exists() {
            return Err(DriverError::Failed(format!(
                "volume {} already has data on {}; it cannot be the target of its own migration",
                ask.id, self.host
            )));
        }
        let provider_location = self.driver.create(&ask.id, size).await?;
        match self.driver.initialize_connection(&ask.id, &connector).await {
            Ok(info) => Ok(MigrationTargetReady {
                connection_info_json: info.to_string(),
                provider_location,
                pool: self.backend_name.clone(),
            }),
            Err(e) => {
                let _ = self.driver.delete(&ask.id, &provider_location).await;
                Err(e)
            }
        }
    }

    async fn extend(&self, request: ExtendVolume) {
        let size = u64::try_from(request.new_size_gb).unwrap_or(0);
        let done_status = if request.done_status.is_empty() {
            "available".to_string()
        } else {
            request.done_status.clone()
        };
        if let Some(short) = self.lacks_room_to_extend(&request, size).await {
            // As Cinder's scheduler refuses an extend no backend has room for: the
            // volume goes back as it was, with a user message.
            self.report(VolumeUpdate {
                id: request.id.clone(),
                status: done_status,
                from_status: vec!["extending".into()],
                error: short,
                message: user_message("007", "003"),
                ..VolumeUpdate::default()
            })
            .await;
            return;
        }
        let update = match self.driver.extend(&request.id, size).await {
            Ok(()) => VolumeUpdate {
                id: request.id.clone(),
                status: done_status,
                from_status: vec!["extending".into()],
                size_gb: request.new_size_gb,
                ..VolumeUpdate::default()
            },
            Err(e) => VolumeUpdate {
                id: request.id.clone(),
                status: "error_extending".into(),
                from_status: vec!["extending".into()],
                error: e.to_string(),
                message: user_message("007", "010"),
                ..VolumeUpdate::default()
            },
        };
        self.report(update).await;
    }

    /// Why the backend cannot grow the volume to `new_size_gb`, if it cannot:
    /// the growth must fit in what the backend has free.
    async fn lacks_room_to_extend(
        &self,
        request: &ExtendVolume,
        new_size_gb: u64,
    ) -> Option<String> {
        let current = u64::try_from(request.size_gb).unwrap_or(0);
        let grow = new_size_gb.saturating_sub(current) as f64;
        match self.driver.capacity().await {
            Ok(capacity) if capacity.free_gb >= grow => None,
            Ok(capacity) => Some(format!(
                "no room to extend volume {} by {grow} GiB: the backend has {:.1} GiB free",
                request.id, capacity.free_gb
            )),
            Err(e) => Some(format!("the backend's capacity is unknown: {e}")),
        }
    }

    async fn snapshot(&self, request: SnapshotRequest, create: bool) {
        let working = if create { "creating" } else { "deleting" };
        let _alive = self.keepalive(Working::Snapshot(&request.id, &[working]));
        let outcome = if create {
            self.driver
                .create_snapshot(&request.volume_id, &request.id)
                .await
        } else {
            self.driver.delete_snapshot(&request.id).await
        };
        let (status, error) = match (outcome, create) {
            (Ok(()), true) => ("available", String::new()),
            (Ok(()), false) => ("deleted", String::new()),
            (Err(e), true) => ("error", e.to_string()),
            (Err(e), false) => ("error_deleting", e.to_string()),
        };
        let message = match (error.is_empty(), create) {
            (true, _) => None,
            (false, true) => user_message("009", "013"),
            (false, false) => user_message("010", "016"),
        };
        let update = SnapshotUpdate {
            id: request.id.clone(),
            status: status.into(),
            error,
            message,
            from_status: vec![working.into()],
        };
        let result = self
            .api
            .call::<api::SnapshotUpdate>(&report_context(), None, &update)
            .await;
        if let Err(e) = result {
            tracing::error!(
                snapshot = request.id,
                "cannot report the snapshot's state: {e}"
            );
        }
    }

    async fn revert(&self, request: SnapshotRequest) {
        let (volume_status, snapshot_status, error) = match self
            .driver
            .revert_to_snapshot(&request.volume_id, &request.id)
            .await
        {
            Ok(()) => ("available", "available", String::new()),
            Err(e) => ("error", "available", e.to_string()),
        };
        let context = report_context();
        let snapshot = SnapshotUpdate {
            id: request.id.clone(),
            status: snapshot_status.into(),
            ..SnapshotUpdate::default()
        };
        let done = self
            .api
            .call::<api::SnapshotUpdate>(&context, None, &snapshot)
            .await;
        if let Err(e) = done {
            tracing::error!(
                snapshot = request.id,
                "cannot report the snapshot's state: {e}"
            );
        }
        self.report(VolumeUpdate {
            id: request.volume_id.clone(),
            status: volume_status.into(),
            error,
            ..VolumeUpdate::default()
        })
        .await;
    }

    async fn delete(&self, request: DeleteVolume) {
        let update = match self
            .driver
            .delete(&request.id, &request.provider_location)
            .await
        {
            Ok(()) => VolumeUpdate {
                id: request.id.clone(),
                status: "deleted".into(),
                from_status: vec!["deleting".into()],
                host: self.host.clone(),
                ..VolumeUpdate::default()
            },
            Err(e) => VolumeUpdate {
                id: request.id.clone(),
                status: "error_deleting".into(),
                from_status: vec!["deleting".into()],
                host: self.host.clone(),
                error: e.to_string(),
                ..VolumeUpdate::default()
            },
        };
        self.report(update).await;
    }

    async fn capabilities(&self) -> Option<Capabilities> {
        let capacity = match self.driver.capacity().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(host = self.host, "capacity unknown: {e}");
                return None;
            }
        };
        Some(Capabilities {
            host: self.host.clone(),
            volume_backend_name: self.backend_name.clone(),
            storage_protocol: self.driver.storage_protocol().into(),
            total_capacity_gb: capacity.total_gb,
            free_capacity_gb: capacity.free_gb,
            availability_zone: self.zone.clone(),
            driver: self.driver.name().into(),
            reported_at: chrono::Utc::now().timestamp(),
            vendor_name: "Open Source".into(),
            driver_version: env!("CARGO_PKG_VERSION").into(),
            // Files are sparse and any number of hosts may open them.
            multiattach: true,
            thin_provisioning_support: true,
            thick_provisioning_support: false,
            reserved_percentage: self.reserved_percentage,
            provisioned_capacity_gb: capacity.provisioned_gb,
            max_over_subscription_ratio: self.over_subscription,
        })
    }
}

fn failed(e: DriverError) -> RemoteError {
    remote("VolumeBackendAPIException", e.to_string())
}

impl BackendManager {
    /// Cinder's connection_info for `ask`, exported (or no longer, when not
    /// `initialize`).
    async fn connection(
        &self,
        ask: ConnectionRequest,
        initialize: bool,
    ) -> Result<ConnectionInfo, RemoteError> {
        let connector: serde_json::Value =
            serde_json::from_str(&ask.connector_json).unwrap_or_default();
        let info = if initialize {
            self.driver
                .initialize_connection(&ask.volume_id, &connector)
                .await
                .map_err(failed)?
        } else {
            self.driver
                .terminate_connection(&ask.volume_id, &connector)
                .await
                .map_err(failed)?;
            serde_json::Value::Null
        };
        Ok(ConnectionInfo {
            connection_info_json: info.to_string(),
        })
    }

    /// Exports what a backup reads: the volume, or a temporary volume (named
    /// after the backup) copied from the snapshot being backed up or, for an
    /// in-use volume, from the volume (the instance keeps its own export).
    async fn export_for_backup(&self, ask: BackupExport) -> Result<ConnectionInfo, DriverError> {
        let target = ask.target.unwrap_or_default();
        let connector: serde_json::Value =
            serde_json::from_str(&ask.connector_json).unwrap_or_default();
        let size = u64::try_from(target.size_gb).unwrap_or(0);
        let temporary = !target.snapshot_id.is_empty() || target.temporary_clone;
        let exported = if !target.snapshot_id.is_empty() {
            self.driver
                .create_from_snapshot(&target.backup_id, &target.snapshot_id, size)
                .await?;
            &target.backup_id
        } else if target.temporary_clone {
            self.driver
                .clone_volume(&target.backup_id, &target.volume_id, size)
                .await?;
            &target.backup_id
        } else {
            &target.volume_id
        };
        match self
            .driver
            .initialize_connection(exported, &connector)
            .await
        {
            Ok(info) => Ok(ConnectionInfo {
                connection_info_json: info.to_string(),
            }),
            Err(e) => {
                if temporary {
                    let _ = self.driver.delete(exported, "").await;
                }
                Err(e)
            }
        }
    }

    /// Ends a backup's export, dropping its temporary volume.
    async fn release_backup_export(&self, ask: BackupExport) -> Result<(), DriverError> {
        let target = ask.target.unwrap_or_default();
        let connector: serde_json::Value =
            serde_json::from_str(&ask.connector_json).unwrap_or_default();
        if target.snapshot_id.is_empty() && !target.temporary_clone {
            return self
                .driver
                .terminate_connection(&target.volume_id, &connector)
                .await;
        }
        let ended = self
            .driver
            .terminate_connection(&target.backup_id, &connector)
            .await;
        self.driver.delete(&target.backup_id, "").await?;
        ended
    }

    /// The volume topic's handlers, each run with its request's context in
    /// [`REQUEST`] (reports carry its request id back).
    fn router(self: Arc<Self>) -> Router<volume::Topic, Self> {
        use volume::*;
        fn scoped<F: std::future::Future>(
            context: Context,
            work: F,
        ) -> tokio::task::futures::TaskLocalFuture<Context, F> {
            REQUEST.scope(context, work)
        }
        /// A cast's work: nothing to answer.
        async fn done(
            context: Context,
            work: impl std::future::Future<Output = ()>,
        ) -> Result<(), RemoteError> {
            REQUEST.scope(context, work).await;
            Ok(())
        }
        Router::new(self)
            .route::<CreateVolume, _, _>(|m, c, create| {
                let token = c.auth_token.clone();
                done(c, async move { m.create(create, &token).await })
            })
            .route::<UploadImage, _, _>(|m, c, upload| {
                let token = c.auth_token.clone();
                done(c, async move { m.upload_image(upload, &token).await })
            })
            .route::<DeleteVolume, _, _>(|m, c, delete| {
                done(c, async move { m.delete(delete).await })
            })
            .route::<ExtendVolume, _, _>(|m, c, extend| {
                done(c, async move { m.extend(extend).await })
            })
            .route::<ReimageVolume, _, _>(|m, c, reimage| {
                let token = c.auth_token.clone();
                done(c, async move { m.reimage(reimage, &token).await })
            })
            .route::<MigrateVolume, _, _>(|m, c, migrate| {
                done(c, async move { m.migrate(migrate).await })
            })
            .route::<CreateSnapshot, _, _>(|m, c, snapshot| {
                done(c, async move { m.snapshot(snapshot, true).await })
            })
            .route::<DeleteSnapshot, _, _>(|m, c, snapshot| {
                done(c, async move { m.snapshot(snapshot, false).await })
            })
            .route::<RevertToSnapshot, _, _>(|m, c, snapshot| {
                done(c, async move { m.revert(snapshot).await })
            })
            .route::<InitializeConnection, _, _>(|m, c, ask| {
                scoped(c, async move { m.connection(ask, true).await })
            })
            .route::<TerminateConnection, _, _>(|m, c, ask| {
                scoped(c, async move { m.connection(ask, false).await })
            })
            .route::<CreateMigrationTarget, _, _>(|m, c, ask| {
                scoped(c, async move {
                    m.create_migration_target(ask).await.map_err(failed)
                })
            })
            .route::<DeleteMigrationTarget, _, _>(|m, c, ask| {
                scoped(c, async move {
                    m.driver.delete(&ask.volume_id, "").await.map_err(failed)
                })
            })
            .route::<ExportForBackup, _, _>(|m, c, ask| {
                scoped(
                    c,
                    async move { m.export_for_backup(ask).await.map_err(failed) },
                )
            })
            .route::<ReleaseBackupExport, _, _>(|m, c, ask| {
                scoped(c, async move {
                    m.release_backup_export(ask).await.map_err(failed)
                })
            })
            .route::<GetCapabilities, _, _>(|m, _, ()| async move {
                m.capabilities().await.ok_or_else(|| {
                    remote(
                        "VolumeBackendAPIException",
                        "the backend's capacity is unknown",
                    )
                })
            })
    }
}

/// Starts a manager per configured backend on `runner`, each serving its
/// `host@backend` and reporting its capabilities and heartbeat every
/// `report_interval`.
pub async fn start(
    cfg: &BlockStorageConfig,
    transport: Arc<dyn Transport>,
    runner: &mut Runner,
) -> anyhow::Result<()> {
    let timeout = cfg.messaging.rpc_response_timeout;
    let api = Client::<api::Topic>::new(transport.clone(), timeout);
    let scheduler = Client::<scheduler::Topic>::new(transport.clone(), timeout);
    let volumes = Client::<volume::Topic>::new(transport.clone(), timeout);
    let backups = Client::<backup::Topic>::new(transport.clone(), timeout);
    let images = Arc::new(ImageTransfer::open(
        cfg.image_conversion_dir.join(&cfg.service.host),
        cfg.glance_timeouts,
    )?);
    let siblings = Arc::new(OnceLock::new());
    let mut managers = Vec::new();
    for backend in &cfg.backends {
        let manager = Arc::new(BackendManager {
            host: format!("{}@{}", cfg.service.host, backend.name),
            backend_name: backend.backend_name.clone(),
            zone: cfg.storage_zone.clone(),
            driver: backend.driver.open(backend.dir.clone()).await?,
            api: api.clone(),
            volumes: volumes.clone(),
            backups: backups.clone(),
            images: images.clone(),
            siblings: siblings.clone(),
            keepalive_every: (cfg.stuck_timeout / 4).max(std::time::Duration::from_secs(1)),
            over_subscription: backend.max_over_subscription_ratio,
            reserved_percentage: backend.reserved_percentage,
        });
        runner.serve(
            manager
                .clone()
                .router()
                .serve(&transport, &manager.host)
                .await?,
        );
        managers.push(manager);
    }
    let _ = siblings.set(
        managers
            .iter()
            .map(|m| {
                let sibling = Sibling {
                    driver: m.driver.clone(),
                    pool: m.backend_name.clone(),
                };
                (m.host.clone(), sibling)
            })
            .collect(),
    );
    for manager in managers {
        let scheduler = scheduler.clone();
        runner.every("volume reports", cfg.report_interval, move || {
            let (manager, scheduler) = (manager.clone(), scheduler.clone());
            async move { manager.report_in(&scheduler).await }
        });
    }
    Ok(())
}

impl BackendManager {
    /// Sends the schedulers this backend's capabilities and the api role a
    /// heartbeat.
    async fn report_in(&self, scheduler: &Client<scheduler::Topic>) {
        let context = ferrostack_rpc::Context::internal();
        if let Some(capabilities) = self.capabilities().await {
            if let Err(e) = scheduler
                .fanout::<scheduler::UpdateCapabilities>(&context, &capabilities)
                .await
            {
                tracing::warn!(host = self.host, "capabilities not sent: {e}");
            }
        }
        let beat = Heartbeat {
            host: self.host.clone(),
            binary: BINARY.into(),
            availability_zone: self.zone.clone(),
        };
        if let Err(e) = self.api.cast::<api::Heartbeat>(&context, None, &beat).await {
            tracing::warn!(host = self.host, "heartbeat not sent: {e}");
        }
    }
}
