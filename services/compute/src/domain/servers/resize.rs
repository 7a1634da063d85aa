//! Moving servers: resize to another flavor, cold and live migration to
//! another host, each recorded as a migration (`os-migrations`). The api checks the
//! request and the project's quotas, records the migration and hands it to
//! the conductor, which has the scheduler place the server and its agents
//! move it; the server then waits in VERIFY_RESIZE for `confirmResize` (the
//! source's resources given back) or `revertResize` (the server back where
//! and as it was).

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};

use super::ops::invalid_state;
use super::{build_message, InstanceFlavor};
use crate::db::entity::{allocation, instance, migration};
use crate::domain::{now, Caller, Nova, NovaError, Result};
use crate::rpc::messages::{MigrateServer, ResizeStep};
use crate::rpc::{agent, conductor};

/// The vm_states a server may be moved from (task_state none).
const MOVABLE: &[&str] = &["active", "stopped"];

/// The power state of a guest that is off.
const SHUTDOWN: i32 = 4;

/// Which move is asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum MoveRequest {
    /// `resize` to flavor `flavorRef`.
    Resize(String),
    /// `migrate` (admin), to a host from 2.56.
    Migrate(Option<String>),
    /// `os-migrateLive` (admin), to a host if given.
    Live(Option<String>),
    /// `evacuate` (admin) from a host that is down, to a host if given;
    /// stopped once rebuilt when asked (2.95).
    Evacuate { host: Option<String>, stop: bool },
}

