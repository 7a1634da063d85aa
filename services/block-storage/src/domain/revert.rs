//! `revert` (3.40): a volume's data back to its latest snapshot.

use crate::rpc::messages::SnapshotRequest;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::snapshot;
use crate::rpc;

impl Cinder {
    /// Reverts volume `id` to its latest snapshot, `snapshot_id`.
    pub(crate) async fn revert(&self, caller: &Caller, id: &str, snapshot_id: &str) -> Result<()> {
        let volume = self.show_volume(caller, id).await?;
        self.authorize(caller, "volume:revert_to_snapshot", &volume)?;
        let snap = self.show_snapshot(caller, snapshot_id).await?;
        if snap.volume_id != volume.id {
            return Err(CinderError::BadRequest(format!(
                "Invalid input received: Snapshot {snapshot_id} does not belong to volume {id}."
            )));
        }
        let latest = self.snapshots_of(id).await?.into_iter().max_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        if latest.as_ref().map(|s| s.id.as_str()) != Some(snapshot_id) {
            return Err(CinderError::BadRequest(format!(
                "Invalid snapshot: The snapshot {snapshot_id} is not the latest one of volume {id}."
            )));
        }
        if volume.status != "available" || snap.status != "available" {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} status must be available and snapshot {snapshot_id} available to revert."
            )));
        }
        if volume.size != snap.size {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} size {} does not match snapshot size {}.",
                volume.size, snap.size
            )));
        }
        if !self
            .set_volume_status(id, &["available"], "reverting")
            .await?
        {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} changed state during the request."
            )));
        }
        snapshot::Entity::update_many()
            .col_expr(snapshot::Column::Status, Expr::value("restoring"))
            .filter(snapshot::Column::Id.eq(snapshot_id))
            .exec(&self.db)
            .await?;
        let host = volume.host.unwrap_or_default();
        let request = SnapshotRequest {
            id: snapshot_id.to_string(),
            volume_id: id.to_string(),
            host: host.clone(),
        };
        self.volume
            .cast::<rpc::volume::RevertToSnapshot>(&caller.rpc_context(), Some(&host), &request)
            .await
            .map_err(|e| CinderError::Internal(format!("volume host unreachable: {e}")))?;
        Ok(())
    }
}
