//! The scheduler role (`nova-scheduler`): for each server of a request it
//! picks a host (`filters`) and claims the server's resources there in the
//! `allocations` table — placement's model kept inside compute. Claims run
//! under one database lock, so two schedulers never place more on a host than
//! it has; a request whose servers cannot all be placed claims nothing.

mod filters;
mod hosts;

use std::sync::Arc;

use ferrostack_rpc::{RemoteError, Router, Runner, Transport};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

pub use filters::{choose, Capacity, Group, GroupPolicy, HostState, Want};

use crate::config::ComputeConfig;
use crate::db::entity::allocation;
use crate::rpc::messages::{Destination, Destinations, RequestSpec};
use crate::rpc::scheduler;

/// The binary name `os-services` shows for schedulers.
pub const BINARY: &str = "nova-scheduler";

/// The lock every claim takes (a `quota_locks` row of its own).
const CLAIM_LOCK: &str = "compute-scheduler-claims";

/// The error kind the conductor turns into the server's fault.
pub const NO_VALID_HOST: &str = "NoValidHost";

/// The scheduler's state.
pub struct Scheduler {
    db: DatabaseConnection,
    cfg: ComputeConfig,
}

fn internal(e: impl std::fmt::Display) -> RemoteError {
    RemoteError {
        kind: "InternalError".into(),
        message: e.to_string(),
    }
}

impl Scheduler {
    /// A scheduler on `db` with `cfg`'s capacity settings.
    pub fn new(db: DatabaseConnection, cfg: ComputeConfig) -> Self {
        Scheduler { db, cfg }
    }

    /// Places every server of `spec` and claims its resources, or none.
    pub async fn select_destinations(
        &self,
        spec: RequestSpec,
    ) -> Result<Destinations, RemoteError> {
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, CLAIM_LOCK)
            .await
            .map_err(internal)?;
        let mut hosts = hosts::load(&txn, &self.cfg).await.map_err(internal)?;
        let mut want = hosts::want(&txn, &spec).await.map_err(internal)?;
        let mut destinations = Vec::new();
        for uuid in &spec.instance_uuids {
            let Some(i) = choose(&hosts, &want, &self.cfg.capacity) else {
                drop(txn);
                return Err(RemoteError {
                    kind: NO_VALID_HOST.into(),
                    message: "No valid host was found. There are not enough hosts available."
                        .into(),
                });
            };
            let host = &mut hosts[i];
            host.consume(&want);
            if let Some(group) = &mut want.group {
                *group.members_per_host.entry(host.host.clone()).or_default() += 1;
            }
            allocation::Entity::insert(allocation::ActiveModel {
                consumer_uuid: Set(uuid.clone()),
                host: Set(host.host.clone()),
                vcpu: Set(want.vcpus),
                memory_mb: Set(want.memory_mb),
                disk_gb: Set(want.disk_gb),
                project_id: Set(spec.project_id.clone()),
            })
            .exec(&txn)
            .await
            .map_err(internal)?;
            destinations.push(Destination {
                instance_uuid: uuid.clone(),
                host: host.host.clone(),
                node: host.node.clone(),
            });
        }
        txn.commit().await.map_err(internal)?;
        Ok(Destinations { destinations })
    }

    fn router(self: Arc<Self>) -> Router<scheduler::Topic, Self> {
        Router::new(self).route::<scheduler::SelectDestinations, _, _>(|s, _, spec| async move {
            s.select_destinations(spec).await
        })
    }
}

/// Starts the scheduler on `runner`: its server, and its own heartbeat.
pub async fn start(
    cfg: &ComputeConfig,
    db: DatabaseConnection,
    transport: Arc<dyn Transport>,
    runner: &mut Runner,
) -> anyhow::Result<()> {
    let scheduler = Arc::new(Scheduler::new(db.clone(), cfg.clone()));
    runner.serve(
        scheduler
            .router()
            .serve(&transport, &cfg.service.host)
            .await?,
    );
    crate::conductor::heartbeat_every(runner, cfg, db, BINARY);
    Ok(())
}
