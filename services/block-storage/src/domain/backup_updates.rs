//! What backup hosts report: a backup's new state and that of the volume or
//! snapshot it read or wrote; after a restore, the backed-up volume's metadata
//! is given to the volume written.

use std::collections::BTreeMap;

use ferrostack_rpc::RemoteError;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::Value;

use super::{now, ApiRpc};
use crate::db::entity::{backup, snapshot, volume};
use crate::rpc::messages::BackupUpdate;
use crate::rpc::remote;

/// The error kind a backup host's report of a backup deleted meanwhile gets.
pub const DELETED: &str = "BackupDeleted";

fn db_error(e: sea_orm::DbErr) -> RemoteError {
    remote("InternalError", e.to_string())
}

/// The volume columns a restore sets from what the backup kept (`meta`):
/// Cinder replaces the metadata (adding `src_backup_id` when the volume is
/// not the one backed up), the name and description of a volume it made, and
/// the image metadata (then bootable) when the backup had any.
fn restored_volume(
    target: &volume::Model,
    backup: &backup::Model,
    meta: &Value,
) -> volume::ActiveModel {
    use sea_orm::ActiveValue::Set;
    let mut change = volume::ActiveModel {
        id: Set(target.id.clone()),
        ..Default::default()
    };
    let mut metadata: BTreeMap<String, String> = match &meta["metadata"] {
        Value::Object(map) if !map.is_empty() => map
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect(),
        _ => serde_json::from_str(&target.metadata).unwrap_or_default(),
    };
    if backup.volume_id != target.id {
        metadata.insert("src_backup_id".into(), backup.id.clone());
    }
    change.metadata = Set(serde_json::to_string(&metadata).unwrap_or_default());
    let made_for_restore = target
        .name
        .as_deref()
        .is_none_or(|n| n.is_empty() || n.starts_with("restore_backup_"));
    if let Some(name) = meta["name"].as_str().filter(|n| !n.is_empty()) {
        if made_for_restore {
            change.name = Set(Some(name.to_string()));
            change.description = Set(meta["description"].as_str().map(str::to_string));
        }
    }
    if let Value::Object(image) = &meta["image_metadata"] {
        if !image.is_empty() {
            change.image_metadata = Set(Some(Value::Object(image.clone()).to_string()));
            change.bootable = Set(true);
        }
    }
    if meta["bootable"].as_bool() == Some(true) {
        change.bootable = Set(true);
    }
    change
}

impl ApiRpc {
    pub(super) async fn backup_update(
        &self,
        update: BackupUpdate,
        request_id: &str,
    ) -> Result<(), RemoteError> {
        let db = &self.0.db;
        let current = backup::Entity::find_by_id(update.id.as_str())
            .one(db)
            .await
            .map_err(db_error)?;
        let deleted = current
            .as_ref()
            .is_none_or(|b| matches!(b.status.as_str(), "deleting" | "error_deleting"));
        let working = |status: &str| update.from_status.iter().any(|s| s == status);
        if deleted && working("creating") {
            // Force-deleted while it was made: the backup host drops what it
            // wrote; its final report gives the volume or snapshot back.
            if !update.status.is_empty() {
                self.release_after_backup(db, &update).await?;
            }
            return Err(remote(
                DELETED,
                format!("backup {} was deleted while it was made", update.id),
            ));
        }
        if deleted && working("restoring") && !update.status.is_empty() {
            // Force-deleted while restoring: what the volume holds is unknown.
            for (busy, failed) in [
                ("restoring-backup", "error_restoring"),
                ("creating", "error"),
            ] {
                volume::Entity::update_many()
                    .col_expr(volume::Column::Status, Expr::value(failed))
                    .filter(volume::Column::Id.eq(update.volume_id.as_str()))
                    .filter(volume::Column::Status.eq(busy))
                    .exec(db)
                    .await
                    .map_err(db_error)?;
            }
            return Ok(());
        }
        let Some(current) = current else {
            return Ok(());
        };
        if !update.from_status.contains(&current.status) {
            tracing::info!(
                backup = update.id,
                status = update.status,
                "stale report ignored: the backup is no longer in {:?}",
                update.from_status
            );
            return Ok(());
        }
        let guarded = || {
            backup::Entity::update_many()
                .col_expr(backup::Column::UpdatedAt, Expr::value(now()))
                .filter(backup::Column::Id.eq(update.id.as_str()))
                .filter(backup::Column::Status.is_in(update.from_status.clone()))
        };
        if update.status.is_empty() {
            // A keepalive of a backup or restore under way, and of a volume
            // being made from the backup.
            guarded().exec(db).await.map_err(db_error)?;
            if let Some(target) = &current.restore_volume_id {
                volume::Entity::update_many()
                    .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
                    .filter(volume::Column::Id.eq(target.as_str()))
                    .filter(volume::Column::Status.eq("creating"))
                    .exec(db)
                    .await
                    .map_err(db_error)?;
            }
            return Ok(());
        }
        if let Some(what) = &update.message {
            self.0
                .record_message(
                    &current.project_id,
                    request_id,
                    "VOLUME_BACKUP",
                    &update.id,
                    what,
                )
                .await;
        }
        if !update.error.is_empty() {
            tracing::warn!(
                backup = update.id,
                status = update.status,
                "{}",
                update.error
            );
        }
        if update.status == "deleted" {
            backup::Entity::delete_many()
                .filter(backup::Column::Id.eq(update.id.as_str()))
                .filter(backup::Column::Status.is_in(update.from_status.clone()))
                .exec(db)
                .await
                .map_err(db_error)?;
            return Ok(());
        }
        let txn = db.begin().await.map_err(db_error)?;
        let mut change = guarded()
            .col_expr(backup::Column::Status, Expr::value(update.status.as_str()))
            .col_expr(backup::Column::RestoreVolumeId, Expr::value(None::<String>))
            .col_expr(
                backup::Column::FailReason,
                Expr::value(Some(update.error.as_str()).filter(|e| !e.is_empty())),
            );
        if update.object_count > 0 {
            change = change.col_expr(
                backup::Column::ObjectCount,
                Expr::value(update.object_count),
            );
        }
        change.exec(&txn).await.map_err(db_error)?;
        if current.status == "creating" {
            self.release_after_backup(&txn, &update).await?;
        } else if !update.volume_id.is_empty() && !update.volume_status.is_empty() {
            // A volume restored into is restoring-backup, or creating when it
            // is made from the backup (3.47), which fails as a create.
            let busy: &[&str] = if current.status == "restoring" {
                &["restoring-backup", "creating"]
            } else {
                &["backing-up"]
            };
            let target = volume::Entity::find_by_id(update.volume_id.as_str())
                .one(&txn)
                .await
                .map_err(db_error)?
                .filter(|v| busy.contains(&v.status.as_str()));
            if let Some(target) = target {
                let status = match (target.status.as_str(), update.volume_status.as_str()) {
                    ("creating", "error_restoring") => "error",
                    (_, status) => status,
                };
                let meta: Value =
                    serde_json::from_str(&update.volume_meta_json).unwrap_or_default();
                if current.status == "restoring" && update.volume_status == "available" {
                    volume::Entity::update(restored_volume(&target, &current, &meta))
                        .exec(&txn)
                        .await
                        .map_err(db_error)?;
                }
                volume::Entity::update_many()
                    .col_expr(volume::Column::Status, Expr::value(status))
                    .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
                    .filter(volume::Column::Id.eq(target.id.as_str()))
                    .filter(volume::Column::Status.eq(target.status.as_str()))
                    .exec(&txn)
                    .await
                    .map_err(db_error)?;
            }
        }
        txn.commit().await.map_err(db_error)
    }

