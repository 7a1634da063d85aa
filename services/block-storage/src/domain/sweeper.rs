//! Ends operations that will never finish. A volume manager killed mid-operation
//! leaves its volume or snapshot in a working state; a live manager sends a
//! keepalive for a working operation every quarter of `stuck_operation_timeout`
//! (which marks the resource as updated), so a resource left working for longer
//! than that has lost its manager. The api role then moves it on as Cinder's
//! volume service does at start: failed creates, deletes and extends to their
//! error states; an upload, retype or locked migration back to available (in-use
//! when attached); a migration that stopped to migration_status error. Backup
//! hosts send keepalives of backups the same way.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

use super::{Cinder, Result};
use crate::db::entity::{attachment, backup, snapshot, volume};

/// `(working, failed)` states of volumes.
const VOLUME_STATES: &[(&str, &str)] = &[
    ("creating", "error"),
    ("downloading", "error"),
    ("deleting", "error_deleting"),
    ("extending", "error_extending"),
];

/// Working states a volume leaves for available, or in-use when it has
/// attachments: its data is intact.
const BACK_TO_USE: &[&str] = &["uploading", "retyping", "maintenance"];

/// Migration statuses of a move under way.
const MIGRATING: &[&str] = &["starting", "migrating"];

/// `(working, failed)` states of backups (a restore that stopped leaves the
/// backup as it was).
const BACKUP_STATES: &[(&str, &str)] = &[
    ("creating", "error"),
    ("restoring", "available"),
    ("deleting", "error_deleting"),
];

/// `(working, failed)` states of snapshots.
const SNAPSHOT_STATES: &[(&str, &str)] = &[("creating", "error"), ("deleting", "error_deleting")];

impl Cinder {
    /// One sweep; returns how many volumes and snapshots were marked failed.
    pub async fn sweep_stuck(&self) -> Result<u64> {
        let deadline = chrono::Utc::now().naive_utc()
            - chrono::Duration::from_std(self.cfg.stuck_timeout).unwrap_or_default();
        let mut marked = 0;
        let now = chrono::Utc::now().naive_utc();
        let stuck = || {
            volume::Entity::update_many()
                .col_expr(volume::Column::UpdatedAt, Expr::value(now))
                .filter(volume::Column::UpdatedAt.lt(deadline))
        };
        for (from, to) in VOLUME_STATES {
            marked += stuck()
                .col_expr(volume::Column::Status, Expr::value(*to))
                .col_expr(volume::Column::PendingSize, Expr::value(None::<i64>))
                .filter(volume::Column::Status.eq(*from))
                .exec(&self.db)
                .await?
                .rows_affected;
        }
        // Migrations first (leaving updated_at, which the next step reads).
        marked += volume::Entity::update_many()
            .filter(volume::Column::UpdatedAt.lt(deadline))
            .col_expr(volume::Column::MigrationStatus, Expr::value("error"))
            .filter(volume::Column::MigrationStatus.is_in(MIGRATING.iter().copied()))
            .exec(&self.db)
            .await?
            .rows_affected;
        let attached = sea_orm::sea_query::Query::select()
            .column(attachment::Column::VolumeId)
            .from(attachment::Entity)
            .to_owned();
        for (status, with_attachments) in [("in-use", true), ("available", false)] {
            let which = if with_attachments {
                volume::Column::Id.in_subquery(attached.clone())
            } else {
                volume::Column::Id.not_in_subquery(attached.clone())
            };
            marked += stuck()
                .col_expr(volume::Column::Status, Expr::value(status))
                .filter(volume::Column::Status.is_in(BACK_TO_USE.iter().copied()))
                .filter(which)
                .exec(&self.db)
                .await?
                .rows_affected;
        }
        for (from, to) in SNAPSHOT_STATES {
            marked += snapshot::Entity::update_many()
                .col_expr(snapshot::Column::Status, Expr::value(*to))
                .filter(snapshot::Column::Status.eq(*from))
                .filter(snapshot::Column::UpdatedAt.lt(deadline))
                .exec(&self.db)
                .await?
                .rows_affected;
        }
        marked += self.sweep_stuck_backups(deadline).await?;
        if marked > 0 {
            tracing::warn!(marked, "operations stuck past the timeout marked failed");
        }
        Ok(marked)
    }

    /// Backups whose backup host stopped reporting: a backup in error (its
    /// volume or snapshot back as it was), a restore over (its volume in
    /// error_restoring), a delete in error_deleting.
    async fn sweep_stuck_backups(&self, deadline: chrono::NaiveDateTime) -> Result<u64> {
        let stuck = backup::Entity::find()
            .filter(backup::Column::Status.is_in(BACKUP_STATES.iter().map(|(from, _)| *from)))
            .filter(backup::Column::UpdatedAt.lt(deadline))
            .all(&self.db)
            .await?;
        let mut marked = 0;
        for row in stuck {
            let to = BACKUP_STATES
                .iter()
                .find(|(from, _)| *from == row.status)
                .map_or("error", |(_, to)| *to);
            let txn = self.db.begin().await?;
            let changed = backup::Entity::update_many()
                .col_expr(backup::Column::Status, Expr::value(to))
                .col_expr(backup::Column::RestoreVolumeId, Expr::value(None::<String>))
                .col_expr(
                    backup::Column::FailReason,
                    Expr::value("its backup host stopped reporting before it was done"),
                )
                .col_expr(
                    backup::Column::UpdatedAt,
                    Expr::value(chrono::Utc::now().naive_utc()),
                )
                .filter(backup::Column::Id.eq(row.id.as_str()))
                .filter(backup::Column::Status.eq(row.status.as_str()))
                .filter(backup::Column::UpdatedAt.lt(deadline))
                .exec(&txn)
                .await?
                .rows_affected;
            if changed == 1 {
                self.release_backup_source(&txn, &row).await?;
                marked += 1;
            }
            txn.commit().await?;
        }
        Ok(marked)
    }

    /// One round of housekeeping (run every `report_interval`): a sweep, and
    /// the expired user messages reaped.
    pub async fn housekeeping(&self) {
        if let Err(e) = self.sweep_stuck().await {
            tracing::warn!("sweep failed: {e}");
        }
        if let Err(e) = self.reap_messages().await {
            tracing::warn!("expired messages not reaped: {e}");
        }
    }
}
