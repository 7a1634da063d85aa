//! `POST /volumes/{id}/action`: the actions a volume takes, and os-extend,
//! os-reset_status, os-force_delete, os-update_readonly_flag, os-set_bootable.

use crate::rpc::messages::ExtendVolume;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::image_actions::UploadRequest;
use super::legacy_attach::LegacyAttach;
use super::migrate::MigrateRequest;
use super::quotas::Claim;
use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::{volume, volume_type};
use crate::rpc;

/// What an action did, for the API to answer.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Under way; it finishes in the background (202), with what it answers now.
    Accepted(Option<Value>),
    /// Done (200), with what it answers, if anything.
    Done(Option<Value>),
}

/// One volume action, as the API parsed it from its body.
#[derive(Debug, PartialEq)]
pub enum VolumeAction {
    /// os-extend to `new_size` GiB; attached (in-use) volumes too when
    /// `attached_ok` (3.42).
    Extend { new_size: i64, attached_ok: bool },
    /// os-reset_status (admin): the status and the migration status, each
    /// when given (`Some(None)` clears the migration status).
    ResetStatus {
        status: Option<String>,
        migration_status: Option<Option<String>>,
    },
    /// os-force_delete (admin).
    ForceDelete,
    /// os-update_readonly_flag.
    UpdateReadonly { readonly: bool },
    /// os-set_bootable.
    SetBootable { bootable: bool },
    /// revert (3.40) to the volume's latest snapshot, which `snapshot_id` names.
    Revert { snapshot_id: String },
    /// os-retype to `new_type`, moving the data when `on_demand` and needed.
    Retype { new_type: String, on_demand: bool },
    /// os-migrate_volume (admin).
    Migrate(MigrateRequest),
    /// One of the attach actions from before the attachments API.
    Legacy(LegacyAttach),
    /// os-volume_upload_image.
    UploadImage(UploadRequest),
    /// os-show_image_metadata.
    ShowImageMetadata,
    /// os-set_image_metadata: keys to add or replace.
    SetImageMetadata(BTreeMap<String, String>),
    /// os-unset_image_metadata of one key.
    UnsetImageMetadata { key: String },
    /// os-reimage (3.68): the image's data in place of the volume's; a
    /// reserved volume only when `reserved` says so.
    Reimage { image_id: String, reserved: bool },
}

impl Cinder {
    /// Runs one volume action.
    pub async fn volume_action(
        &self,
        caller: &Caller,
        id: &str,
        action: VolumeAction,
    ) -> Result<Outcome> {
        let accepted = |()| Outcome::Accepted(None);
        match action {
            VolumeAction::Extend {
                new_size,
                attached_ok,
            } => self
                .extend(caller, id, new_size, attached_ok)
                .await
                .map(accepted),
            VolumeAction::Reimage { image_id, reserved } => self
                .reimage(caller, id, &image_id, reserved)
                .await
                .map(accepted),
            VolumeAction::ResetStatus {
                status,
                migration_status,
            } => self
                .reset_status(caller, id, status, migration_status)
                .await
                .map(accepted),
            VolumeAction::ForceDelete => {
                self.authorize(
                    caller,
                    "volume_extension:volume_admin_actions:force_delete",
                    caller.project(),
                )?;
                self.force_delete(caller, id).await.map(accepted)
            }
            VolumeAction::UpdateReadonly { readonly } => self
                .update_readonly(caller, id, readonly)
                .await
                .map(accepted),
            VolumeAction::SetBootable { bootable } => {
                let row = self.show_volume(caller, id).await?;
                self.authorize(caller, "volume:update", &row)?;
                self.write(id, volume::Column::Bootable, bootable).await?;
                Ok(Outcome::Done(None))
            }
            VolumeAction::Revert { snapshot_id } => {
                self.revert(caller, id, &snapshot_id).await.map(accepted)
            }
            VolumeAction::Retype {
                new_type,
                on_demand,
            } => self
                .retype(caller, id, &new_type, on_demand)
                .await
                .map(accepted),
            VolumeAction::Migrate(request) => {
                self.migrate_volume(caller, id, request).await.map(accepted)
            }
            VolumeAction::Legacy(action) => self.legacy_attach(caller, id, action).await,
            VolumeAction::UploadImage(request) => {
                let body = self.upload_image(caller, id, request).await?;
                Ok(Outcome::Accepted(Some(
                    json!({"os-volume_upload_image": body}),
                )))
            }
            VolumeAction::ShowImageMetadata => {
                let metadata = self.image_metadata(caller, id).await?;
                Ok(Outcome::Done(Some(json!({"metadata": metadata}))))
            }
            VolumeAction::SetImageMetadata(given) => {
                let metadata = self.set_image_metadata(caller, id, given).await?;
                Ok(Outcome::Done(Some(json!({"metadata": metadata}))))
            }
            VolumeAction::UnsetImageMetadata { key } => {
                self.unset_image_metadata(caller, id, &key).await?;
                Ok(Outcome::Done(None))
            }
        }
    }