    /// Gives back what a backup read: the snapshot available, the volume in-use
    /// when it has attachments (now: it may have been detached meanwhile), else
    /// available.
    async fn release_after_backup(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        update: &BackupUpdate,
    ) -> Result<(), RemoteError> {
        if !update.snapshot_id.is_empty() {
            snapshot::Entity::update_many()
                .col_expr(snapshot::Column::Status, Expr::value("available"))
                .filter(snapshot::Column::Id.eq(update.snapshot_id.as_str()))
                .filter(snapshot::Column::Status.eq("backing-up"))
                .exec(db)
                .await
                .map_err(db_error)?;
        }
        if !update.volume_id.is_empty() {
            self.0
                .volume_back_to_use(db, &update.volume_id)
                .await
                .map_err(|e| remote("InternalError", e.to_string()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ActiveValue;

    fn volume_named(id: &str, name: Option<&str>) -> volume::Model {
        volume::Model {
            id: id.into(),
            name: name.map(str::to_string),
            description: None,
            project_id: "p".into(),
            user_id: "u".into(),
            status: "restoring-backup".into(),
            size: 1,
            availability_zone: "nova".into(),
            host: None,
            pool: None,
            volume_type_id: "t".into(),
            provider_location: None,
            bootable: false,
            multiattach: false,
            metadata: r#"{"old":"1"}"#.into(),
            snapshot_id: None,
            source_volid: None,
            image_metadata: None,
            migration_status: None,
            readonly: None,
            pending_size: None,
            group_id: None,
            created_at: now(),
            updated_at: now(),
        }
    }

    fn backup_of(volume_id: &str) -> backup::Model {
        backup::Model {
            id: "b1".into(),
            project_id: "p".into(),
            user_id: "u".into(),
            volume_id: volume_id.into(),
            snapshot_id: None,
            name: None,
            description: None,
            status: "restoring".into(),
            fail_reason: None,
            size: 1,
            object_count: 1,
            container: None,
            service_metadata: None,
            service: None,
            parent_id: None,
            availability_zone: None,
            host: None,
            restore_volume_id: None,
            metadata: "{}".into(),
            data_timestamp: now(),
            created_at: now(),
            updated_at: now(),
        }
    }

    #[test]
    fn restores_bring_back_metadata_names_and_images() {
        let meta = serde_json::json!({
            "name": "source", "description": "d", "metadata": {"k": "v"},
            "bootable": true, "image_metadata": {"image_id": "i"},
        });
        let made = volume_named("new", Some("restore_backup_b1"));
        let change = restored_volume(&made, &backup_of("src"), &meta);
        assert_eq!(
            change.metadata,
            ActiveValue::Set(r#"{"k":"v","src_backup_id":"b1"}"#.to_string())
        );
        assert_eq!(change.name, ActiveValue::Set(Some("source".into())));
        assert_eq!(change.bootable, ActiveValue::Set(true));
        // A named volume keeps its name; without backed-up metadata it keeps its own.
        let named = volume_named("src", Some("mine"));
        let change = restored_volume(&named, &backup_of("src"), &serde_json::json!({"name": "x"}));
        assert_eq!(change.name, ActiveValue::NotSet);
        assert_eq!(
            change.metadata,
            ActiveValue::Set(r#"{"old":"1"}"#.to_string())
        );
        assert_eq!(change.bootable, ActiveValue::NotSet);
    }
}
