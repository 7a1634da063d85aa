//! Building new servers: the scheduler places them and claims their
//! resources, each placed server's host gets the build, and a server that
//! cannot be placed or reached ends in ERROR with a fault.

use ferrostack_rpc::{Context, RemoteError, RpcError};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

use super::{internal, Conductor};
use crate::db::entity::{allocation, block_device_mapping, instance, instance_metadata};
use crate::domain::actions::{self, EventEnd};
use crate::domain::servers::{build_message, networks};
use crate::rpc::messages::{BlockDevice, BuildInstances, Destination};
use crate::rpc::{agent, scheduler};
use crate::scheduler::NO_VALID_HOST;

fn now() -> chrono::NaiveDateTime {
    crate::domain::now()
}

impl Conductor {
    /// `schedule_and_build_instances`.
    pub(super) async fn build_instances(
        &self,
        ctx: Context,
        request: BuildInstances,
    ) -> Result<(), RemoteError> {
        let started = now();
        let mut spec = request.spec.clone().unwrap_or_default();
        // Run again (redelivered to another conductor), the request builds
        // only the servers not placed yet: the others' builds went out.
        let waiting = self
            .awaiting_placement(&request.instance_uuids)
            .await
            .map_err(internal)?;
        if waiting.len() < request.instance_uuids.len() {
            tracing::info!(
                placed = request.instance_uuids.len() - waiting.len(),
                "servers of a request run again were placed already"
            );
        }
        if waiting.is_empty() {
            return Ok(());
        }
        spec.instance_uuids.retain(|uuid| waiting.contains(uuid));
        let request = BuildInstances {
            instance_uuids: waiting,
            spec: None,
            ..request
        };
        let placed = self
            .scheduler
            .call::<scheduler::SelectDestinations>(&ctx, None, &spec)
            .await;
        let unshelve =
            (!request.unshelve_image_id.is_empty()).then_some(&request.unshelve_image_id);
        let destinations = match placed {
            Ok(placed) => placed.destinations,
            Err(e) => {
                let message = match e {
                    RpcError::Remote(remote) if remote.kind == NO_VALID_HOST => remote.message,
                    other => format!("The scheduler failed: {other}"),
                };
                for uuid in &request.instance_uuids {
                    if unshelve.is_some() {
                        self.fail_unshelve(&ctx, uuid, &message, started)
                            .await
                            .map_err(internal)?;
                        continue;
                    }
                    self.fail_build(&ctx, uuid, &message, started, None)
                        .await
                        .map_err(internal)?;
                }
                return Ok(());
            }
        };
        for destination in destinations {
            if let Err(message) = self.send_build(&ctx, &destination, started, unshelve).await {
                self.fail_build(
                    &ctx,
                    &destination.instance_uuid,
                    &message,
                    started,
                    Some(&destination.host),
                )
                .await
                .map_err(internal)?;
            }
        }
        Ok(())
    }

    /// Of `uuids`, in order, the servers that are not deleted and on no
    /// host yet (a new server, or an offloaded one being unshelved).
    async fn awaiting_placement(&self, uuids: &[String]) -> Result<Vec<String>, sea_orm::DbErr> {
        let waiting: std::collections::HashSet<String> = instance::Entity::find()
            .filter(instance::Column::Uuid.is_in(uuids.iter().cloned()))
            .filter(instance::Column::Deleted.eq(false))
            .filter(instance::Column::Host.is_null())
            .all(&self.db)
            .await?
            .into_iter()
            .map(|i| i.uuid)
            .collect();
        Ok(uuids
            .iter()
            .filter(|uuid| waiting.contains(*uuid))
            .cloned()
            .collect())
    }

