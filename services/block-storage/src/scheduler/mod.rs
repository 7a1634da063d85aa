//! The scheduler role: keeps the capabilities volume managers publish on its
//! fanout, and places each new volume on a backend (`select`, with the volume
//! type's extra specs matched by `extra_specs`), casting the create to that
//! backend's manager.

mod extra_specs;
mod select;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ferrostack_rpc::{Client, Context, RemoteError, Router, Runner, Transport};

use crate::config::BlockStorageConfig;
use crate::rpc::messages::{
    Capabilities, CreateVolume, Heartbeat, MigrateToHost, MigrateVolume, Pools, RetypeVolume,
    UserMessage, VolumeSpec, VolumeUpdate,
};
use crate::rpc::{api, remote, scheduler, volume};
pub(crate) use extra_specs::satisfied;
pub use select::{select, Demand};

/// The binary name `os-services` shows for schedulers.
pub const BINARY: &str = "cinder-scheduler";

struct Scheduler {
    backends: Mutex<HashMap<String, Capabilities>>,
    volume: Client<volume::Topic>,
    api: Client<api::Topic>,
    down_after: i64,
    /// Until when a scheduler that knows no backend yet waits for the first
    /// capabilities reports (a report interval after it started) rather than
    /// failing a create for want of backends.
    first_reports_by: tokio::time::Instant,
}

impl Scheduler {
    async fn create(&self, context: Context, create: CreateVolume) -> Result<(), RemoteError> {
        let Some(mut spec) = create.volume else {
            return Err(remote("Invalid", "create_volume without a volume"));
        };
        // Copies of a snapshot or volume go to the source's backend.
        let chosen = if !spec.host.is_empty() {
            Some(spec.host.clone())
        } else {
            self.place(&spec).await
        };
        match chosen {
            Some(host) => {
                spec.host = host.clone();
                let create = CreateVolume { volume: Some(spec) };
                self.volume
                    .cast::<volume::CreateVolume>(&context, Some(&host), &create)
                    .await
                    .map_err(|e| remote("Unavailable", e.to_string()))
            }
            None => {
                tracing::warn!(volume = spec.id, "no valid backend");
                let update = VolumeUpdate {
                    id: spec.id.clone(),
                    status: "error".into(),
                    from_status: vec!["creating".into()],
                    error: "No valid backend was found.".into(),
                    // schedule allocate volume: no available weighted backend.
                    message: Some(UserMessage {
                        action_id: "001".into(),
                        detail_id: "003".into(),
                    }),
                    ..VolumeUpdate::default()
                };
                self.report(&context, update).await
            }
        }
    }
}

