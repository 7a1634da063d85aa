//! The conductor role (`nova-conductor`): it builds servers — a host from the
//! scheduler, then the build cast to that host's agent — and writes what the
//! agents report (heartbeats, nodes' resources, servers' states), so agents
//! need no database credentials.

mod build;
mod build_timeout;
mod migrate;
mod reclaim;
mod reports;
mod updates;
mod volumes;

use std::sync::Arc;
use std::time::Duration;

use ferrostack_rpc::{Client, RemoteError, Router, Runner, Transport};
use sea_orm::DatabaseConnection;

use crate::config::ComputeConfig;
use crate::rpc::{agent, conductor, scheduler};

/// The binary name `os-services` shows for conductors.
pub const BINARY: &str = "nova-conductor";

/// The conductor's state: the database and the roles it calls.
pub struct Conductor {
    db: DatabaseConnection,
    scheduler: Client<scheduler::Topic>,
    agents: Client<agent::Topic>,
    /// The service user's credentials, for work no user's request carries.
    auth: Option<Arc<ferrostack_auth::Authenticator>>,
    /// The network API, for the ports of a server deleted while it was built.
    networks: crate::network_api::NetworkApi,
}

fn internal(e: impl std::fmt::Display) -> RemoteError {
    RemoteError {
        kind: "InternalError".into(),
        message: e.to_string(),
    }
}

impl Conductor {
    fn router(self: Arc<Self>) -> Router<conductor::Topic, Self> {
        Router::new(self)
            .route::<conductor::Heartbeat, _, _>(
                |c, _, beat| async move { c.heartbeat(beat).await },
            )
            .route::<conductor::ReportNode, _, _>(|c, _, report| async move {
                c.report_node(report).await
            })
            .route::<conductor::BuildInstances, _, _>(|c, ctx, request| async move {
                c.build_instances(ctx, request).await
            })
            .route::<conductor::InstanceUpdate, _, _>(|c, ctx, update| async move {
                c.instance_update(ctx, update).await
            })
            .route::<conductor::VolumeUpdate, _, _>(|c, ctx, update| async move {
                c.volume_update(ctx, update).await
            })
            .route::<conductor::MigrateServer, _, _>(|c, ctx, request| async move {
                c.migrate_server(ctx, request).await
            })
            .route::<conductor::MigrationUpdate, _, _>(|c, ctx, update| async move {
                c.migration_update(ctx, update).await
            })
    }
}

/// Records `binary`'s heartbeat on this host every `report_interval` (the
/// roles that hold the database write their own).
pub fn heartbeat_every(
    runner: &mut Runner,
    cfg: &ComputeConfig,
    db: DatabaseConnection,
    binary: &'static str,
) {
    let (host, zone) = (cfg.service.host.clone(), cfg.internal_zone.clone());
    runner.every("heartbeat", cfg.report_interval, move || {
        let (db, host, zone) = (db.clone(), host.clone(), zone.clone());
        async move {
            if let Err(e) = reports::record_heartbeat(&db, &host, binary, &zone).await {
                tracing::warn!(binary, "heartbeat not recorded: {e}");
            }
        }
    });
}

/// Starts the conductor on `runner`: its server, and its own heartbeat.
pub async fn start(
    cfg: &ComputeConfig,
    db: DatabaseConnection,
    transport: Arc<dyn Transport>,
    runner: &mut Runner,
) -> anyhow::Result<()> {
    let timeout = cfg.messaging.rpc_response_timeout;
    let auth = cfg.auth.clone().map(ferrostack_auth::Authenticator::new);
    let conductor = Arc::new(Conductor {
        db: db.clone(),
        scheduler: Client::new(transport.clone(), timeout),
        agents: Client::new(transport.clone(), timeout),
        networks: crate::network_api::NetworkApi::new(
            cfg.neutron_endpoint.clone(),
            auth.clone(),
            cfg.neutron_timeouts,
        ),
        auth,
    });
    runner.serve(
        conductor
            .clone()
            .router()
            .serve(&transport, &cfg.service.host)
            .await?,
    );
    heartbeat_every(runner, cfg, db.clone(), BINARY);
    if let Some(interval) = cfg.reclaim_instance_interval {
        let every = interval.clamp(Duration::from_secs(1), Duration::from_secs(60));
        let conductor = conductor.clone();
        runner.every("reclaim", every, move || {
            let conductor = conductor.clone();
            async move {
                if let Err(e) = conductor.reclaim(interval).await {
                    tracing::warn!("soft-deleted servers not reclaimed: {e}");
                }
            }
        });
    }
    if let Some(build_timeout) = cfg.instance_build_timeout {
        let every = (build_timeout / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
        runner.every("build timeout", every, move || {
            let db = db.clone();
            async move {
                if let Err(e) = build_timeout::fail_stuck_builds(&db, build_timeout).await {
                    tracing::warn!("stuck builds not checked: {e}");
                }
            }
        });
    }
    Ok(())
}