    /// Puts a placed server on its host and casts the build there.
    async fn send_build(
        &self,
        ctx: &Context,
        destination: &Destination,
        started: chrono::NaiveDateTime,
        unshelve: Option<&String>,
    ) -> Result<(), String> {
        let uuid = &destination.instance_uuid;
        let placed = instance::Entity::update_many()
            .col_expr(instance::Column::Host, Expr::value(&destination.host))
            .col_expr(instance::Column::Node, Expr::value(&destination.node))
            .col_expr(instance::Column::TaskState, Expr::value("spawning"))
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(uuid))
            .filter(instance::Column::Deleted.eq(false))
            .exec(&self.db)
            .await
            .map_err(|e| e.to_string())?;
        let row = instance::Entity::find_by_id(uuid)
            .one(&self.db)
            .await
            .map_err(|e| e.to_string())?;
        let Some(row) = row.filter(|_| placed.rows_affected == 1) else {
            // Deleted while it was scheduled: give back what was claimed.
            self.release(uuid).await.map_err(|e| e.to_string())?;
            return Ok(());
        };
        let conductor_event = if unshelve.is_some() {
            "conductor_unshelve_instance"
        } else {
            "conductor_schedule_and_build_instances"
        };
        for event in [conductor_event, "schedule_instances"] {
            actions::end_event(
                &self.db,
                &EventEnd {
                    instance_uuid: uuid,
                    request_id: &ctx.request_id,
                    event,
                    started_at: started,
                    failure: None,
                    host: None,
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        }
        let metadata = instance_metadata::Entity::find()
            .filter(instance_metadata::Column::InstanceUuid.eq(uuid))
            .all(&self.db)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|m| (m.key, m.value))
            .collect();
        let mut build = build_message(&row, &metadata);
        build.block_devices = self.block_devices(uuid).await.map_err(|e| e.to_string())?;
        if let Some(image) = unshelve {
            build.image_id = image.clone();
            build.event = crate::agent::UNSHELVE_EVENT.into();
            build.vifs_json = networks::stored_json(&self.db, uuid)
                .await
                .map_err(|e| e.to_string())?;
        } else {
            let requested = networks::requested(&self.db, uuid)
                .await
                .map_err(|e| e.to_string())?;
            if !requested.is_empty() {
                build.networks_json = serde_json::to_string(&requested).unwrap_or_default();
            }
        }
        self.agents
            .cast::<agent::BuildAndRun>(ctx, Some(&destination.host), &build)
            .await
            .map_err(|e| format!("The compute host {} is unreachable: {e}", destination.host))
    }

    /// Ends a build in ERROR with `message` as its fault (Nova's code 500).
    async fn fail_build(
        &self,
        ctx: &Context,
        uuid: &str,
        message: &str,
        started: chrono::NaiveDateTime,
        host: Option<&str>,
    ) -> crate::domain::Result<()> {
        self.release(uuid).await?;
        // The error and its fault land together: no reader sees one alone.
        let txn = self.db.begin().await?;
        let failed = instance::Entity::update_many()
            .col_expr(instance::Column::VmState, Expr::value("error"))
            .col_expr(
                instance::Column::TaskState,
                Expr::value(Option::<String>::None),
            )
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(uuid))
            .filter(instance::Column::Deleted.eq(false))
            .exec(&txn)
            .await?;
        if failed.rows_affected == 0 {
            return Ok(());
        }
        actions::add_fault(&txn, uuid, 500, message, host).await?;
        txn.commit().await?;
        actions::end_event(
            &self.db,
            &EventEnd {
                instance_uuid: uuid,
                request_id: &ctx.request_id,
                event: "conductor_schedule_and_build_instances",
                started_at: started,
                failure: Some(message),
                host: None,
            },
        )
        .await
    }

    /// The volumes server `uuid` is built with, as its host needs them.
    pub(super) async fn block_devices(
        &self,
        uuid: &str,
    ) -> crate::domain::Result<Vec<BlockDevice>> {
        Ok(block_device_mapping::Entity::find()
            .filter(block_device_mapping::Column::InstanceUuid.eq(uuid))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| BlockDevice {
                bdm_uuid: m.uuid,
                source_type: m.source_type,
                volume_id: m.volume_id.unwrap_or_default(),
                image_id: m.image_id.unwrap_or_default(),
                snapshot_id: m.snapshot_id.unwrap_or_default(),
                volume_size: m.volume_size.unwrap_or(0),
                device: m.device_name,
                attachment_id: m.attachment_id.unwrap_or_default(),
            })
            .collect())
    }

    /// An offloaded server no host can take stays shelved (Nova's warning),
    /// its unshelve event failed.
    async fn fail_unshelve(
        &self,
        ctx: &Context,
        uuid: &str,
        message: &str,
        started: chrono::NaiveDateTime,
    ) -> crate::domain::Result<()> {
        tracing::warn!(
            instance = uuid,
            "no valid host found for unshelve: {message}"
        );
        instance::Entity::update_many()
            .col_expr(
                instance::Column::TaskState,
                Expr::value(Option::<String>::None),
            )
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(uuid))
            .exec(&self.db)
            .await?;
        actions::end_event(
            &self.db,
            &EventEnd {
                instance_uuid: uuid,
                request_id: &ctx.request_id,
                event: "conductor_unshelve_instance",
                started_at: started,
                failure: Some(message),
                host: None,
            },
        )
        .await
    }

    /// Gives back the resources a server holds.
    pub(super) async fn release(&self, uuid: &str) -> crate::domain::Result<()> {
        allocation::Entity::delete_many()
            .filter(allocation::Column::ConsumerUuid.eq(uuid))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
