//! `POST /snapshots/{id}/action`: os-reset_status and os-force_delete (admin),
//! os-update_snapshot_status (the owner, for drivers that take snapshots
//! themselves).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::snapshot;

/// One snapshot action, as the API parsed it from its body.
#[derive(Debug, PartialEq)]
pub enum SnapshotAction {
    /// os-reset_status (admin) to a valid status.
    ResetStatus { status: String },
    /// os-force_delete (admin).
    ForceDelete,
    /// os-update_snapshot_status: a status, and a progress (`NN%`) when given.
    UpdateStatus {
        status: String,
        progress: Option<String>,
    },
}

impl Cinder {
    /// Runs one snapshot action; each answers 202 with no body.
    pub async fn snapshot_action(
        &self,
        caller: &Caller,
        id: &str,
        action: SnapshotAction,
    ) -> Result<()> {
        match action {
            SnapshotAction::ResetStatus { status } => {
                let row = self.show_snapshot(caller, id).await?;
                self.authorize(
                    caller,
                    "volume_extension:snapshot_admin_actions:reset_status",
                    caller.project(),
                )?;
                self.set_snapshot_status(&row.id, &status).await
            }
            SnapshotAction::ForceDelete => {
                let row = self.show_snapshot(caller, id).await?;
                self.authorize(
                    caller,
                    "volume_extension:snapshot_admin_actions:force_delete",
                    caller.project(),
                )?;
                self.remove_snapshot(caller, &row).await
            }
            SnapshotAction::UpdateStatus { status, progress } => {
                self.update_snapshot_status(caller, id, &status, progress)
                    .await
            }
        }
    }

    async fn update_snapshot_status(
        &self,
        caller: &Caller,
        id: &str,
        status: &str,
        progress: Option<String>,
    ) -> Result<()> {
        let row = self.show_snapshot(caller, id).await?;
        self.authorize(
            caller,
            "snapshot_extension:snapshot_actions:update_snapshot_status",
            &row,
        )?;
        let allowed: &[&str] = match row.status.as_str() {
            "creating" => &["creating", "available", "error"],
            "deleting" => &["deleting", "error_deleting"],
            current => {
                return Err(CinderError::BadRequest(format!(
                    "Snapshot status {current} not allowed for update_snapshot_status"
                )))
            }
        };
        if !allowed.contains(&status) {
            return Err(CinderError::BadRequest(format!(
                "Provided snapshot status {status} not allowed for snapshot with status {}.",
                row.status
            )));
        }
        let mut change = snapshot::Entity::update_many()
            .col_expr(snapshot::Column::Status, Expr::value(status))
            .col_expr(snapshot::Column::UpdatedAt, Expr::value(now()));
        if let Some(progress) = progress {
            change = change.col_expr(snapshot::Column::Progress, Expr::value(progress));
        }
        change
            .filter(snapshot::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