    async fn update_readonly(&self, caller: &Caller, id: &str, readonly: bool) -> Result<()> {
        let row = self.show_volume(caller, id).await?;
        self.authorize(caller, "volume:update_readonly_flag", &row)?;
        if row.status != "available" {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} status must be available to update readonly flag, but current status is: {}.",
                row.status
            )));
        }
        let flag = if readonly { "True" } else { "False" };
        self.write(id, volume::Column::Readonly, flag).await
    }

    pub(super) async fn write(
        &self,
        id: &str,
        column: volume::Column,
        value: impl Into<sea_orm::Value>,
    ) -> Result<()> {
        volume::Entity::update_many()
            .col_expr(column, Expr::value(value.into()))
            .col_expr(
                volume::Column::UpdatedAt,
                Expr::value(chrono::Utc::now().naive_utc()),
            )
            .filter(volume::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// os-extend; attached (in-use) volumes too from 3.42.
    async fn extend(
        &self,
        caller: &Caller,
        id: &str,
        new_size: i64,
        attached_ok: bool,
    ) -> Result<()> {
        let row = self.show_volume(caller, id).await?;
        let rule = if row.status == "in-use" {
            "volume:extend_attached_volume"
        } else {
            "volume:extend"
        };
        self.authorize(caller, rule, &row)?;
        let expected = if attached_ok && row.status == "in-use" {
            "in-use"
        } else {
            "available"
        };
        super::migrate::refuse_while_migrating(&row, "be extended")?;
        if row.status != expected {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} status must be '{{'status': '{expected}'}}' to extend, currently {}.",
                row.status
            )));
        }
        if new_size <= row.size {
            return Err(CinderError::BadRequest(format!(
                "Invalid input received: New size for extend must be greater than current size. (current: {}, extended: {new_size}).",
                row.size
            )));
        }
        let kind = volume_type::Entity::find_by_id(row.volume_type_id.as_str())
            .one(&self.db)
            .await?
            .map(|t| t.name)
            .unwrap_or_default();
        let quota = self
            .claim_quota(
                &row.project_id,
                Claim::Extend {
                    size: new_size,
                    grow: new_size - row.size,
                    kind: &kind,
                },
            )
            .await?;
        // The new size counts in usage while the extend works; `updated_at` marks
        // when it started.
        let claimed = volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value("extending"))
            .col_expr(volume::Column::PendingSize, Expr::value(new_size))
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(id))
            .filter(volume::Column::Status.eq(expected))
            .filter(volume::Column::Size.eq(row.size))
            .exec(&quota)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} changed state during the request."
            )));
        }
        quota.commit().await?;
        let host = row.host.clone().unwrap_or_default();
        let request = ExtendVolume {
            id: id.to_string(),
            host: host.clone(),
            new_size_gb: new_size,
            size_gb: row.size,
            provider_location: row.provider_location.unwrap_or_default(),
            done_status: expected.to_string(),
        };
        if let Err(e) = self
            .volume
            .cast::<rpc::volume::ExtendVolume>(&caller.rpc_context(), Some(&host), &request)
            .await
        {
            tracing::error!(volume = id, "volume host unreachable: {e}");
            self.write(id, volume::Column::Status, "error_extending")
                .await?;
        }
        Ok(())
    }

    async fn reset_status(
        &self,
        caller: &Caller,
        id: &str,
        status: Option<String>,
        migration_status: Option<Option<String>>,
    ) -> Result<()> {
        self.authorize(
            caller,
            "volume_extension:volume_admin_actions:reset_status",
            caller.project(),
        )?;
        self.show_volume(caller, id).await?;
        if let Some(status) = status {
            self.write(id, volume::Column::Status, status).await?;
        }
        if let Some(migration) = migration_status {
            volume::Entity::update_many()
                .col_expr(volume::Column::MigrationStatus, Expr::value(migration))
                .filter(volume::Column::Id.eq(id))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Deletes whatever the status (admin).
    async fn force_delete(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self.show_volume(caller, id).await?;
        self.write(id, volume::Column::Status, "deleting").await?;
        self.finish_delete(&caller.rpc_context(), &row).await
    }
}
