//! Volume backups: the api role records a backup, marks the volume (or the
//! snapshot) `backing-up` and asks a backup host to copy the data into the
//! repository; it lists, renames and deletes backups, and resets their status.
//! Restores and export/import records are in `backup_restore`.

use std::collections::BTreeMap;

use ferrostack_api::microversion::ApiVersion;
use sea_orm::sea_query::{Expr, Func, SimpleExpr};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Select, TransactionTrait,
};

use super::paging::{Page, Pageable};
use super::quotas::Claim;
use super::{now, Caller, Cinder, CinderError, Result};
use crate::backup::repository::valid_name;
use crate::config::POSIX_BACKUP_DRIVER;
use crate::db::entity::{backup, snapshot, volume};
use crate::rpc;
use crate::rpc::messages::{BackupTarget, CreateBackup};

/// What a create body asks for.
#[derive(Debug, Default)]
pub struct BackupCreate {
    pub volume_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub container: Option<String>,
    pub incremental: bool,
    pub force: bool,
    pub snapshot_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub availability_zone: Option<String>,
}

/// A page of backups, with the count of every match when `with_count` asked.
pub struct BackupListing {
    pub page: Page<backup::Model>,
    pub count: Option<u64>,
}

pub(crate) fn not_found(id: &str) -> CinderError {
    CinderError::NotFound(format!("Backup {id} could not be found."))
}

pub(crate) fn no_backup_service() -> CinderError {
    CinderError::NotFound("Service cinder-backup could not be found.".into())
}

/// Whether a container name may be a directory path of the repository, not
/// inside another backup's directory (`backup_<id>`).
fn valid_container(container: &str) -> bool {
    let parts: Vec<&str> = container.split('/').collect();
    parts.len() < 8
        && parts
            .iter()
            .all(|p| valid_name(p) && !p.starts_with("backup_"))
}

/// The JSON the backup keeps about its volume, which a restore brings back.
fn volume_meta(volume: &volume::Model) -> String {
    let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
    serde_json::json!({
        "name": volume.name,
        "description": volume.description,
        "metadata": parse(&volume.metadata),
        "bootable": volume.bootable,
        "image_metadata": volume.image_metadata.as_deref().and_then(parse),
    })
    .to_string()
}

impl Pageable for backup::Entity {
    fn sort_column(key: &str) -> Option<backup::Column> {
        Some(match key {
            "id" => backup::Column::Id,
            "name" | "display_name" => backup::Column::Name,
            "description" | "display_description" => backup::Column::Description,
            "status" => backup::Column::Status,
            "size" => backup::Column::Size,
            "volume_id" => backup::Column::VolumeId,
            "project_id" => backup::Column::ProjectId,
            "user_id" => backup::Column::UserId,
            "container" => backup::Column::Container,
            "data_timestamp" => backup::Column::DataTimestamp,
            "created_at" => backup::Column::CreatedAt,
            "updated_at" => backup::Column::UpdatedAt,
            _ => return None,
        })
    }

    fn sort_expr(column: backup::Column) -> SimpleExpr {
        let col = Expr::col((backup::Entity, column));
        match column {
            backup::Column::Name | backup::Column::Description | backup::Column::Container => {
                Func::coalesce([col.into(), Expr::val("").into()]).into()
            }
            _ => col.into(),
        }
    }

    fn marker_value(row: &backup::Model, column: backup::Column) -> sea_orm::Value {
        let text = |v: &Option<String>| v.clone().unwrap_or_default().into();
        match column {
            backup::Column::Name => text(&row.name),
            backup::Column::Description => text(&row.description),
            backup::Column::Container => text(&row.container),
            backup::Column::Status => row.status.clone().into(),
            backup::Column::Size => row.size.into(),
            backup::Column::VolumeId => row.volume_id.clone().into(),
            backup::Column::ProjectId => row.project_id.clone().into(),
            backup::Column::UserId => row.user_id.clone().into(),
            backup::Column::DataTimestamp => row.data_timestamp.into(),
            backup::Column::CreatedAt => row.created_at.into(),
            backup::Column::UpdatedAt => row.updated_at.into(),
            _ => row.id.clone().into(),
        }
    }

