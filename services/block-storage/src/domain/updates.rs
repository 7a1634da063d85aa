//! The api role's RPC server: volume state from the volume managers and the
//! scheduler, heartbeats from every role. Only this role writes the database.

use std::sync::Arc;

use crate::rpc::messages::{Heartbeat, SnapshotUpdate, VolumeUpdate};
use ferrostack_rpc::{RemoteError, Router};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::Cinder;
use crate::db::entity::{snapshot, volume};
use crate::rpc::{api, remote};

/// Serves `block-storage-api` for the other roles.
pub struct ApiRpc(pub Arc<Cinder>);

/// A claim refused: another host made (or is making) the volume.
fn placed_elsewhere(id: &str) -> RemoteError {
    remote("Conflict", format!("volume {id} is placed on another host"))
}

fn db_error(e: sea_orm::DbErr) -> RemoteError {
    remote("InternalError", e.to_string())
}

impl ApiRpc {
    async fn volume_update(
        &self,
        update: VolumeUpdate,
        request_id: &str,
    ) -> Result<(), RemoteError> {
        let db = &self.0.db;
        let guarded = !update.from_status.is_empty();
        if guarded {
            // A report of an operation that is over (redelivered, or late) is
            // stale: it changes nothing, not even the user messages.
            let current = volume::Entity::find_by_id(update.id.as_str())
                .one(db)
                .await
                .map_err(db_error)?;
            if !current.is_some_and(|v| update.from_status.contains(&v.status)) {
                if update.claim {
                    return Err(placed_elsewhere(&update.id));
                }
                tracing::info!(
                    volume = update.id,
                    status = update.status,
                    "stale report ignored: the volume is no longer in {:?}",
                    update.from_status
                );
                return Ok(());
            }
        }
        if let Some(what) = &update.message {
            let owner = volume::Entity::find_by_id(update.id.as_str())
                .one(db)
                .await
                .map_err(db_error)?;
            if let Some(owner) = owner {
                self.0
                    .record_message(&owner.project_id, request_id, "VOLUME", &update.id, what)
                    .await;
            }
        }
        if update.status == "deleted" {
            super::transfers::delete_volume_and_offers(db, &update.id, &update.from_status)
                .await
                .map_err(db_error)?;
            return Ok(());
        }
        let mut change = volume::Entity::update_many().col_expr(
            volume::Column::UpdatedAt,
            Expr::value(chrono::Utc::now().naive_utc()),
        );
        if !update.status.is_empty() {
            change = change.col_expr(volume::Column::Status, Expr::value(update.status.as_str()));
            if update.status != "extending" {
                // An extend is over: the volume counts at its own size again.
                change = change.col_expr(volume::Column::PendingSize, Expr::value(None::<i64>));
            }
        }
        if !update.host.is_empty() {
            change = change.col_expr(volume::Column::Host, Expr::value(update.host.as_str()));
            let pool = Some(update.pool.as_str()).filter(|p| !p.is_empty());
            change = change.col_expr(volume::Column::Pool, Expr::value(pool));
        }
        if !update.provider_location.is_empty() {
            change = change.col_expr(
                volume::Column::ProviderLocation,
                Expr::value(update.provider_location.as_str()),
            );
        }
        if !update.volume_type_id.is_empty() {
            change = change.col_expr(
                volume::Column::VolumeTypeId,
                Expr::value(update.volume_type_id.as_str()),
            );
        }
        if !update.migration_status.is_empty() {
            change = change.col_expr(
                volume::Column::MigrationStatus,
                Expr::value(update.migration_status.as_str()),
            );
        }
        if update.bootable {
            change = change.col_expr(volume::Column::Bootable, Expr::value(true));
        }
        if update.size_gb > 0 {
            change = change.col_expr(volume::Column::Size, Expr::value(update.size_gb));
        }
        if !update.error.is_empty() {
            tracing::warn!(
                volume = update.id,
                status = update.status,
                "{}",
                update.error
            );
        }
        if guarded {
            // Compare-and-set: the check above and this write race with the
            // api's own transitions.
            change = change.filter(volume::Column::Status.is_in(update.from_status.clone()));
        }
        if update.claim {
            change = change.filter(
                volume::Column::Host
                    .is_null()
                    .or(volume::Column::Host.eq(update.host.as_str())),
            );
        }
        change
            .filter(volume::Column::Id.eq(update.id.as_str()))
            .exec(db)
            .await
            .map_err(db_error)?;
        if update.status == "error" && update.from_status.iter().any(|s| s == "creating") {
            // A volume that was to be made from a backup failed: the backup is free.
            super::backup_restore::free_backup_of(db, &update.id)
                .await
                .map_err(db_error)?;
        }
        if update.claim {
            // Read back (MySQL counts only rows whose values changed).
            let placed = volume::Entity::find_by_id(update.id.as_str())
                .one(db)
                .await
                .map_err(db_error)?
                .and_then(|v| v.host);
            if placed.as_deref() != Some(update.host.as_str()) {
                return Err(placed_elsewhere(&update.id));
            }
        }
        Ok(())
    }