impl Nova {
    /// `resize`, `migrate`, `os-migrateLive` or `evacuate`.
    pub async fn move_server(&self, caller: &Caller, id: &str, request: MoveRequest) -> Result<()> {
        let (rule, method) = match &request {
            MoveRequest::Resize(_) => ("os_compute_api:servers:resize", "resize"),
            MoveRequest::Migrate(None) => ("os_compute_api:os-migrate-server:migrate", "migrate"),
            MoveRequest::Migrate(Some(_)) => {
                ("os_compute_api:os-migrate-server:migrate:host", "migrate")
            }
            MoveRequest::Live(_) => (
                "os_compute_api:os-migrate-server:migrate_live",
                "os-migrateLive",
            ),
            MoveRequest::Evacuate { .. } => ("os_compute_api:os-evacuate", "evacuate"),
        };
        let live = matches!(request, MoveRequest::Live(_));
        let (movable, task, action, kind, status): (&[&str], _, _, _, _) = match &request {
            MoveRequest::Resize(_) => (MOVABLE, "resize_prep", "resize", "resize", "pre-migrating"),
            MoveRequest::Migrate(_) => (
                MOVABLE,
                "resize_prep",
                "migrate",
                "migration",
                "pre-migrating",
            ),
            MoveRequest::Live(_) => (
                &["active", "paused"],
                "migrating",
                "live-migration",
                "live-migration",
                "accepted",
            ),
            MoveRequest::Evacuate { .. } => (
                &["active", "stopped", "error"],
                "rebuilding",
                "evacuate",
                "evacuation",
                "accepted",
            ),
        };
        let row = self.server_row(caller, id, rule).await?;
        Self::check_unlocked(caller, &row)?;
        if !movable.contains(&row.vm_state.as_str()) || row.task_state.is_some() {
            return Err(invalid_state(method, &row));
        }
        let old = InstanceFlavor::parse(&row.flavor);
        let (new, target_host) = match &request {
            MoveRequest::Resize(flavor_ref) => {
                let new = self
                    .instance_flavor(caller, flavor_ref)
                    .await?
                    .ok_or_else(|| {
                        NovaError::BadRequest("Unable to locate requested flavor.".into())
                    })?;
                if new.flavorid == old.flavorid {
                    return Err(NovaError::BadRequest(
                        "When resizing, instances must change flavor!".into(),
                    ));
                }
                if new.root_gb < old.root_gb {
                    return Err(NovaError::BadRequest(
                        "Resize error: Unable to resize disk down.".into(),
                    ));
                }
                (new, String::new())
            }
            MoveRequest::Migrate(host)
            | MoveRequest::Live(host)
            | MoveRequest::Evacuate { host, .. } => (old.clone(), host.clone().unwrap_or_default()),
        };
        let evacuate = matches!(request, MoveRequest::Evacuate { .. });
        if evacuate {
            let source = row.host.clone().unwrap_or_default();
            if self.host_up(&source).await? {
                return Err(NovaError::BadRequest(format!(
                    "Compute service of {source} is still in use."
                )));
            }
        }
        if !target_host.is_empty() && row.host.as_deref() == Some(target_host.as_str()) {
            return Err(NovaError::BadRequest(format!(
                "The target host can't be the same one: {target_host}"
            )));
        }
        let migration_uuid = uuid::Uuid::new_v4().to_string();
        // The larger flavor counts against the quotas until the move ends.
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &row.project_id).await?;
        let (more_cores, more_ram) = (
            (new.vcpus - old.vcpus).max(0),
            (new.memory_mb - old.memory_mb).max(0),
        );
        if more_cores > 0 || more_ram > 0 {
            for (limits, used) in self.scopes(&txn, &row.project_id, &row.user_id).await? {
                let overs: Vec<(&str, i64, i64, i64)> = [("cores", more_cores), ("ram", more_ram)]
                    .into_iter()
                    .filter_map(|(key, more)| {
                        let limit = limits.get(key).copied().unwrap_or(-1);
                        let used = used.get(key).copied().unwrap_or(0);
                        (more > 0 && limit >= 0 && used + more > limit)
                            .then_some((key, more, used, limit))
                    })
                    .collect();
                if !overs.is_empty() {
                    return Err(crate::domain::quotas::exceeded(&overs));
                }
            }
        }
        let claimed = instance::Entity::update_many()
            .col_expr(instance::Column::TaskState, Expr::value(task))
            .col_expr(
                instance::Column::Vcpus,
                Expr::value(old.vcpus.max(new.vcpus)),
            )
            .col_expr(
                instance::Column::MemoryMb,
                Expr::value(old.memory_mb.max(new.memory_mb)),
            )
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(id))
            .filter(instance::Column::VmState.is_in(movable.iter().copied()))
            .filter(instance::Column::TaskState.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 0 {
            return Err(invalid_state(method, &row));
        }
        let now = now();
        migration::Entity::insert(migration::ActiveModel {
            uuid: Set(migration_uuid.clone()),
            instance_uuid: Set(row.uuid.clone()),
            migration_type: Set(kind.into()),
            status: Set(status.into()),
            source_compute: Set(row.host.clone()),
            source_node: Set(row.node.clone()),
            dest_compute: Set(None),
            dest_node: Set(None),
            old_flavorid: Set(old.flavorid.clone()),
            new_flavorid: Set(new.flavorid.clone()),
            old_flavor: Set(Some(row.flavor.clone())),
            new_flavor: Set(serde_json::to_string(&new).ok()),
            project_id: Set(row.project_id.clone()),
            user_id: Set(row.user_id.clone()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        txn.commit().await?;
        let request_id = self.record_action(caller, &row, action).await?;
        let mut context = caller.rpc_context();
        context.request_id = request_id;
        let cast = self
            .conductor
            .cast::<conductor::MigrateServer>(
                &context,
                None,
                &MigrateServer {
                    instance_uuid: row.uuid.clone(),
                    migration_uuid,
                    flavor: Some(new.to_spec()),
                    allow_same_host: method == "resize" && self.cfg.allow_resize_to_same_host,
                    target_host,
                    live,
                    evacuate,
                    stop_after: matches!(request, MoveRequest::Evacuate { stop: true, .. })
                        || (evacuate && row.vm_state == "stopped"),
                },
            )
            .await;
        cast.map_err(|e| NovaError::Internal(format!("the conductor is unreachable: {e}")))
    }

    /// The finished migration of a server awaiting confirmation.
    async fn finished_migration(&self, row: &instance::Model) -> Result<migration::Model> {
        migration::Entity::find()
            .filter(migration::Column::InstanceUuid.eq(&row.uuid))
            .filter(migration::Column::Status.eq("finished"))
            .order_by_desc(migration::Column::Id)
            .one(&self.db)
            .await?
            .ok_or_else(|| NovaError::BadRequest("Instance has not been resized.".into()))
    }

    /// `confirmResize`: the source's resources given back, the server as it
    /// runs now.
    pub async fn confirm_resize(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:servers:confirm_resize")
            .await?;
        Self::check_unlocked(caller, &row)?;
        if row.vm_state != "resized" || row.task_state.is_some() {
            return Err(invalid_state("confirmResize", &row));
        }
        let moved = self.finished_migration(&row).await?;
        let flavor = InstanceFlavor::parse(&row.flavor);
        let vm_state = if row.power_state == SHUTDOWN {
            "stopped"
        } else {
            "active"
        };
        let txn = self.db.begin().await?;
        let confirmed = instance::Entity::update_many()
            .col_expr(instance::Column::VmState, Expr::value(vm_state))
            .col_expr(instance::Column::Vcpus, Expr::value(flavor.vcpus))
            .col_expr(instance::Column::MemoryMb, Expr::value(flavor.memory_mb))
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(id))
            .filter(instance::Column::VmState.eq("resized"))
            .filter(instance::Column::TaskState.is_null())
            .exec(&txn)
            .await?;
        if confirmed.rows_affected == 0 {
            return Err(invalid_state("confirmResize", &row));
        }
        allocation::Entity::delete_many()
            .filter(allocation::Column::ConsumerUuid.eq(&moved.uuid))
            .exec(&txn)
            .await?;
        migration::Entity::update_many()
            .col_expr(migration::Column::Status, Expr::value("confirmed"))
            .col_expr(migration::Column::UpdatedAt, Expr::value(now()))
            .filter(migration::Column::Id.eq(moved.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        let request_id = self.record_action(caller, &row, "confirmResize").await?;
        let source = moved.source_compute.clone().unwrap_or_default();
        if moved.dest_compute.as_deref() != Some(source.as_str()) {
            let mut context = caller.rpc_context();
            context.request_id = request_id;
            let step = self.step(&row, &moved, &row.flavor, false);
            if let Err(e) = self
                .agents
                .cast::<agent::ConfirmResize>(&context, Some(&source), &step)
                .await
            {
                tracing::warn!(
                    instance = id,
                    host = source,
                    "the source keeps the old guest: {e}"
                );
            }
        }
        Ok(())
    }

    /// `revertResize`: the destination lets the server go, the source runs it
    /// again as it was.
    pub async fn revert_resize(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:servers:revert_resize")
            .await?;
        Self::check_unlocked(caller, &row)?;
        if row.vm_state != "resized" || row.task_state.is_some() {
            return Err(invalid_state("revertResize", &row));
        }
        let moved = self.finished_migration(&row).await?;
        if !self
            .claim_task(id, &["resized"], "resize_reverting")
            .await?
        {
            return Err(invalid_state("revertResize", &row));
        }
        migration::Entity::update_many()
            .col_expr(migration::Column::Status, Expr::value("reverting"))
            .col_expr(migration::Column::UpdatedAt, Expr::value(now()))
            .filter(migration::Column::Id.eq(moved.id))
            .exec(&self.db)
            .await?;
        let request_id = self.record_action(caller, &row, "revertResize").await?;
        let mut context = caller.rpc_context();
        context.request_id = request_id;
        let old_flavor = moved.old_flavor.clone().unwrap_or_default();
        let mut step = self.step(&row, &moved, &old_flavor, row.power_state != SHUTDOWN);
        if let Some(build) = step.build.as_mut() {
            // Its ports go back to the source with it.
            build.vifs_json = super::networks::stored_json(&self.db, &row.uuid).await?;
        }
        let dest = moved.dest_compute.clone().unwrap_or_default();
        self.agents
            .cast::<agent::RevertResize>(&context, Some(&dest), &step)
            .await
            .map_err(|e| {
                NovaError::Internal(format!("the compute host {dest} is unreachable: {e}"))
            })
    }

    /// A step of `moved` for server `row` running with `flavor` (JSON).
    fn step(
        &self,
        row: &instance::Model,
        moved: &migration::Model,
        flavor: &str,
        power_on: bool,
    ) -> ResizeStep {
        let mut build = build_message(row, &Default::default());
        build.flavor = Some(InstanceFlavor::parse(flavor).to_spec());
        ResizeStep {
            migration_uuid: moved.uuid.clone(),
            build: Some(build),
            source_host: moved.source_compute.clone().unwrap_or_default(),
            dest_host: moved.dest_compute.clone().unwrap_or_default(),
            power_on,
            paused: false,
        }
    }
}