    fn id_of(row: &backup::Model) -> String {
        row.id.clone()
    }

    fn marker_row(id: &str) -> Select<backup::Entity> {
        backup::Entity::find_by_id(id)
    }
}

impl Cinder {
    /// The backup hosts that are up and enabled.
    pub(crate) async fn backup_hosts(&self) -> Result<Vec<String>> {
        Ok(
            ferrostack_db::service_registry::list(&self.db, self.cfg.service_down_time)
                .await?
                .into_iter()
                .filter(|s| s.binary == crate::backup::BINARY && s.up && !s.disabled)
                .map(|s| s.host)
                .collect(),
        )
    }

    /// A backup host to send work to (any: they share the repository).
    pub(crate) async fn pick_backup_host(&self) -> Result<Option<String>> {
        let hosts = self.backup_hosts().await?;
        let pick = uuid::Uuid::new_v4().as_u128() as usize;
        Ok((!hosts.is_empty()).then(|| hosts[pick % hosts.len()].clone()))
    }

    /// The backup `id` as `caller` may see it.
    pub async fn show_backup(&self, caller: &Caller, id: &str) -> Result<backup::Model> {
        let row = backup::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        if !caller.is_admin && row.project_id != caller.project() {
            return Err(not_found(id));
        }
        self.authorize(caller, "backup:get", &row)?;
        Ok(row)
    }

    /// Whether incremental backups build on backup `id`: made ones (Cinder's
    /// `has_dependent_backups`), or with `any`, also those being made or failed.
    pub(crate) async fn has_dependents(&self, id: &str, any: bool) -> Result<bool> {
        let mut query = backup::Entity::find().filter(backup::Column::ParentId.eq(id));
        if !any {
            query = query.filter(backup::Column::Status.eq("available"));
        }
        Ok(query.count(&self.db).await? > 0)
    }

    /// The parent of a new incremental backup of `volume_id`: its latest
    /// available backup (taken before `before`, for a snapshot's).
    async fn incremental_parent(
        &self,
        caller: &Caller,
        volume_id: &str,
        before: Option<chrono::NaiveDateTime>,
    ) -> Result<backup::Model> {
        let mut query = backup::Entity::find()
            .filter(backup::Column::VolumeId.eq(volume_id))
            .filter(backup::Column::ProjectId.eq(caller.project()))
            .filter(backup::Column::Status.eq("available"))
            .order_by_desc(backup::Column::DataTimestamp)
            .order_by_desc(backup::Column::CreatedAt);
        if let Some(before) = before {
            query = query.filter(backup::Column::DataTimestamp.lt(before));
        }
        query.one(&self.db).await?.ok_or_else(|| {
            CinderError::BadRequest(
                "Invalid backup: No backups available to do an incremental backup.".into(),
            )
        })
    }