impl Scheduler {
    /// The backend for a new volume. A new scheduler gives every backend until
    /// `first_reports_by` to report before it finds none fits: a volume of a
    /// type whose backend has not reported yet waits for it rather than fail
    /// because another backend reported first.
    async fn place(&self, spec: &VolumeSpec) -> Option<String> {
        loop {
            let chosen = {
                let backends = self.backends.lock().expect("capabilities lock");
                select(
                    backends.values(),
                    spec,
                    chrono::Utc::now().timestamp(),
                    self.down_after,
                )
                .map(|c| c.host.clone())
            };
            if chosen.is_some() || tokio::time::Instant::now() >= self.first_reports_by {
                return chosen;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    async fn report(
        &self,
        context: &ferrostack_rpc::Context,
        update: VolumeUpdate,
    ) -> Result<(), RemoteError> {
        self.api
            .call::<api::VolumeUpdate>(context, None, &update)
            .await
            .map_err(|e| remote("Unavailable", e.to_string()))
    }

    /// Keeps the volume where it is when its backend suits the new type, or
    /// asks its host to move it (policy on-demand); else the volume stays as it
    /// was, its type unchanged.
    async fn retype(&self, context: Context, retype: RetypeVolume) -> Result<(), RemoteError> {
        let Some(spec) = retype.volume else {
            return Err(remote("Invalid", "retype without a volume"));
        };
        let now = chrono::Utc::now().timestamp();
        let (stays, destination) = {
            let backends = self.backends.lock().expect("capabilities lock");
            let stays = backends
                .get(&spec.host)
                .is_some_and(|c| Demand::of(&spec).suits(c, now, self.down_after, false));
            let others = backends.values().filter(|c| c.host != spec.host);
            let destination = select(others, &spec, now, self.down_after).map(|c| c.host.clone());
            (stays, destination)
        };
        let done = |error: &str, migration_status: &str| VolumeUpdate {
            id: spec.id.clone(),
            status: retype.done_status.clone(),
            error: error.into(),
            migration_status: migration_status.into(),
            ..VolumeUpdate::default()
        };
        if stays {
            let update = VolumeUpdate {
                volume_type_id: spec.volume_type_id.clone(),
                ..done("", "")
            };
            return self.report(&context, update).await;
        }
        let refusal = if retype.migration_policy != "on-demand" {
            Some("Retype requires migration but is not allowed.")
        } else if retype.has_snapshots {
            Some("Volume must not have snapshots.")
        } else if retype.done_status != "available" {
            Some("Attached volumes move with the compute service, which this cloud does not run.")
        } else if destination.is_none() {
            Some("No valid backend was found.")
        } else {
            None
        };
        if let Some(why) = refusal {
            tracing::warn!(volume = spec.id, "retype failed: {why}");
            return self.report(&context, done(why, "")).await;
        }
        let dest_host = destination.unwrap_or_default();
        let migrate = MigrateVolume {
            id: spec.id.clone(),
            host: spec.host.clone(),
            dest_host,
            volume_type_id: spec.volume_type_id.clone(),
            size_gb: spec.size_gb,
            done_status: retype.done_status.clone(),
        };
        self.volume
            .cast::<volume::MigrateVolume>(&context, Some(&spec.host), &migrate)
            .await
            .map_err(|e| remote("Unavailable", e.to_string()))
    }
}

impl Scheduler {
    /// os-migrate_volume: asks the volume's host to move it to the backend the
    /// admin named when that backend passes the filters for the volume (its
    /// type, zone and size); else the migration fails and the volume stays.
    async fn migrate_to_host(
        &self,
        context: Context,
        migrate: MigrateToHost,
    ) -> Result<(), RemoteError> {
        let Some(spec) = migrate.volume else {
            return Err(remote("Invalid", "migrate_to_host without a volume"));
        };
        let passes = self
            .backends
            .lock()
            .expect("capabilities lock")
            .get(&migrate.dest_host)
            .is_some_and(|c| {
                let now = chrono::Utc::now().timestamp();
                Demand::of(&spec).suits(c, now, self.down_after, true)
            });
        let refusal = if migrate.attached {
            Some("Attached volumes move with the compute service, which this cloud does not run.")
        } else if !passes {
            Some("No valid backend was found.")
        } else {
            None
        };
        if let Some(why) = refusal {
            tracing::warn!(volume = spec.id, "migration failed: {why}");
            let update = VolumeUpdate {
                id: spec.id.clone(),
                status: migrate.done_status.clone(),
                error: why.into(),
                migration_status: "error".into(),
                ..VolumeUpdate::default()
            };
            return self.report(&context, update).await;
        }
        let order = MigrateVolume {
            id: spec.id.clone(),
            host: spec.host.clone(),
            dest_host: migrate.dest_host.clone(),
            volume_type_id: String::new(),
            size_gb: spec.size_gb,
            done_status: migrate.done_status.clone(),
        };
        if let Err(e) = self
            .volume
            .cast::<volume::MigrateVolume>(&context, Some(&spec.host), &order)
            .await
        {
            // Nobody else would end the migration the api role started.
            let update = VolumeUpdate {
                id: spec.id.clone(),
                status: migrate.done_status.clone(),
                error: format!("the volume host is unreachable: {e}"),
                migration_status: "error".into(),
                ..VolumeUpdate::default()
            };
            return self.report(&context, update).await;
        }
        Ok(())
    }
}

impl Scheduler {
    fn keep(&self, capabilities: Capabilities) {
        self.backends
            .lock()
            .expect("capabilities lock")
            .insert(capabilities.host.clone(), capabilities);
    }

    /// The backends with fresh reports, by host.
    fn pools(&self) -> Pools {
        let now = chrono::Utc::now().timestamp();
        let mut pools: Vec<Capabilities> = self
            .backends
            .lock()
            .expect("capabilities lock")
            .values()
            .filter(|c| now - c.reported_at <= self.down_after)
            .cloned()
            .collect();
        pools.sort_by(|a, b| a.host.cmp(&b.host));
        Pools { pools }
    }

    fn router(self: Arc<Self>) -> Router<scheduler::Topic, Self> {
        Router::new(self)
            .route::<scheduler::UpdateCapabilities, _, _>(|s, _, capabilities| async move {
                s.keep(capabilities);
                Ok(())
            })
            .route::<scheduler::GetPools, _, _>(|s, _, ()| async move { Ok(s.pools()) })
            .route::<scheduler::CreateVolume, _, _>(|s, context, create| async move {
                s.create(context, create).await
            })
            .route::<scheduler::Retype, _, _>(|s, context, retype| async move {
                s.retype(context, retype).await
            })
            .route::<scheduler::MigrateToHost, _, _>(|s, context, migrate| async move {
                s.migrate_to_host(context, migrate).await
            })
    }
}

/// Serves the scheduler topic and sends heartbeats, on `runner`.
pub async fn start(
    cfg: &BlockStorageConfig,
    transport: Arc<dyn Transport>,
    runner: &mut Runner,
) -> anyhow::Result<()> {
    let timeout = cfg.messaging.rpc_response_timeout;
    let api = Client::<api::Topic>::new(transport.clone(), timeout);
    let scheduler = Arc::new(Scheduler {
        backends: Mutex::new(HashMap::new()),
        volume: Client::new(transport.clone(), timeout),
        api: api.clone(),
        down_after: cfg.service_down_time.as_secs() as i64,
        first_reports_by: tokio::time::Instant::now()
            + cfg.report_interval
            + std::time::Duration::from_secs(1),
    });
    runner.serve(
        scheduler
            .router()
            .serve(&transport, &cfg.service.host)
            .await?,
    );
    let beat = Heartbeat {
        host: cfg.service.host.clone(),
        binary: BINARY.into(),
        availability_zone: cfg.storage_zone.clone(),
    };
    runner.every("scheduler heartbeat", cfg.report_interval, move || {
        let (api, beat) = (api.clone(), beat.clone());
        async move {
            if let Err(e) = api
                .cast::<api::Heartbeat>(&ferrostack_rpc::Context::internal(), None, &beat)
                .await
            {
                tracing::warn!("scheduler heartbeat not sent: {e}");
            }
        }
    });
    Ok(())
}
