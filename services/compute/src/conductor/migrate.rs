//! Moving servers (`migrate_server`): the source's allocation handed to the
//! migration, the scheduler asked for a destination with the new flavor
//! (never the source for a cold migration, nor for a resize unless
//! `allow_resize_to_same_host`), and the source agent told to start; then
//! what the agents report of each step (`migration_update`).

use ferrostack_rpc::{Context, RemoteError, RpcError};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};

use super::{internal, Conductor};
use crate::db::entity::{allocation, instance, instance_metadata, migration};
use crate::domain::actions::{self, EventEnd};
use crate::domain::servers::{build_message, InstanceFlavor};
use crate::rpc::messages::{MigrateServer, MigrationUpdate, RequestSpec, ResizeStep};
use crate::rpc::{agent, scheduler};
use crate::scheduler::NO_VALID_HOST;

/// Hands the allocations of consumer `from` to consumer `to`.
async fn hand_over<C: ConnectionTrait>(db: &C, from: &str, to: &str) -> crate::domain::Result<()> {
    allocation::Entity::update_many()
        .col_expr(allocation::Column::ConsumerUuid, Expr::value(to))
        .filter(allocation::Column::ConsumerUuid.eq(from))
        .exec(db)
        .await?;
    Ok(())
}

/// The server holds what it held before the move (its claim on the
/// destination, if any, given back).
async fn restore_allocation<C: ConnectionTrait>(
    db: &C,
    instance_uuid: &str,
    migration_uuid: &str,
) -> crate::domain::Result<()> {
    allocation::Entity::delete_many()
        .filter(allocation::Column::ConsumerUuid.eq(instance_uuid))
        .exec(db)
        .await?;
    hand_over(db, migration_uuid, instance_uuid).await
}

impl Conductor {
    /// `migrate_server`.
    pub(super) async fn migrate_server(
        &self,
        ctx: Context,
        request: MigrateServer,
    ) -> Result<(), RemoteError> {
        if let Err(message) = self.start_move(&ctx, &request).await {
            self.fail_move(
                &ctx,
                &request.migration_uuid,
                &message,
                "conductor_migrate_server",
                0,
                true,
            )
            .await
            .map_err(internal)?;
        }
        Ok(())
    }