    /// Records a backup and sends it to a backup host.
    pub async fn create_backup(
        &self,
        caller: &Caller,
        request: BackupCreate,
    ) -> Result<backup::Model> {
        let source = self.show_volume(caller, &request.volume_id).await?;
        self.authorize(caller, "backup:create", &source)?;
        super::migrate::refuse_while_migrating(&source, "be backed up")?;
        if let Some(container) = &request.container {
            if !valid_container(container) {
                return Err(CinderError::BadRequest(format!(
                    "Invalid input received: container '{container}' is not a directory name of the backup repository: use letters, digits, '-', '_' and '.', not starting with '.', with '/' between names."
                )));
            }
        }
        let snapshot = match &request.snapshot_id {
            Some(id) => {
                let row = self.show_snapshot(caller, id).await?;
                if row.volume_id != source.id {
                    return Err(CinderError::BadRequest(format!(
                        "Invalid volume: Volume {} does not match with snapshot.volume_id {}.",
                        source.id, row.volume_id
                    )));
                }
                if row.status != "available" {
                    return Err(CinderError::BadRequest(format!(
                        "Invalid snapshot: Snapshot to be backed up must be available, but the current status is \"{}\".",
                        row.status
                    )));
                }
                Some(row)
            }
            None => {
                if !matches!(source.status.as_str(), "available" | "in-use") {
                    return Err(CinderError::BadRequest(format!(
                        "Invalid volume: Volume to be backed up must be available or in-use, but the current status is \"{}\".",
                        source.status
                    )));
                }
                if source.status == "in-use" && !request.force {
                    return Err(CinderError::BadRequest(
                        "Invalid volume: Backing up an in-use volume must use the force flag."
                            .into(),
                    ));
                }
                None
            }
        };
        let parent = if request.incremental {
            let before = snapshot.as_ref().map(|s| s.created_at);
            Some(self.incremental_parent(caller, &source.id, before).await?)
        } else {
            None
        };
        let host = source.host.clone().ok_or_else(|| {
            CinderError::BadRequest(format!(
                "Invalid volume: Volume {} has no backend.",
                source.id
            ))
        })?;
        let id = uuid::Uuid::new_v4().to_string();
        let container = request
            .container
            .clone()
            .unwrap_or_else(|| format!("{}/{}/{id}", &id[0..2], &id[2..4]));
        let backup_host = self.pick_backup_host().await?;
        let now = now();
        let row = backup::Model {
            id: id.clone(),
            project_id: caller.project().to_string(),
            user_id: caller.ctx.user_id.clone(),
            volume_id: source.id.clone(),
            snapshot_id: snapshot.as_ref().map(|s| s.id.clone()),
            name: request.name,
            description: request.description,
            status: if backup_host.is_some() {
                "creating".into()
            } else {
                "error".into()
            },
            fail_reason: backup_host
                .is_none()
                .then(|| "Service not found for creating backup.".into()),
            size: source.size,
            object_count: 0,
            service_metadata: Some(format!("{container}/backup_{id}")),
            container: Some(container),
            service: Some(POSIX_BACKUP_DRIVER.into()),
            parent_id: parent.as_ref().map(|p| p.id.clone()),
            availability_zone: Some(
                request
                    .availability_zone
                    .unwrap_or_else(|| self.cfg.storage_zone.clone()),
            ),
            host: backup_host.clone(),
            restore_volume_id: None,
            metadata: serde_json::to_string(&request.metadata).unwrap_or_default(),
            data_timestamp: snapshot.as_ref().map_or(now, |s| s.created_at),
            created_at: now,
            updated_at: now,
        };
        let claim = self
            .claim_quota(caller.project(), Claim::Backup { size: source.size })
            .await?;
        backup::Entity::insert(backup::ActiveModel::from(row.clone()))
            .exec(&claim)
            .await?;
        let Some(backup_host) = backup_host else {
            claim.commit().await?;
            return Ok(row);
        };
        // The volume (or snapshot) is busy until the backup host is done.
        let claimed = match &snapshot {
            Some(s) => {
                snapshot::Entity::update_many()
                    .col_expr(snapshot::Column::Status, Expr::value("backing-up"))
                    .col_expr(snapshot::Column::UpdatedAt, Expr::value(now))
                    .filter(snapshot::Column::Id.eq(s.id.as_str()))
                    .filter(snapshot::Column::Status.eq("available"))
                    .exec(&claim)
                    .await?
            }
            None => {
                volume::Entity::update_many()
                    .col_expr(volume::Column::Status, Expr::value("backing-up"))
                    .col_expr(volume::Column::UpdatedAt, Expr::value(now))
                    .filter(volume::Column::Id.eq(source.id.as_str()))
                    .filter(volume::Column::Status.eq(source.status.as_str()))
                    .filter(super::migrate::not_migrating_condition())
                    .exec(&claim)
                    .await?
            }
        };
        if claimed.rows_affected != 1 {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {} changed status while the backup was requested; try again.",
                source.id
            )));
        }
        claim.commit().await?;
        let message = CreateBackup {
            target: Some(BackupTarget {
                backup_id: id.clone(),
                volume_id: source.id.clone(),
                host,
                snapshot_id: row.snapshot_id.clone().unwrap_or_default(),
                size_gb: source.size,
                service_metadata: row.service_metadata.clone().unwrap_or_default(),
                temporary_clone: snapshot.is_none() && source.status == "in-use",
            }),
            parent_service_metadata: parent.and_then(|p| p.service_metadata).unwrap_or_default(),
            volume_meta_json: volume_meta(&source),
            done_status: if snapshot.is_some() {
                "available".into()
            } else {
                source.status.clone()
            },
        };
        if let Err(e) = self
            .backup
            .cast::<rpc::backup::CreateBackup>(&caller.rpc_context(), Some(&backup_host), &message)
            .await
        {
            tracing::error!(backup = id, "the backup was not sent to {backup_host}: {e}");
        }
        Ok(row)
    }

    /// A page of the caller's backups (every project's with `all_tenants` as
    /// admin), filtered by name, status and volume_id.
    pub async fn list_backups(
        &self,
        caller: &Caller,
        pairs: &[(String, String)],
        version: ApiVersion,
    ) -> Result<BackupListing> {
        self.authorize(caller, "backup:get_all", caller.project())?;
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let flag = |key: &str| -> Result<bool> {
            match get(key) {
                None => Ok(false),
                Some(v) => super::volume_list::truthy(&v).ok_or_else(|| {
                    CinderError::BadRequest(format!("Value '{v}' for '{key}' is not a boolean."))
                }),
            }
        };
        if !caller.is_admin && version >= ApiVersion::new(3, 31) {
            // Cinder's resource_filters.json: backups take name, status, volume_id.
            let invalid: Vec<&str> = pairs
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| {
                    !super::volume_list::NOT_FILTERS.contains(k)
                        && !["name", "status", "volume_id"].contains(k)
                })
                .collect();
            if !invalid.is_empty() {
                return Err(CinderError::invalid_filters(&invalid));
            }
        }
        let mut query = backup::Entity::find();
        if !(caller.is_admin && flag("all_tenants")?) {
            query = query.filter(backup::Column::ProjectId.eq(caller.project()));
        } else if let Some(project) = get("project_id") {
            query = query.filter(backup::Column::ProjectId.eq(project));
        }
        for (key, column) in [
            ("name", backup::Column::Name),
            ("display_name", backup::Column::Name),
            ("status", backup::Column::Status),
            ("volume_id", backup::Column::VolumeId),
        ] {
            if let Some(value) = get(key) {
                query = query.filter(column.eq(value));
            }
        }
        let count = if version >= ApiVersion::new(3, 45) && flag("with_count")? {
            Some(query.clone().count(&self.db).await?)
        } else {
            None
        };
        let page = super::paging::page(&self.db, query, &get, self.cfg.max_limit).await?;
        Ok(BackupListing { page, count })
    }

    /// Renames, describes or (3.43) gives metadata to a backup.
    pub async fn update_backup(
        &self,
        caller: &Caller,
        id: &str,
        name: Option<String>,
        description: Option<String>,
        metadata: Option<BTreeMap<String, String>>,
    ) -> Result<backup::Model> {
        let mut row = self.show_backup(caller, id).await?;
        self.authorize(caller, "backup:update", &row)?;
        // Only these columns: the status is the backup host's to change.
        let mut change = backup::Entity::update_many()
            .col_expr(backup::Column::UpdatedAt, Expr::value(now()))
            .filter(backup::Column::Id.eq(id));
        if let Some(name) = name {
            change = change.col_expr(backup::Column::Name, Expr::value(name.as_str()));
            row.name = Some(name);
        }
        if let Some(description) = description {
            change = change.col_expr(
                backup::Column::Description,
                Expr::value(description.as_str()),
            );
            row.description = Some(description);
        }
        if let Some(metadata) = metadata {
            row.metadata = serde_json::to_string(&metadata).unwrap_or_default();
            change = change.col_expr(backup::Column::Metadata, Expr::value(row.metadata.as_str()));
        }
        change.exec(&self.db).await?;
        Ok(row)
    }

    /// Deletes a backup (available or in error; with `force`, an admin's
    /// os-force_delete, in any status) that no incremental backup builds on.
    pub async fn delete_backup(&self, caller: &Caller, id: &str, force: bool) -> Result<()> {
        let row = self.show_backup(caller, id).await?;
        if row.status == "deleting" {
            return Err(CinderError::BadRequest(
                "Invalid backup: Backup status must be available or error".into(),
            ));
        }
        if force {
            self.authorize(
                caller,
                "volume_extension:backup_admin_actions:force_delete",
                &row,
            )?;
        } else {
            self.authorize(caller, "backup:delete", &row)?;
            if !matches!(row.status.as_str(), "available" | "error") {
                return Err(CinderError::BadRequest(
                    "Invalid backup: Backup status must be available or error".into(),
                ));
            }
        }
        if self.has_dependents(id, true).await? {
            return Err(CinderError::BadRequest(
                "Invalid backup: Incremental backups exist for this backup.".into(),
            ));
        }
        if self.data_shared(&row).await? {
            // An imported copy of the record (or its original) keeps the data.
            backup::Entity::delete_many()
                .filter(backup::Column::Id.eq(id))
                .filter(backup::Column::Status.eq(row.status.as_str()))
                .exec(&self.db)
                .await?;
            return Ok(());
        }
        let host = self
            .pick_backup_host()
            .await?
            .ok_or_else(no_backup_service)?;
        // Compare-and-set on the status read: a restore or backup that started
        // meanwhile wins. A forced delete of work under way leaves its volume
        // to the backup host's last report, which learns the backup is gone.
        let deleting = backup::Entity::update_many()
            .col_expr(backup::Column::Status, Expr::value("deleting"))
            .col_expr(backup::Column::Host, Expr::value(host.as_str()))
            .col_expr(backup::Column::UpdatedAt, Expr::value(now()))
            .filter(backup::Column::Id.eq(id))
            .filter(backup::Column::Status.eq(row.status.as_str()))
            .exec(&self.db)
            .await?;
        if deleting.rows_affected != 1 {
            return Err(CinderError::BadRequest(
                "Invalid backup: Backup status must be available or error".into(),
            ));
        }
        let message = crate::rpc::messages::BackupData {
            backup_id: row.id.clone(),
            service_metadata: row.service_metadata.clone().unwrap_or_default(),
        };
        if let Err(e) = self
            .backup
            .cast::<rpc::backup::DeleteBackup>(&caller.rpc_context(), Some(&host), &message)
            .await
        {
            tracing::error!(backup = id, "the delete was not sent to {host}: {e}");
        }
        Ok(())
    }

    /// Whether another record (an imported copy, or the one it was exported
    /// from) names the backup's data.
    async fn data_shared(&self, row: &backup::Model) -> Result<bool> {
        let Some(path) = &row.service_metadata else {
            return Ok(false);
        };
        Ok(backup::Entity::find()
            .filter(backup::Column::ServiceMetadata.eq(path.as_str()))
            .filter(backup::Column::Id.ne(row.id.as_str()))
            .count(&self.db)
            .await?
            > 0)
    }

    /// Puts back the volume or snapshot a backup in `creating` or `restoring`
    /// holds: after a backup, as it was; after a restore, in error_restoring.
    pub(crate) async fn release_backup_source(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        row: &backup::Model,
    ) -> Result<()> {
        match row.status.as_str() {
            // Only the volume's own backup under way holds it (an imported
            // record being checked names a volume it does not hold).
            "creating" if self.holds_volume(db, row).await? => match &row.snapshot_id {
                Some(snapshot_id) => {
                    snapshot::Entity::update_many()
                        .col_expr(snapshot::Column::Status, Expr::value("available"))
                        .filter(snapshot::Column::Id.eq(snapshot_id.as_str()))
                        .filter(snapshot::Column::Status.eq("backing-up"))
                        .exec(db)
                        .await?;
                }
                None => self.volume_back_to_use(db, &row.volume_id).await?,
            },
            "restoring" => {
                if let Some(target) = &row.restore_volume_id {
                    volume::Entity::update_many()
                        .col_expr(volume::Column::Status, Expr::value("error_restoring"))
                        .filter(volume::Column::Id.eq(target.as_str()))
                        .filter(volume::Column::Status.eq("restoring-backup"))
                        .exec(db)
                        .await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether `row` (creating) is the backup its volume is `backing-up` for:
    /// no other backup of the volume is being made.
    async fn holds_volume(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        row: &backup::Model,
    ) -> Result<bool> {
        let others = backup::Entity::find()
            .filter(backup::Column::VolumeId.eq(row.volume_id.as_str()))
            .filter(backup::Column::Status.eq("creating"))
            .filter(backup::Column::Id.ne(row.id.as_str()))
            .count(db)
            .await?;
        let own_data = row
            .service_metadata
            .as_deref()
            .is_none_or(|p| p.ends_with(&format!("backup_{}", row.id)));
        Ok(others == 0 && own_data)
    }

    /// A volume left `backing-up` goes back to in-use when attached, else
    /// available.
    pub(crate) async fn volume_back_to_use(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        volume_id: &str,
    ) -> Result<()> {
        use crate::db::entity::attachment;
        let attached = attachment::Entity::find()
            .filter(attachment::Column::VolumeId.eq(volume_id))
            .count(db)
            .await?
            > 0;
        volume::Entity::update_many()
            .col_expr(
                volume::Column::Status,
                Expr::value(if attached { "in-use" } else { "available" }),
            )
            .filter(volume::Column::Id.eq(volume_id))
            .filter(volume::Column::Status.eq("backing-up"))
            .exec(db)
            .await?;
        Ok(())
    }

    /// os-reset_status: an admin sets a backup available or in error.
    pub async fn reset_backup_status(&self, caller: &Caller, id: &str, status: &str) -> Result<()> {
        let row = self.show_backup(caller, id).await?;
        self.authorize(
            caller,
            "volume_extension:backup_admin_actions:reset_status",
            &row,
        )?;
        let status = status.to_ascii_lowercase();
        if !matches!(status.as_str(), "available" | "error") {
            return Err(CinderError::BadRequest(format!(
                "Backup status: {status} is invalid, valid statuses are: ['available', 'error']."
            )));
        }
        if self.backup_hosts().await?.is_empty() {
            return Err(no_backup_service());
        }
        let txn = self.db.begin().await?;
        self.release_backup_source(&txn, &row).await?;
        backup::Entity::update_many()
            .col_expr(backup::Column::Status, Expr::value(status.as_str()))
            .col_expr(backup::Column::UpdatedAt, Expr::value(now()))
            .filter(backup::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_directory_paths_inside_the_repository() {
        for good in ["volumebackups", "ab/cd/some-id", "nightly_2026.12"] {
            assert!(valid_container(good), "{good}");
        }
        for bad in [
            "",
            "..",
            "../etc",
            "a//b",
            "/abs",
            "a/../b",
            "sp ace",
            ".hidden",
            "a/b/c/d/e/f/g/h",
            "c/backup_x",
        ] {
            assert!(!valid_container(bad), "{bad}");
        }
    }
}
