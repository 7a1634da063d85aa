//! Marks operations that never finished as failed: a volume manager killed while
//! creating, deleting or extending leaves its volume in that state; after
//! `stuck_operation_timeout` the api role moves it to the matching error state so
//! users can retry or delete.

use std::sync::Arc;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio_util::sync::CancellationToken;

use super::{Cinder, Result};
use crate::db::entity::{snapshot, volume};

/// `(in progress, failed)` states of volumes.
const VOLUME_STATES: &[(&str, &str)] = &[
    ("creating", "error"),
    ("deleting", "error_deleting"),
    ("extending", "error_extending"),
];

/// `(in progress, failed)` states of snapshots.
const SNAPSHOT_STATES: &[(&str, &str)] = &[("creating", "error"), ("deleting", "error_deleting")];

impl Cinder {
    /// One sweep; returns how many volumes and snapshots were marked failed.
    pub async fn sweep_stuck(&self) -> Result<u64> {
        let deadline = chrono::Utc::now().naive_utc()
            - chrono::Duration::from_std(self.cfg.stuck_timeout).unwrap_or_default();
        let mut marked = 0;
        for (from, to) in VOLUME_STATES {
            marked += volume::Entity::update_many()
                .col_expr(volume::Column::Status, Expr::value(*to))
                .filter(volume::Column::Status.eq(*from))
                .filter(volume::Column::UpdatedAt.lt(deadline))
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
        if marked > 0 {
            tracing::warn!(marked, "operations stuck past the timeout marked failed");
        }
        Ok(marked)
    }

    /// Sweeps (and reaps expired user messages) every `report_interval` until
    /// `shutdown`.
    pub fn spawn_sweeper(self: &Arc<Self>, shutdown: CancellationToken) {
        let cinder = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = cinder.sweep_stuck().await {
                    tracing::warn!("sweep failed: {e}");
                }
                if let Err(e) = cinder.reap_messages().await {
                    tracing::warn!("expired messages not reaped: {e}");
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(cinder.cfg.report_interval) => {}
                }
            }
        });
    }
}
