//! The scheduler role: keeps the capabilities volume managers publish on its
//! fanout, and places each new volume on a backend (`select`, with the volume
//! type's extra specs matched by `extra_specs`), casting the create to that
//! backend's manager.

mod extra_specs;
mod select;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ferrostack_proto::block_storage::{
    Capabilities, CreateVolume, Empty, Heartbeat, MigrateToHost, MigrateVolume, Pools,
    RetypeVolume, UserMessage, VolumeUpdate,
};
use ferrostack_rpc::{Handler, RemoteError, Request, RpcClient, ServerHandle, Transport};
use prost::Message;
use tokio_util::sync::CancellationToken;

use crate::config::BlockStorageConfig;
use crate::rpc::{self, decode, remote};
pub(crate) use extra_specs::satisfied;
pub use select::{select, Demand};

/// The binary name `os-services` shows for schedulers.
pub const BINARY: &str = "cinder-scheduler";

struct Scheduler {
    backends: Mutex<HashMap<String, Capabilities>>,
    volume: RpcClient,
    api: RpcClient,
    down_after: i64,
    /// Until when a scheduler that knows no backend yet waits for the first
    /// capabilities reports (a report interval after it started) rather than
    /// failing a create for want of backends.
    first_reports_by: tokio::time::Instant,
}

impl Scheduler {
    async fn create(&self, request: Request) -> Result<(), RemoteError> {
        let create: CreateVolume = decode(&request.payload)?;
        let Some(mut spec) = create.volume else {
            return Err(remote("Invalid", "create_volume without a volume"));
        };
        // Copies of a snapshot or volume go to the source's backend.
        if spec.host.is_empty() {
            self.wait_for_reports().await;
        }
        let chosen = if !spec.host.is_empty() {
            Some(spec.host.clone())
        } else {
            let backends = self.backends.lock().expect("capabilities lock");
            select(
                backends.values(),
                &spec,
                chrono::Utc::now().timestamp(),
                self.down_after,
            )
            .map(|c| c.host.clone())
        };
        let context = request.context.unwrap_or_default();
        match chosen {
            Some(host) => {
                spec.host = host.clone();
                let create = CreateVolume { volume: Some(spec) };
                self.volume
                    .cast(&context, Some(&host), rpc::CREATE_VOLUME, &create)
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
                let _: Empty = self
                    .api
                    .call(&context, None, rpc::VOLUME_UPDATE, &update)
                    .await
                    .map_err(|e| remote("Unavailable", e.to_string()))?;
                Ok(())
            }
        }
    }
}

impl Scheduler {
    /// Waits, while the scheduler is new and knows no backend, for the first
    /// capabilities reports.
    async fn wait_for_reports(&self) {
        while self.backends.lock().expect("capabilities lock").is_empty()
            && tokio::time::Instant::now() < self.first_reports_by
        {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    async fn report(
        &self,
        context: &ferrostack_rpc::Context,
        update: VolumeUpdate,
    ) -> Result<(), RemoteError> {
        let _: Empty = self
            .api
            .call(context, None, rpc::VOLUME_UPDATE, &update)
            .await
            .map_err(|e| remote("Unavailable", e.to_string()))?;
        Ok(())
    }

    /// Keeps the volume where it is when its backend suits the new type, or
    /// asks its host to move it (policy on-demand); else the volume stays as it
    /// was, its type unchanged.
    async fn retype(&self, request: Request) -> Result<(), RemoteError> {
        let retype: RetypeVolume = decode(&request.payload)?;
        let Some(spec) = retype.volume else {
            return Err(remote("Invalid", "retype without a volume"));
        };
        let context = request.context.unwrap_or_default();
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
            .cast(&context, Some(&spec.host), rpc::MIGRATE_VOLUME, &migrate)
            .await
            .map_err(|e| remote("Unavailable", e.to_string()))
    }
}

impl Scheduler {
    /// os-migrate_volume: asks the volume's host to move it to the backend the
    /// admin named when that backend passes the filters for the volume (its
    /// type, zone and size); else the migration fails and the volume stays.
    async fn migrate_to_host(&self, request: Request) -> Result<(), RemoteError> {
        let migrate: MigrateToHost = decode(&request.payload)?;
        let Some(spec) = migrate.volume else {
            return Err(remote("Invalid", "migrate_to_host without a volume"));
        };
        let context = request.context.unwrap_or_default();
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
            .cast(&context, Some(&spec.host), rpc::MIGRATE_VOLUME, &order)
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

#[async_trait::async_trait]
impl Handler for Scheduler {
    async fn handle(&self, request: Request) -> Result<bytes::Bytes, RemoteError> {
        match request.method.as_str() {
            rpc::UPDATE_CAPABILITIES => {
                let capabilities: Capabilities = decode(&request.payload)?;
                self.backends
                    .lock()
                    .expect("capabilities lock")
                    .insert(capabilities.host.clone(), capabilities);
            }
            rpc::GET_POOLS => {
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
                return Ok(Pools { pools }.encode_to_vec().into());
            }
            rpc::CREATE_VOLUME => self.create(request).await?,
            rpc::RETYPE => self.retype(request).await?,
            rpc::MIGRATE_TO_HOST => self.migrate_to_host(request).await?,
            other => return Err(remote("NotFound", format!("no method {other}"))),
        }
        Ok(Empty::default().encode_to_vec().into())
    }
}

/// The running scheduler role.
pub struct SchedulerRole {
    _server: ServerHandle,
}

/// Serves the scheduler topic and sends heartbeats until `shutdown`.
pub async fn start(
    cfg: &BlockStorageConfig,
    transport: Arc<dyn Transport>,
    shutdown: CancellationToken,
) -> anyhow::Result<SchedulerRole> {
    let timeout = cfg.messaging.rpc_response_timeout;
    let api = RpcClient::new(transport.clone(), rpc::API_TOPIC, timeout);
    let scheduler = Arc::new(Scheduler {
        backends: Mutex::new(HashMap::new()),
        volume: RpcClient::new(transport.clone(), rpc::VOLUME_TOPIC, timeout),
        api: api.clone(),
        down_after: cfg.service_down_time.as_secs() as i64,
        first_reports_by: tokio::time::Instant::now()
            + cfg.report_interval
            + std::time::Duration::from_secs(1),
    });
    let server = transport
        .serve(rpc::SCHEDULER_TOPIC, &cfg.service.host, scheduler)
        .await?;
    let beat = Heartbeat {
        host: cfg.service.host.clone(),
        binary: BINARY.into(),
        availability_zone: cfg.storage_zone.clone(),
    };
    let interval = cfg.report_interval;
    tokio::spawn(async move {
        loop {
            if let Err(e) = api
                .cast(&rpc::internal_context(), None, rpc::HEARTBEAT, &beat)
                .await
            {
                tracing::warn!("scheduler heartbeat not sent: {e}");
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(interval) => {}
            }
        }
    });
    Ok(SchedulerRole { _server: server })
}