    async fn start_move(&self, ctx: &Context, request: &MigrateServer) -> Result<(), String> {
        let started = crate::domain::now();
        let fail = |e: sea_orm::DbErr| e.to_string();
        let row = instance::Entity::find_by_id(&request.instance_uuid)
            .one(&self.db)
            .await
            .map_err(fail)?
            .ok_or("the server is gone")?;
        hand_over(&self.db, &row.uuid, &request.migration_uuid)
            .await
            .map_err(|e| e.to_string())?;
        let spec = RequestSpec {
            project_id: row.project_id.clone(),
            user_id: row.user_id.clone(),
            flavor: request.flavor.clone(),
            availability_zone: row.availability_zone.clone().unwrap_or_default(),
            force_host: request.target_host.clone(),
            different_host: if request.allow_same_host && !request.evacuate {
                Vec::new()
            } else {
                vec![row.uuid.clone()]
            },
            instance_uuids: vec![row.uuid.clone()],
            ..Default::default()
        };
        let placed = self
            .scheduler
            .call::<scheduler::SelectDestinations>(ctx, None, &spec)
            .await
            .map_err(|e| match e {
                RpcError::Remote(remote) if remote.kind == NO_VALID_HOST => remote.message,
                other => format!("The scheduler failed: {other}"),
            })?;
        let dest = placed
            .destinations
            .into_iter()
            .next()
            .ok_or("the scheduler chose no host")?;
        migration::Entity::update_many()
            .col_expr(migration::Column::DestCompute, Expr::value(&dest.host))
            .col_expr(migration::Column::DestNode, Expr::value(&dest.node))
            .col_expr(
                migration::Column::Status,
                Expr::value(match (request.live, request.evacuate) {
                    (true, _) => "running",
                    (_, true) => "pre-migrating",
                    _ => "migrating",
                }),
            )
            .col_expr(
                migration::Column::UpdatedAt,
                Expr::value(crate::domain::now()),
            )
            .filter(migration::Column::Uuid.eq(&request.migration_uuid))
            .exec(&self.db)
            .await
            .map_err(fail)?;
        let task = match (request.live, request.evacuate) {
            (true, _) => "migrating",
            (_, true) => "rebuilding",
            _ => "resize_migrating",
        };
        instance::Entity::update_many()
            .col_expr(instance::Column::TaskState, Expr::value(task))
            .filter(instance::Column::Uuid.eq(&row.uuid))
            .exec(&self.db)
            .await
            .map_err(fail)?;
        actions::end_event(
            &self.db,
            &EventEnd {
                instance_uuid: &row.uuid,
                request_id: &ctx.request_id,
                event: "conductor_migrate_server",
                started_at: started,
                failure: None,
                host: None,
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        let metadata = instance_metadata::Entity::find()
            .filter(instance_metadata::Column::InstanceUuid.eq(&row.uuid))
            .all(&self.db)
            .await
            .map_err(fail)?
            .into_iter()
            .map(|m| (m.key, m.value))
            .collect();
        let mut build = build_message(&row, &metadata);
        build.flavor = request.flavor.clone();
        // Its ports are bound to the destination once it runs there.
        build.vifs_json = crate::domain::servers::networks::stored_json(&self.db, &row.uuid)
            .await
            .map_err(|e| e.to_string())?;
        if request.evacuate {
            build.block_devices = self
                .block_devices(&row.uuid)
                .await
                .map_err(|e| e.to_string())?;
            build.stop_after = request.stop_after;
        }
        let source = row.host.clone().unwrap_or_default();
        let step = ResizeStep {
            migration_uuid: request.migration_uuid.clone(),
            build: Some(build),
            source_host: source.clone(),
            dest_host: dest.host,
            power_on: row.vm_state != "stopped",
            paused: row.vm_state == "paused",
        };
        let cast = if request.evacuate {
            // The source is down: the destination builds the server anew.
            let dest = step.dest_host.clone();
            self.agents
                .cast::<agent::Evacuate>(ctx, Some(&dest), &step)
                .await
        } else if request.live {
            self.agents
                .cast::<agent::LiveMigration>(ctx, Some(&source), &step)
                .await
        } else {
            self.agents
                .cast::<agent::ResizeInstance>(ctx, Some(&source), &step)
                .await
        };
        cast.map_err(|e| format!("The compute host {source} is unreachable: {e}"))
    }

    /// A move that failed: the migration in error, the server back as it was
    /// (with a fault), or in ERROR when a host failed it midway.
    async fn fail_move(
        &self,
        ctx: &Context,
        migration_uuid: &str,
        message: &str,
        event: &str,
        started_at: i64,
        before_hosts: bool,
    ) -> crate::domain::Result<()> {
        let Some(moved) = migration::Entity::find()
            .filter(migration::Column::Uuid.eq(migration_uuid))
            .one(&self.db)
            .await?
        else {
            return Ok(());
        };
        let old = moved.old_flavor.clone().unwrap_or_default();
        let old_flavor = InstanceFlavor::parse(&old);
        let txn = self.db.begin().await?;
        restore_allocation(&txn, &moved.instance_uuid, &moved.uuid).await?;
        migration::Entity::update_many()
            .col_expr(migration::Column::Status, Expr::value("error"))
            .col_expr(
                migration::Column::UpdatedAt,
                Expr::value(crate::domain::now()),
            )
            .filter(migration::Column::Id.eq(moved.id))
            .exec(&txn)
            .await?;
        // A live migration that failed leaves the server running where it was.
        let before_hosts = before_hosts || moved.migration_type == "live-migration";
        let mut update = instance::Entity::update_many()
            .col_expr(
                instance::Column::TaskState,
                Expr::value(Option::<String>::None),
            )
            .col_expr(instance::Column::Vcpus, Expr::value(old_flavor.vcpus))
            .col_expr(
                instance::Column::MemoryMb,
                Expr::value(old_flavor.memory_mb),
            );
        if !before_hosts {
            update = update.col_expr(instance::Column::VmState, Expr::value("error"));
        }
        update
            .filter(instance::Column::Uuid.eq(&moved.instance_uuid))
            .exec(&txn)
            .await?;
        actions::add_fault(
            &txn,
            &moved.instance_uuid,
            500,
            message,
            moved.source_compute.as_deref(),
        )
        .await?;
        txn.commit().await?;
        let started = chrono::DateTime::from_timestamp(started_at, 0)
            .map_or(crate::domain::now(), |t| t.naive_utc());
        actions::end_event(
            &self.db,
            &EventEnd {
                instance_uuid: &moved.instance_uuid,
                request_id: &ctx.request_id,
                event,
                started_at: started,
                failure: Some(message),
                host: moved.source_compute.as_deref(),
            },
        )
        .await
    }

    /// `migration_update`.
    pub(super) async fn migration_update(
        &self,
        ctx: Context,
        update: MigrationUpdate,
    ) -> Result<(), RemoteError> {
        self.apply_move(&ctx, &update).await.map_err(internal)
    }

    async fn apply_move(
        &self,
        ctx: &Context,
        update: &MigrationUpdate,
    ) -> crate::domain::Result<()> {
        if update.status == "error" {
            return self
                .fail_move(
                    ctx,
                    &update.migration_uuid,
                    &update.fault,
                    &update.event,
                    update.started_at,
                    false,
                )
                .await;
        }
        let Some(moved) = migration::Entity::find()
            .filter(migration::Column::Uuid.eq(&update.migration_uuid))
            .one(&self.db)
            .await?
        else {
            return Ok(());
        };
        if update.status == "completed" || update.status == "done" {
            return self.complete_live(ctx, &moved, update).await;
        }
        let reverted = update.status == "reverted";
        let (flavor_json, flavorid, host, node, vm_state) = if reverted {
            let stopped = update.power_state == 4;
            (
                moved.old_flavor.clone().unwrap_or_default(),
                moved.old_flavorid.clone(),
                moved.source_compute.clone(),
                moved.source_node.clone(),
                if stopped { "stopped" } else { "active" },
            )
        } else {
            (
                moved.new_flavor.clone().unwrap_or_default(),
                moved.new_flavorid.clone(),
                moved.dest_compute.clone(),
                moved.dest_node.clone(),
                "resized",
            )
        };
        let flavor = InstanceFlavor::parse(&flavor_json);
        let old = InstanceFlavor::parse(moved.old_flavor.as_deref().unwrap_or_default());
        // Until it is confirmed, the larger of both flavors counts.
        let (vcpus, memory_mb) = if reverted {
            (flavor.vcpus, flavor.memory_mb)
        } else {
            (
                flavor.vcpus.max(old.vcpus),
                flavor.memory_mb.max(old.memory_mb),
            )
        };
        let now = crate::domain::now();
        let columns: Vec<(instance::Column, SimpleExpr)> = vec![
            (instance::Column::Flavor, Expr::value(&flavor_json)),
            (instance::Column::Flavorid, Expr::value(&flavorid)),
            (instance::Column::Vcpus, Expr::value(vcpus)),
            (instance::Column::MemoryMb, Expr::value(memory_mb)),
            (instance::Column::Host, Expr::value(host)),
            (instance::Column::Node, Expr::value(node)),
            (instance::Column::VmState, Expr::value(vm_state)),
            (
                instance::Column::PowerState,
                Expr::value(update.power_state),
            ),
            (
                instance::Column::TaskState,
                Expr::value(Option::<String>::None),
            ),
            (instance::Column::UpdatedAt, Expr::value(now)),
        ];
        let txn = self.db.begin().await?;
        let mut query = instance::Entity::update_many();
        for (column, value) in columns {
            query = query.col_expr(column, value);
        }
        query
            .filter(instance::Column::Uuid.eq(&moved.instance_uuid))
            .filter(instance::Column::Deleted.eq(false))
            .exec(&txn)
            .await?;
        if reverted {
            restore_allocation(&txn, &moved.instance_uuid, &moved.uuid).await?;
        }
        migration::Entity::update_many()
            .col_expr(migration::Column::Status, Expr::value(&update.status))
            .col_expr(migration::Column::UpdatedAt, Expr::value(now))
            .filter(migration::Column::Id.eq(moved.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        let started =
            chrono::DateTime::from_timestamp(update.started_at, 0).map_or(now, |t| t.naive_utc());
        actions::end_event(
            &self.db,
            &EventEnd {
                instance_uuid: &moved.instance_uuid,
                request_id: &ctx.request_id,
                event: &update.event,
                started_at: started,
                failure: None,
                host: moved.dest_compute.as_deref(),
            },
        )
        .await
    }

    /// A live migration or an evacuation that ended: the server on its
    /// destination (an evacuated one active or stopped as it was built), the
    /// source's allocation given back.
    async fn complete_live(
        &self,
        ctx: &Context,
        moved: &migration::Model,
        update: &MigrationUpdate,
    ) -> crate::domain::Result<()> {
        let now = crate::domain::now();
        let txn = self.db.begin().await?;
        let mut query = instance::Entity::update_many();
        if update.status == "done" {
            let state = if update.power_state == 4 {
                "stopped"
            } else {
                "active"
            };
            query = query
                .col_expr(instance::Column::VmState, Expr::value(state))
                .col_expr(instance::Column::LaunchedAt, Expr::value(now));
        }
        query
            .col_expr(
                instance::Column::Host,
                Expr::value(moved.dest_compute.clone()),
            )
            .col_expr(instance::Column::Node, Expr::value(moved.dest_node.clone()))
            .col_expr(
                instance::Column::PowerState,
                Expr::value(update.power_state),
            )
            .col_expr(
                instance::Column::TaskState,
                Expr::value(Option::<String>::None),
            )
            .col_expr(instance::Column::UpdatedAt, Expr::value(now))
            .filter(instance::Column::Uuid.eq(&moved.instance_uuid))
            .filter(instance::Column::Deleted.eq(false))
            .exec(&txn)
            .await?;
        allocation::Entity::delete_many()
            .filter(allocation::Column::ConsumerUuid.eq(&moved.uuid))
            .exec(&txn)
            .await?;
        // Its consoles' tokens point at the source (Nova's post live migration).
        crate::domain::consoles::forget_tokens(&txn, &moved.instance_uuid).await?;
        migration::Entity::update_many()
            .col_expr(migration::Column::Status, Expr::value(&update.status))
            .col_expr(migration::Column::UpdatedAt, Expr::value(now))
            .filter(migration::Column::Id.eq(moved.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        let started =
            chrono::DateTime::from_timestamp(update.started_at, 0).map_or(now, |t| t.naive_utc());
        actions::end_event(
            &self.db,
            &EventEnd {
                instance_uuid: &moved.instance_uuid,
                request_id: &ctx.request_id,
                event: &update.event,
                started_at: started,
                failure: None,
                host: moved.dest_compute.as_deref(),
            },
        )
        .await
    }
}
