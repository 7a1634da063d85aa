//! The scheduler role (`nova-scheduler`): for each server of a request it
//! picks a host (`filters`) and claims the server's resources there in the
//! `allocations` table — placement's model kept inside compute. Claims run
//! under one database lock, so two schedulers never place more on a host than
//! it has; a request whose servers cannot all be placed claims nothing.

mod filters;
mod hosts;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrostack_rpc::{RemoteError, Router, Runner, Transport};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter,
};
use tokio::sync::Mutex;

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
    cache: Mutex<Option<HostCache>>,
}

fn internal(e: impl std::fmt::Display) -> RemoteError {
    RemoteError {
        kind: "InternalError".into(),
        message: e.to_string(),
    }
}

/// The scheduler's view of the hosts, reloaded when older than this: between
/// reloads it learns of other schedulers' claims host by host as it claims.
const HOSTS_MAX_AGE: Duration = Duration::from_secs(1);

/// Hosts as last loaded, with what this scheduler claimed since.
struct HostCache {
    loaded_at: Instant,
    hosts: Vec<HostState>,
}

fn no_valid_host() -> RemoteError {
    RemoteError {
        kind: NO_VALID_HOST.into(),
        message: "No valid host was found. There are not enough hosts available.".into(),
    }
}

impl Scheduler {
    /// A scheduler on `db` with `cfg`'s capacity settings.
    pub fn new(db: DatabaseConnection, cfg: ComputeConfig) -> Self {
        Scheduler {
            db,
            cfg,
            cache: Mutex::new(None),
        }
    }

    /// Places every server of `spec` and claims its resources, or none.
    ///
    /// Hosts come from a cache at most `HOSTS_MAX_AGE` old; the host chosen is
    /// checked against the allocations in the database under the claim lock
    /// (another scheduler may have filled it), and a request that finds no
    /// host reloads every host once before giving up.
    pub async fn select_destinations(
        &self,
        spec: RequestSpec,
    ) -> Result<Destinations, RemoteError> {
        let mut cache = self.cache.lock().await;
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, CLAIM_LOCK)
            .await
            .map_err(internal)?;
        let mut fresh = false;
        if cache
            .as_ref()
            .is_none_or(|c| c.loaded_at.elapsed() > HOSTS_MAX_AGE)
        {
            *cache = Some(self.load(&txn).await?);
            fresh = true;
        }
        let Some(cached) = cache.as_mut() else {
            return Err(internal("no host cache"));
        };
        let mut want = hosts::want(&txn, &spec).await.map_err(internal)?;
        let mut destinations = Vec::new();
        for uuid in &spec.instance_uuids {
            // A request run again (redelivered to another conductor) finds
            // its claim made: the server stays where it was placed.
            let claimed = allocation::Entity::find()
                .filter(allocation::Column::ConsumerUuid.eq(uuid.as_str()))
                .one(&txn)
                .await
                .map_err(internal)?;
            if let Some(claimed) = claimed {
                let node = cached
                    .hosts
                    .iter()
                    .find(|h| h.host == claimed.host)
                    .map_or_else(|| claimed.host.clone(), |h| h.node.clone());
                destinations.push(Destination {
                    instance_uuid: uuid.clone(),
                    host: claimed.host,
                    node,
                });
                continue;
            }
            let i = loop {
                let Some(i) = choose(&cached.hosts, &want, &self.cfg.capacity) else {
                    if fresh {
                        return Err(no_valid_host());
                    }
                    *cached = self.load(&txn).await?;
                    fresh = true;
                    continue;
                };
                // What the database says the host holds now (claims of this
                // request included: they are in this transaction).
                let host = &mut cached.hosts[i];
                hosts::refresh_usage(&txn, host).await.map_err(internal)?;
                if host.passes(&want, &self.cfg.capacity) {
                    break i;
                }
            };
            let host = &mut cached.hosts[i];
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
            host.consume(&want);
            if let Some(group) = &mut want.group {
                *group.members_per_host.entry(host.host.clone()).or_default() += 1;
            }
            destinations.push(Destination {
                instance_uuid: uuid.clone(),
                host: host.host.clone(),
                node: host.node.clone(),
            });
        }
        match txn.commit().await {
            Ok(()) => Ok(Destinations { destinations }),
            Err(e) => {
                // The cache counted claims that did not happen.
                *cache = None;
                Err(internal(e))
            }
        }
    }

    async fn load(&self, txn: &DatabaseTransaction) -> Result<HostCache, RemoteError> {
        Ok(HostCache {
            hosts: hosts::load(txn, &self.cfg).await.map_err(internal)?,
            loaded_at: Instant::now(),
        })
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