    async fn snapshot_update(
        &self,
        update: SnapshotUpdate,
        request_id: &str,
    ) -> Result<(), RemoteError> {
        let db = &self.0.db;
        if let Some(what) = &update.message {
            let owner = snapshot::Entity::find_by_id(update.id.as_str())
                .one(db)
                .await
                .map_err(db_error)?;
            if let Some(owner) = owner {
                self.0
                    .record_message(
                        &owner.project_id,
                        request_id,
                        "VOLUME_SNAPSHOT",
                        &update.id,
                        what,
                    )
                    .await;
            }
        }
        if update.status == "deleted" {
            let mut delete =
                snapshot::Entity::delete_many().filter(snapshot::Column::Id.eq(update.id.as_str()));
            if !update.from_status.is_empty() {
                delete = delete.filter(snapshot::Column::Status.is_in(update.from_status.clone()));
            }
            delete.exec(db).await.map_err(db_error)?;
            return Ok(());
        }
        if !update.error.is_empty() {
            tracing::warn!(
                snapshot = update.id,
                status = update.status,
                "{}",
                update.error
            );
        }
        let mut change = snapshot::Entity::update_many().col_expr(
            snapshot::Column::UpdatedAt,
            Expr::value(chrono::Utc::now().naive_utc()),
        );
        if !update.status.is_empty() {
            change = change.col_expr(
                snapshot::Column::Status,
                Expr::value(update.status.as_str()),
            );
        }
        if !update.from_status.is_empty() {
            change = change.filter(snapshot::Column::Status.is_in(update.from_status.clone()));
        }
        change
            .filter(snapshot::Column::Id.eq(update.id.as_str()))
            .exec(db)
            .await
            .map_err(db_error)?;
        let group_snapshot = snapshot::Entity::find_by_id(update.id.as_str())
            .one(db)
            .await
            .map_err(db_error)?
            .and_then(|s| s.group_snapshot_id);
        if let Some(group_snapshot) = group_snapshot {
            self.0
                .settle_group_snapshot(&group_snapshot)
                .await
                .map_err(|e| remote("VolumeBackendAPIException", e.to_string()))?;
        }
        Ok(())
    }

    async fn heartbeat(&self, beat: Heartbeat) -> Result<(), RemoteError> {
        ferrostack_db::service_registry::heartbeat(
            &self.0.db,
            &beat.host,
            &beat.binary,
            &beat.availability_zone,
        )
        .await
        .map_err(|e| remote("InternalError", e.to_string()))
    }
}

impl ApiRpc {
    /// The api topic's handlers.
    pub fn router(self: Arc<Self>) -> Router<api::Topic, Self> {
        Router::new(self)
            .route::<api::VolumeUpdate, _, _>(|api, context, update| async move {
                api.volume_update(update, &context.request_id).await
            })
            .route::<api::SnapshotUpdate, _, _>(|api, context, update| async move {
                api.snapshot_update(update, &context.request_id).await
            })
            .route::<api::BackupUpdate, _, _>(|api, context, update| async move {
                api.backup_update(update, &context.request_id).await
            })
            .route::<api::Heartbeat, _, _>(|api, _, beat| async move { api.heartbeat(beat).await })
    }
}
