//! Restoring a backup into a volume (a new one, or an available one at least
//! its size), and export/import of backup records (`backup_url`: the record as
//! base64 JSON), which bring a backup back into a database that lost it.

use std::time::Duration;

use base64::Engine;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::{json, Value};

use super::backups::no_backup_service;
use super::quotas::Claim;
use super::volumes::CreateRequest;
use super::{now, Caller, Cinder, CinderError, Result};
use crate::backup::repository::valid_name;
use crate::config::POSIX_BACKUP_DRIVER;
use crate::db::entity::{backup, volume};
use crate::rpc;
use crate::rpc::messages::{BackupData, BackupTarget, RestoreBackup};

/// What a restore answers.
pub struct Restored {
    pub backup_id: String,
    pub volume_id: String,
    pub volume_name: Option<String>,
}

/// Cinder's restore answers a quota refusal without the exception's name.
fn without_class(err: CinderError) -> CinderError {
    match err {
        CinderError::OverLimit(m) => CinderError::OverLimit(
            m.split_once(": ")
                .map_or(m.clone(), |(_, rest)| rest.to_string()),
        ),
        other => other,
    }
}

fn bad_record(reason: &str) -> CinderError {
    CinderError::BadRequest(format!("Invalid input received: {reason}"))
}

fn time_text(t: &chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn parse_time(v: &Value) -> Option<chrono::NaiveDateTime> {
    let text = v.as_str()?;
    chrono::NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f").ok()
}

/// Marks backup `id` as restoring into `volume_id`; 400 when it is no longer
/// available.
pub(crate) async fn take_for_restore(
    db: &impl sea_orm::ConnectionTrait,
    id: &str,
    volume_id: &str,
) -> Result<()> {
    let taken = backup::Entity::update_many()
        .col_expr(backup::Column::Status, Expr::value("restoring"))
        .col_expr(backup::Column::RestoreVolumeId, Expr::value(volume_id))
        .col_expr(backup::Column::UpdatedAt, Expr::value(now()))
        .filter(backup::Column::Id.eq(id))
        .filter(backup::Column::Status.eq("available"))
        .exec(db)
        .await?;
    if taken.rows_affected != 1 {
        return Err(CinderError::BadRequest(
            "Invalid backup: Backup status must be available".into(),
        ));
    }
    Ok(())
}

/// Frees the backup a volume that failed to be made was to be restored from.
pub(crate) async fn free_backup_of(
    db: &impl sea_orm::ConnectionTrait,
    volume_id: &str,
) -> Result<(), sea_orm::DbErr> {
    backup::Entity::update_many()
        .col_expr(backup::Column::Status, Expr::value("available"))
        .col_expr(backup::Column::RestoreVolumeId, Expr::value(None::<String>))
        .filter(backup::Column::RestoreVolumeId.eq(volume_id))
        .filter(backup::Column::Status.eq("restoring"))
        .exec(db)
        .await?;
    Ok(())
}

impl Cinder {
    /// The backup a new volume is made from (3.47): the caller's, available.
    pub(crate) async fn backup_to_restore(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<backup::Model> {
        let row = self.show_backup(caller, id).await?;
        if row.status != "available" {
            return Err(CinderError::BadRequest(
                "Invalid backup: Originating backup status must be one of 'available' values"
                    .into(),
            ));
        }
        if self.backup_hosts().await?.is_empty() {
            return Err(no_backup_service());
        }
        Ok(row)
    }

    /// Waits while a volume made for a restore is `creating`.
    async fn created(&self, volume_id: &str, backup_id: &str) -> Result<volume::Model> {
        let deadline = tokio::time::Instant::now() + self.cfg.stuck_timeout;
        loop {
            let row = volume::Entity::find_by_id(volume_id)
                .one(&self.db)
                .await?
                .ok_or_else(|| {
                    CinderError::NotFound(format!("Volume {volume_id} could not be found."))
                })?;
            if row.status == "error" {
                return Err(CinderError::BadRequest(format!(
                    "Invalid volume: Error while creating volume {volume_id} for restoring backup {backup_id}."
                )));
            }
            if row.status != "creating" || tokio::time::Instant::now() >= deadline {
                return Ok(row);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Restores backup `id` into volume `volume_id`, or into a new volume
    /// (named `name`, else `restore_backup_<id>`) of the backup's size.
    pub async fn restore_backup(
        &self,
        caller: &Caller,
        id: &str,
        volume_id: Option<String>,
        name: Option<String>,
    ) -> Result<Restored> {
        let row = self.show_backup(caller, id).await?;
        self.authorize(caller, "backup:restore", &row)?;
        if row.status != "available" {
            return Err(CinderError::BadRequest(
                "Invalid backup: Backup status must be available".into(),
            ));
        }
        let backup_host = self
            .pick_backup_host()
            .await?
            .ok_or_else(no_backup_service)?;
        let target = match volume_id {
            Some(volume_id) => {
                let target = self.show_volume(caller, &volume_id).await?;
                super::migrate::refuse_while_migrating(&target, "be restored into")?;
                target
            }
            None => {
                let request = CreateRequest {
                    size: Some(row.size),
                    name: Some(name.unwrap_or_else(|| format!("restore_backup_{id}"))),
                    description: Some("auto-created_from_restore_from_backup".into()),
                    ..CreateRequest::default()
                };
                let made = self
                    .create_volume(caller, request)
                    .await
                    .map_err(without_class)?;
                self.created(&made.id, id).await?
            }
        };
        if target.status != "available" {
            return Err(CinderError::BadRequest(
                "Invalid volume: Volume to be restored to must be available".into(),
            ));
        }
        if row.size > target.size {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: volume size {} is too small to restore backup of size {}.",
                target.size, row.size
            )));
        }
        let host = target.host.clone().ok_or_else(|| {
            CinderError::BadRequest(format!(
                "Invalid volume: Volume {} has no backend.",
                target.id
            ))
        })?;
        let txn = self.db.begin().await?;
        take_for_restore(&txn, id, &target.id).await?;
        let claimed = volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value("restoring-backup"))
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(target.id.as_str()))
            .filter(volume::Column::Status.eq("available"))
            .filter(super::migrate::not_migrating_condition())
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(CinderError::BadRequest(
                "Invalid volume: Volume to be restored to must be available".into(),
            ));
        }
        txn.commit().await?;
        let message = RestoreBackup {
            target: Some(BackupTarget {
                backup_id: id.to_string(),
                volume_id: target.id.clone(),
                host,
                snapshot_id: String::new(),
                size_gb: row.size,
                service_metadata: row.service_metadata.clone().unwrap_or_default(),
                temporary_clone: false,
            }),
        };
        if let Err(e) = self
            .backup
            .cast::<rpc::backup::RestoreBackup>(&caller.rpc_context(), Some(&backup_host), &message)
            .await
        {
            tracing::error!(
                backup = id,
                "the restore was not sent to {backup_host}: {e}"
            );
        }
        Ok(Restored {
            backup_id: id.to_string(),
            volume_id: target.id,
            volume_name: target.name,
        })
    }

    /// export_record: the backup's record as `(backup_service, backup_url)`.
    pub async fn export_backup_record(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(String, String)> {
        let row = self.show_backup(caller, id).await?;
        self.authorize(caller, "backup:export-import", &row)?;
        if row.status != "available" {
            return Err(CinderError::BadRequest(format!(
                "Invalid backup: Backup status must be available and not {}.",
                row.status
            )));
        }
        if self.backup_hosts().await?.is_empty() {
            return Err(no_backup_service());
        }
        let metadata: Value = serde_json::from_str(&row.metadata).unwrap_or_else(|_| json!({}));
        let record = json!({
            "driver_info": {},
            "id": row.id,
            "user_id": row.user_id,
            "project_id": row.project_id,
            "volume_id": row.volume_id,
            "host": row.host,
            "availability_zone": row.availability_zone,
            "container": row.container,
            "parent_id": row.parent_id,
            "status": row.status,
            "fail_reason": row.fail_reason,
            "size": row.size,
            "display_name": row.name,
            "display_description": row.description,
            "service_metadata": row.service_metadata,
            "service": row.service,
            "object_count": row.object_count,
            "temp_volume_id": null,
            "temp_snapshot_id": null,
            "num_dependent_backups": 0,
            "snapshot_id": row.snapshot_id,
            "data_timestamp": time_text(&row.data_timestamp),
            "restore_volume_id": row.restore_volume_id,
            "metadata": metadata,
            "encryption_key_id": null,
            "created_at": time_text(&row.created_at),
            "updated_at": time_text(&row.updated_at),
            "deleted_at": null,
            "deleted": false,
        });
        let url = base64::engine::general_purpose::STANDARD.encode(record.to_string());
        Ok((
            row.service.unwrap_or_else(|| POSIX_BACKUP_DRIVER.into()),
            url,
        ))
    }

    /// import_record: records an exported backup again (status `creating`
    /// until a backup host finds its data complete).
    pub async fn import_backup_record(
        &self,
        caller: &Caller,
        backup_service: &str,
        backup_url: &str,
    ) -> Result<backup::Model> {
        self.authorize(caller, "backup:backup-import", caller.project())?;
        let Some(host) = self.pick_backup_host().await? else {
            return Err(CinderError::Unavailable(format!(
                "Service {backup_service} could not be found."
            )));
        };
        if !POSIX_BACKUP_DRIVER.starts_with(backup_service) {
            return Err(CinderError::BadRequest(format!(
                "Invalid input received: backup_service '{backup_service}' is not this cloud's backup driver ({POSIX_BACKUP_DRIVER})."
            )));
        }
        let record: Value = base64::engine::general_purpose::STANDARD
            .decode(backup_url.trim())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .filter(Value::is_object)
            .ok_or_else(|| bad_record("Can't parse backup record."))?;
        let id = record["id"]
            .as_str()
            .filter(|id| uuid::Uuid::parse_str(id).is_ok())
            .ok_or_else(|| bad_record("Provided backup record is missing an id"))?;
        let size = record["size"]
            .as_i64()
            .filter(|size| *size >= 0)
            .ok_or_else(|| bad_record("Provided backup record is missing size attribute"))?;
        let text = |key: &str| record[key].as_str().map(str::to_string);
        let service_metadata = text("service_metadata")
            .filter(|path| path.split('/').count() >= 2 && path.split('/').all(valid_name))
            .ok_or_else(|| {
                bad_record("Provided backup record has no service_metadata of this backup driver")
            })?;
        let parent_id = text("parent_id");
        if let Some(parent) = &parent_id {
            if backup::Entity::find_by_id(parent.as_str())
                .one(&self.db)
                .await?
                .is_none()
            {
                return Err(bad_record(&format!(
                    "the backup's parent {parent} is not in this cloud: import it first"
                )));
            }
        }
        if backup::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .is_some()
        {
            return Err(CinderError::BadRequest(
                "Invalid backup: Backup already exists in database.".into(),
            ));
        }
        let now = now();
        let metadata = match &record["metadata"] {
            Value::Object(map) => Value::Object(map.clone()).to_string(),
            _ => "{}".into(),
        };
        let row = backup::Model {
            id: id.to_string(),
            project_id: caller.project().to_string(),
            user_id: caller.ctx.user_id.clone(),
            volume_id: text("volume_id").unwrap_or_else(|| uuid::Uuid::nil().to_string()),
            snapshot_id: text("snapshot_id"),
            name: text("display_name"),
            description: text("display_description"),
            status: "creating".into(),
            fail_reason: None,
            size,
            object_count: record["object_count"].as_i64().unwrap_or(0),
            container: text("container"),
            service_metadata: Some(service_metadata.clone()),
            service: Some(POSIX_BACKUP_DRIVER.into()),
            parent_id,
            availability_zone: Some(self.cfg.storage_zone.clone()),
            host: Some(host.clone()),
            restore_volume_id: None,
            metadata,
            data_timestamp: parse_time(&record["data_timestamp"]).unwrap_or(now),
            created_at: parse_time(&record["created_at"]).unwrap_or(now),
            updated_at: now,
        };
        let claim = self
            .claim_quota(caller.project(), Claim::Backup { size })
            .await?;
        backup::Entity::insert(backup::ActiveModel::from(row.clone()))
            .exec(&claim)
            .await?;
        claim.commit().await?;
        let message = BackupData {
            backup_id: row.id.clone(),
            service_metadata,
        };
        if let Err(e) = self
            .backup
            .cast::<rpc::backup::ImportRecord>(&caller.rpc_context(), Some(&host), &message)
            .await
        {
            tracing::error!(backup = id, "the import was not sent to {host}: {e}");
        }
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_quota_refusals_lose_the_class_name() {
        let err = without_class(CinderError::OverLimit(
            "VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded for quota 'volumes'.".into(),
        ));
        assert_eq!(
            err.to_string(),
            "Maximum number of volumes allowed (1) exceeded for quota 'volumes'."
        );
    }

    #[test]
    fn record_times_round_trip() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 12, 6)
            .unwrap()
            .and_hms_opt(15, 4, 5)
            .unwrap();
        assert_eq!(parse_time(&json!(time_text(&t))), Some(t));
        assert_eq!(
            parse_time(&json!("2026-12-06T15:04:05.123456")).map(|t| t.date()),
            Some(t.date())
        );
        assert_eq!(parse_time(&json!(3)), None);
    }
}
