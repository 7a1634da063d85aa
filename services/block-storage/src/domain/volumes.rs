//! Volumes: create (scheduled over RPC), list, show, update, delete.

use std::collections::BTreeMap;

use crate::rpc::messages::{CreateVolume, DeleteVolume, VolumeSpec};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::{volume, volume_type};
use crate::rpc;

/// Statuses a volume may be deleted from (without `force`).
const DELETABLE: &[&str] = &[
    "available",
    "error",
    "error_restoring",
    "error_extending",
    "error_managing",
];

/// The `volume` object of a create request (unknown keys are ignored, as
/// Cinder's schema allows); the API reads `size` itself.
#[derive(Debug, Default, Deserialize)]
pub struct CreateRequest {
    /// GiB; without it, the source's size.
    #[serde(skip)]
    pub size: Option<i64>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub volume_type: Option<String>,
    pub availability_zone: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub snapshot_id: Option<String>,
    pub source_volid: Option<String>,
    #[serde(rename = "imageRef")]
    pub image_ref: Option<String>,
    /// An alias of `imageRef`.
    pub image_id: Option<String>,
    pub consistencygroup_id: Option<String>,
    pub backup_id: Option<String>,
    pub group_id: Option<String>,
}

/// The `volume` object of an update request.
#[derive(Debug, Deserialize)]
pub struct UpdateRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub display_name: Option<String>,
    pub display_description: Option<String>,
}

/// What a new volume copies.
struct Source {
    kind: &'static str,
    size: i64,
    host: String,
    volume_type_id: String,
    bootable: bool,
    image_metadata: Option<String>,
}

impl Source {
    fn too_small(&self, size: i64) -> String {
        match self.kind {
            "snapshot" => format!("Invalid input received: Volume size '{size}'GB cannot be smaller than the snapshot size {}GB. They must be >= original snapshot size.", self.size),
            _ => format!("Invalid input received: Volume size '{size}'GB cannot be smaller than original volume size  {}GB. They must be >= original volume size.", self.size),
        }
    }
}

fn not_found(id: &str) -> CinderError {
    CinderError::NotFound(format!("Volume {id} could not be found."))
}

/// What the scheduler and the volume host need to make `row` of type `kind`
/// (a copy's on `source_host`, its source's backend), without an image source.
pub(crate) fn volume_spec(
    row: &volume::Model,
    kind: &volume_type::Model,
    source_host: String,
) -> VolumeSpec {
    VolumeSpec {
        id: row.id.clone(),
        size_gb: row.size,
        volume_type_id: kind.id.clone(),
        extra_specs: super::types::extra_specs(kind).into_iter().collect(),
        availability_zone: row.availability_zone.clone(),
        host: source_host,
        snapshot_id: row.snapshot_id.clone().unwrap_or_default(),
        source_volume_id: row.source_volid.clone().unwrap_or_default(),
        ..VolumeSpec::default()
    }
}

