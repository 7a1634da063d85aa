//! os-retype: a volume takes another type. The scheduler keeps it on its backend
//! when that backend suits the new type; otherwise, with `migration_policy`
//! `on-demand`, its host moves the data to one that does.

use crate::rpc::messages::{RetypeVolume, VolumeSpec};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::quotas::Claim;
use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::volume;
use crate::rpc;

impl Cinder {
    /// Starts a retype (202); the scheduler and volume host finish it.
    pub(crate) async fn retype(
        &self,
        caller: &Caller,
        id: &str,
        new_type: &str,
        on_demand: bool,
    ) -> Result<()> {
        let row = self.show_volume(caller, id).await?;
        self.authorize(caller, "volume:retype", &row)?;
        let kind = match self.volume_type(caller, Some(new_type)).await {
            Err(CinderError::NotFound(_)) if uuid::Uuid::parse_str(new_type).is_err() => {
                return Err(CinderError::NotFound(format!(
                    "Volume type with name {new_type} could not be found."
                )))
            }
            other => other?,
        };
        if self.encryption_of(&kind.id).await?.is_some() {
            return Err(super::encryption::unsupported(&kind));
        }
        let multiattach = super::types::is_multiattach(&kind);
        if multiattach != row.multiattach && row.status != "available" {
            return Err(CinderError::BadRequest(format!(
                "Invalid input received: Invalid volume_type passed, retypes affecting multiattach are only allowed on available volumes, the specified volume however currently has a status of: {}.",
                row.status
            )));
        }
        let snapshots = self.snapshots_of(id).await?;
        let quota = self
            .claim_quota(
                caller.project(),
                Claim::Retype {
                    size: row.size,
                    snapshots: snapshots.len() as i64,
                    snapshot_gb: snapshots.iter().map(|s| s.size).sum(),
                    kind: &kind.name,
                },
            )
            .await?;
        let migrating = !super::migrate::not_migrating(row.migration_status.as_deref());
        let claimed = volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value("retyping"))
            .col_expr(volume::Column::Multiattach, Expr::value(multiattach))
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(id))
            .filter(volume::Column::Status.eq(row.status.as_str()))
            .filter(volume::Column::VolumeTypeId.ne(kind.id.as_str()))
            .filter(super::migrate::not_migrating_condition())
            .exec(&quota)
            .await?;
        if migrating
            || !matches!(row.status.as_str(), "available" | "in-use")
            || claimed.rows_affected != 1
        {
            // Dropping the claim's transaction undoes the status change.
            return Err(CinderError::BadRequest("Invalid volume: Retype needs volume to be in available or in-use state, not be part of an active migration or a consistency group, requested type has to be different that the one from the volume, and for in-use volumes front-end qos specs cannot change.".into()));
        }
        quota.commit().await?;
        let request = RetypeVolume {
            volume: Some(VolumeSpec {
                id: id.to_string(),
                size_gb: row.size,
                volume_type_id: kind.id.clone(),
                extra_specs: super::types::extra_specs(&kind).into_iter().collect(),
                availability_zone: row.availability_zone.clone(),
                host: row.host.clone().unwrap_or_default(),
                disabled_hosts: self.disabled_backends().await?,
                ..VolumeSpec::default()
            }),
            migration_policy: if on_demand { "on-demand" } else { "never" }.into(),
            done_status: row.status.clone(),
            has_snapshots: !snapshots.is_empty(),
        };
        if let Err(e) = self
            .scheduler
            .cast::<rpc::scheduler::Retype>(&caller.rpc_context(), None, &request)
            .await
        {
            tracing::error!(volume = id, "scheduler unreachable: {e}");
            self.restore(id, &row).await?;
            return Err(CinderError::Unavailable(format!(
                "The scheduler is unreachable: {e}"
            )));
        }
        Ok(())
    }

    /// Puts back the status and multiattach flag a refused retype changed.
    async fn restore(&self, id: &str, row: &volume::Model) -> Result<()> {
        volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value(row.status.as_str()))
            .col_expr(volume::Column::Multiattach, Expr::value(row.multiattach))
            .filter(volume::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
