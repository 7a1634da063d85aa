//! os-migrate_volume: an admin moves a volume to a backend they name. The
//! scheduler checks that the backend passes the filters for the volume as it is
//! (type, zone, room), then the volume's host copies it there as for a retype.

use crate::rpc::messages::{MigrateToHost, VolumeSpec};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::{service, snapshot, volume};
use crate::rpc;

/// The `migration_status` values of a volume no migration is working on.
pub(crate) const MIGRATIONS_OVER: &[&str] = &["deleting", "error", "success"];

/// Whether a volume with `migration_status` is free of migrations.
pub(crate) fn not_migrating(migration_status: Option<&str>) -> bool {
    migration_status.is_none_or(|s| MIGRATIONS_OVER.contains(&s))
}

/// The condition [`not_migrating`] puts on volume rows.
pub(crate) fn not_migrating_condition() -> Condition {
    Condition::any()
        .add(volume::Column::MigrationStatus.is_null())
        .add(volume::Column::MigrationStatus.is_in(MIGRATIONS_OVER.iter().copied()))
}

/// Refuses `action` on a volume a migration is working on: the migration
/// would end by moving the volume from under it (Cinder has compute swap an
/// attached volume; this cloud has no compute).
pub(crate) fn refuse_while_migrating(row: &volume::Model, action: &str) -> Result<()> {
    if not_migrating(row.migration_status.as_deref()) {
        return Ok(());
    }
    Err(CinderError::BadRequest(format!(
        "Invalid volume: Volume {} is migrating; it can {action} when the migration ends.",
        row.id
    )))
}

/// What an os-migrate_volume body asks for: a destination host or cluster
/// (exactly one), and whether the volume is locked (`maintenance`) meanwhile.
#[derive(Debug, PartialEq)]
pub struct MigrateRequest {
    pub host: Option<String>,
    pub cluster: Option<String>,
    pub lock_volume: bool,
}

/// The `host@backend` part of `host@backend#pool`.
fn backend_of(host: &str) -> &str {
    host.split_once('#').map_or(host, |(backend, _)| backend)
}

impl Cinder {
    /// Starts a migration (202); the scheduler and volume hosts finish it.
    pub(crate) async fn migrate_volume(
        &self,
        caller: &Caller,
        id: &str,
        request: MigrateRequest,
    ) -> Result<()> {
        let row = self.show_volume(caller, id).await?;
        self.authorize(
            caller,
            "volume_extension:volume_admin_actions:migrate_volume",
            &row,
        )?;
        // This cloud has no clusters: a cluster is never an available service.
        let named = request
            .host
            .clone()
            .or(request.cluster.clone())
            .unwrap_or_default();
        let dest = backend_of(&named).to_string();
        if request.cluster.is_some() || !self.volume_service_up(&dest).await? {
            return Err(CinderError::BadRequest(format!(
                "Invalid host: No available service named '{named}'"
            )));
        }
        let status = if request.lock_volume && row.status == "available" {
            "maintenance"
        } else {
            row.status.as_str()
        };
        let claimed = volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value(status))
            .col_expr(volume::Column::MigrationStatus, Expr::value("starting"))
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(id))
            .filter(volume::Column::Status.eq(row.status.as_str()))
            .filter(volume::Column::Status.is_in(["available", "in-use"]))
            .filter(not_migrating_condition())
            .filter(volume::Column::Host.ne(dest.as_str()))
            .filter(
                volume::Column::Id.not_in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(snapshot::Column::VolumeId)
                        .from(snapshot::Entity)
                        .to_owned(),
                ),
            )
            .exec(&self.db)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} status must be available or in-use, must not be migrating, have snapshots, be replicated, be part of a group and destination host/cluster must be different than the current one"
            )));
        }
        let kind = self
            .volume_type(caller, Some(&row.volume_type_id))
            .await
            .ok();
        let order = MigrateToHost {
            volume: Some(VolumeSpec {
                id: id.to_string(),
                size_gb: row.size,
                volume_type_id: row.volume_type_id.clone(),
                extra_specs: kind
                    .as_ref()
                    .map(super::types::extra_specs)
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
                availability_zone: row.availability_zone.clone(),
                host: row.host.clone().unwrap_or_default(),
                ..VolumeSpec::default()
            }),
            dest_host: dest,
            done_status: row.status.clone(),
            attached: row.status == "in-use",
        };
        if let Err(e) = self
            .scheduler
            .cast::<rpc::scheduler::MigrateToHost>(&caller.rpc_context(), None, &order)
            .await
        {
            tracing::error!(volume = id, "scheduler unreachable: {e}");
            self.end_migration(id, &row).await?;
            return Err(CinderError::Unavailable(format!(
                "The scheduler is unreachable: {e}"
            )));
        }
        Ok(())
    }

    /// Whether `backend` is a volume service that is up and enabled.
    async fn volume_service_up(&self, backend: &str) -> Result<bool> {
        let found = service::Entity::find()
            .filter(service::Column::Host.eq(backend))
            .filter(service::Column::Binary.eq(crate::volume::BINARY))
            .filter(service::Column::Disabled.eq(false))
            .one(&self.db)
            .await?;
        let down_after = chrono::Duration::from_std(self.cfg.service_down_time).unwrap_or_default();
        Ok(found.is_some_and(|s| now() - s.updated_at <= down_after))
    }

    /// Puts back the status and migration status a refused migration changed.
    async fn end_migration(&self, id: &str, row: &volume::Model) -> Result<()> {
        volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value(row.status.as_str()))
            .col_expr(
                volume::Column::MigrationStatus,
                Expr::value(row.migration_status.clone()),
            )
            .filter(volume::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_not_part_of_the_backend() {
        assert_eq!(backend_of("node1@gold#pool"), "node1@gold");
        assert_eq!(backend_of("node1@gold"), "node1@gold");
    }

    #[test]
    fn finished_migrations_do_not_block() {
        assert!(not_migrating(None));
        assert!(not_migrating(Some("success")));
        assert!(!not_migrating(Some("starting")));
        assert!(!not_migrating(Some("migrating")));
    }
}