impl Cinder {
    /// Creates a volume (status `creating`) and asks the scheduler to place it.
    pub async fn create_volume(
        &self,
        caller: &Caller,
        request: CreateRequest,
    ) -> Result<volume::Model> {
        let image_ref = request.image_ref.clone().or(request.image_id.clone());
        self.authorize(caller, "volume:create", caller.project())?;
        if image_ref.is_some() {
            self.authorize(caller, "volume:create_from_image", caller.project())?;
        }
        let sources = [
            request.snapshot_id.is_some(),
            request.source_volid.is_some(),
            image_ref.is_some(),
            request.backup_id.is_some(),
        ];
        if sources.iter().filter(|given| **given).count() > 1 {
            return Err(CinderError::BadRequest(
                "Invalid input received: May specify only one of backup, imageRef, snapshot, source volume".into(),
            ));
        }
        let has_source = request.snapshot_id.is_some()
            || request.source_volid.is_some()
            || request.backup_id.is_some();
        let size = match request.size {
            Some(size) => size,
            None if has_source || image_ref.is_some() => 0,
            None => return Err(CinderError::BadRequest(
                "Invalid input received: Volume size 'None' must be an integer and greater than 0"
                    .into(),
            )),
        };
        if request.consistencygroup_id.is_some() {
            return Err(CinderError::BadRequest(
                "Creating a volume from consistencygroup_id is not supported yet by this cloud."
                    .into(),
            ));
        }
        let backup = match &request.backup_id {
            Some(id) => Some(self.backup_to_restore(caller, id).await?),
            None => None,
        };
        let size = match &backup {
            Some(backup) if size == 0 => backup.size,
            Some(backup) if size < backup.size => {
                return Err(CinderError::BadRequest(format!(
                    "Invalid input received: Volume size {size}GB cannot be smaller than the backup size {}GB. It must be >= backup size.",
                    backup.size
                )))
            }
            _ => size,
        };
        let image = match &image_ref {
            Some(reference) => Some(
                self.image_source(caller, reference, (size > 0).then_some(size))
                    .await?,
            ),
            None => None,
        };
        let source = self.source_of(caller, &request).await?;
        let size = match &source {
            Some(source) if size == 0 => source.size,
            _ => size,
        };
        if let Some(source) = &source {
            if size < source.size {
                return Err(CinderError::BadRequest(source.too_small(size)));
            }
        }
        let wanted_type = request
            .volume_type
            .clone()
            .or_else(|| source.as_ref().map(|s| s.volume_type_id.clone()))
            .or_else(|| image.as_ref().and_then(|i| i.volume_type.clone()));
        let kind = self.volume_type(caller, wanted_type.as_deref()).await?;
        if self.encryption_of(&kind.id).await?.is_some() {
            return Err(super::encryption::unsupported(&kind));
        }
        let group = match &request.group_id {
            Some(id) => Some(self.group_for_volume(caller, id, &kind).await?),
            None => None,
        };
        let image_api_url = match &image {
            Some(_) => self.images.url().await?,
            None => String::new(),
        };
        let zone = request
            .availability_zone
            .clone()
            .unwrap_or_else(|| self.cfg.default_zone.clone());
        let now = now();
        let row = volume::Model {
            id: uuid::Uuid::new_v4().to_string(),
            name: request.name,
            description: request.description,
            project_id: caller.project().to_string(),
            user_id: caller.ctx.user_id.clone(),
            status: "creating".into(),
            size,
            availability_zone: zone.clone(),
            host: None,
            pool: None,
            volume_type_id: kind.id.clone(),
            provider_location: None,
            bootable: source.as_ref().is_some_and(|s| s.bootable),
            multiattach: super::types::is_multiattach(&kind),
            metadata: serde_json::to_string(&request.metadata.unwrap_or_default())
                .unwrap_or_default(),
            snapshot_id: request.snapshot_id.clone(),
            source_volid: request.source_volid.clone(),
            migration_status: None,
            readonly: None,
            pending_size: None,
            group_id: group.as_ref().map(|g| g.id.clone()),
            image_metadata: match (&image, &source) {
                (Some(image), _) => serde_json::to_string(&image.metadata).ok(),
                (None, Some(source)) => source.image_metadata.clone(),
                (None, None) => None,
            },
            created_at: now,
            updated_at: now,
        };
        let claim = self
            .claim_quota(
                caller.project(),
                super::quotas::Claim::Volume {
                    size,
                    kind: &kind.name,
                },
            )
            .await?;
        volume::Entity::insert(volume::ActiveModel::from(row.clone()))
            .exec(&claim)
            .await?;
        if let Some(backup) = &backup {
            super::backup_restore::take_for_restore(&claim, &backup.id, &row.id).await?;
        }
        claim.commit().await?;
        let image_hash = image
            .as_ref()
            .and_then(|i| i.hash.clone())
            .unwrap_or_default();
        let spec_backup = backup.as_ref().map(|b| b.id.clone());
        let spec = VolumeSpec {
            image_id: image.as_ref().map(|i| i.id.clone()).unwrap_or_default(),
            image_api_url,
            image_disk_format: image
                .as_ref()
                .map(|i| i.disk_format.clone())
                .unwrap_or_default(),
            image_hash_algo: image_hash.0,
            image_hash_value: image_hash.1,
            disabled_hosts: self.disabled_backends().await?,
            backup_id: spec_backup.clone().unwrap_or_default(),
            backup_service_metadata: backup.and_then(|b| b.service_metadata).unwrap_or_default(),
            // A group's volumes are on its backend, as copies on their source's.
            ..volume_spec(
                &row,
                &kind,
                source
                    .map(|s| s.host)
                    .or_else(|| group.and_then(|g| g.host))
                    .unwrap_or_default(),
            )
        };
        let create = CreateVolume { volume: Some(spec) };
        if let Err(e) = self
            .scheduler
            .cast::<rpc::scheduler::CreateVolume>(&caller.rpc_context(), None, &create)
            .await
        {
            tracing::error!(volume = row.id, "scheduler unreachable: {e}");
            self.set_status(&row.id, "error").await?;
            if spec_backup.is_some() {
                super::backup_restore::free_backup_of(&self.db, &row.id).await?;
            }
            return Ok(volume::Model {
                status: "error".into(),
                ..row
            });
        }
        Ok(row)
    }

    /// The snapshot or volume a new volume copies, checked usable.
    async fn source_of(&self, caller: &Caller, request: &CreateRequest) -> Result<Option<Source>> {
        if let Some(id) = &request.snapshot_id {
            let snap = self.show_snapshot(caller, id).await?;
            if snap.status != "available" {
                return Err(CinderError::BadRequest(
                    "Invalid snapshot: Originating snapshot status must be one of 'available' values".into(),
                ));
            }
            let parent = volume::Entity::find_by_id(snap.volume_id.as_str())
                .one(&self.db)
                .await?
                .ok_or_else(|| not_found(&snap.volume_id))?;
            return Ok(Some(Source {
                kind: "snapshot",
                size: snap.size,
                host: parent.host.unwrap_or_default(),
                volume_type_id: parent.volume_type_id,
                bootable: parent.bootable,
                image_metadata: parent.image_metadata,
            }));
        }
        if let Some(id) = &request.source_volid {
            let parent = self.show_volume(caller, id).await?;
            if !matches!(parent.status.as_str(), "available" | "in-use") {
                return Err(CinderError::BadRequest(
                    "Invalid volume: Unable to clone volumes that are in an error state".into(),
                ));
            }
            return Ok(Some(Source {
                kind: "volume",
                size: parent.size,
                host: parent.host.unwrap_or_default(),
                volume_type_id: parent.volume_type_id,
                bootable: parent.bootable,
                image_metadata: parent.image_metadata,
            }));
        }
        Ok(None)
    }

    pub(crate) async fn set_status(&self, id: &str, status: &str) -> Result<()> {
        volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value(status))
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The volume `id` as `caller` may see it.
    pub async fn show_volume(&self, caller: &Caller, id: &str) -> Result<volume::Model> {
        let row = volume::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        if !caller.is_admin && row.project_id != caller.project() {
            return Err(not_found(id));
        }
        self.authorize(caller, "volume:get", &row)?;
        Ok(row)
    }

    /// Updates name, description or metadata.
    pub async fn update_volume(
        &self,
        caller: &Caller,
        id: &str,
        request: UpdateRequest,
    ) -> Result<volume::Model> {
        let mut row = self.show_volume(caller, id).await?;
        self.authorize(caller, "volume:update", &row)?;
        if let Some(name) = request.name.or(request.display_name) {
            row.name = Some(name);
        }
        if let Some(description) = request.description.or(request.display_description) {
            row.description = Some(description);
        }
        if let Some(metadata) = request.metadata {
            row.metadata = serde_json::to_string(&metadata).unwrap_or_default();
        }
        row.updated_at = now();
        // Every column marked as set: `From<Model>` alone marks none, and writes nothing.
        volume::Entity::update(volume::ActiveModel::from(row.clone()).reset_all())
            .exec(&self.db)
            .await?;
        Ok(row)
    }

    /// Starts deleting a volume (status `deleting`); its manager reports the end.
    /// With `cascade` its snapshots go first.
    pub async fn delete_volume(&self, caller: &Caller, id: &str, cascade: bool) -> Result<()> {
        let row = self.show_volume(caller, id).await?;
        self.authorize(caller, "volume:delete", &row)?;
        self.assert_not_frozen(row.host.as_deref()).await?;
        let snapshots = self.snapshots_of(id).await?;
        let blocked_by_snapshots = !snapshots.is_empty()
            && (!cascade
                || snapshots.iter().any(|s| {
                    !matches!(s.status.as_str(), "available" | "error" | "error_deleting")
                }));
        if !DELETABLE.contains(&row.status.as_str())
            || blocked_by_snapshots
            || row.group_id.is_some()
            || !super::migrate::not_migrating(row.migration_status.as_deref())
        {
            return Err(CinderError::BadRequest(
                "Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.".into(),
            ));
        }
        let claimed = volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value("deleting"))
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(id))
            .filter(volume::Column::Status.eq(row.status.as_str()))
            .filter(super::migrate::not_migrating_condition())
            .exec(&self.db)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} changed state during the request."
            )));
        }
        for snap in &snapshots {
            self.remove_snapshot(caller, snap).await?;
        }
        self.finish_delete(&caller.rpc_context(), &row).await
    }

    /// Asks the volume's manager to remove its data, or drops a volume that was
    /// never placed on a backend.
    pub(crate) async fn finish_delete(
        &self,
        context: &ferrostack_rpc::Context,
        row: &volume::Model,
    ) -> Result<()> {
        let id = row.id.as_str();
        let Some(host) = row.host.clone() else {
            super::transfers::delete_volume_and_offers(&self.db, id, &[]).await?;
            return Ok(());
        };
        let request = DeleteVolume {
            id: id.to_string(),
            host: host.clone(),
            provider_location: row.provider_location.clone().unwrap_or_default(),
        };
        if let Err(e) = self
            .volume
            .cast::<rpc::volume::DeleteVolume>(context, Some(&host), &request)
            .await
        {
            tracing::error!(volume = id, "volume host unreachable: {e}");
            self.set_status(id, "error_deleting").await?;
        }
        Ok(())
    }
}
