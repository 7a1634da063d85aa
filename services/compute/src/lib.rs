//! ferrostack compute: Nova v2.1 in Rust, as roles that talk over the shared
//! RPC transport — `api` (HTTP), `conductor` (writes what agents report) and
//! `agent` (a compute host and its driver) — in one process by default or each
//! alone. So far the API serves version discovery, flavors (extra specs,
//! access), key pairs, services and hypervisors; servers, and the scheduler
//! that places them, come next.

pub mod agent;
pub mod api;
pub mod conductor;
pub mod config;
pub mod db;
pub mod domain;
pub mod network_api;
pub mod policies;
pub mod rpc;
pub mod scheduler;
pub mod volume_api;

use std::sync::Arc;

use ferrostack_api::{ApiService, Envelope};
use ferrostack_config::Config;
use ferrostack_rpc::{Runner, Transport};
use tokio_util::sync::CancellationToken;

use crate::config::ComputeConfig;
use crate::domain::Nova;

/// A role this process plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    Api,
    Conductor,
    Scheduler,
    Agent,
}

/// The roles running in this process.
pub struct Running {
    /// The api role, when it runs here.
    pub api: Option<Arc<Nova>>,
    /// Their servers and periodic tasks.
    pub runner: Runner,
}

/// Opens (and migrates) the database when a role here needs it.
async fn database(cfg: &ComputeConfig) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = ferrostack_db::connect(&cfg.database).await?;
    if cfg.database.auto_migrate {
        ferrostack_db::migrate::<db::Migrator>(&db).await?;
    }
    Ok(db)
}

/// Starts `roles` on one transport.
pub async fn start(
    config: &Config,
    roles: &[Role],
    shutdown: CancellationToken,
) -> anyhow::Result<Running> {
    let cfg = ComputeConfig::from_config(config)?;
    let transport: Arc<dyn Transport> = cfg.messaging.transport().await?;
    let mut runner = Runner::new(shutdown);
    let db = if roles
        .iter()
        .any(|r| matches!(r, Role::Api | Role::Conductor | Role::Scheduler))
    {
        Some(database(&cfg).await?)
    } else {
        None
    };
    let api = match (&db, roles.contains(&Role::Api)) {
        (Some(db), true) => Some(Nova::new(cfg.clone(), db.clone(), transport.clone())?),
        _ => None,
    };
    if let (Some(db), true) = (&db, roles.contains(&Role::Conductor)) {
        conductor::start(&cfg, db.clone(), transport.clone(), &mut runner).await?;
    }
    if let (Some(db), true) = (&db, roles.contains(&Role::Scheduler)) {
        scheduler::start(&cfg, db.clone(), transport.clone(), &mut runner).await?;
    }
    if roles.contains(&Role::Agent) {
        agent::start(&cfg, transport, &mut runner).await?;
    }
    Ok(Running { api, runner })
}

/// The HTTP application of the api role.
pub fn api_service(nova: Arc<Nova>) -> anyhow::Result<ApiService> {
    let Some(auth) = nova.auth.clone() else {
        anyhow::bail!("[keystone_authtoken] auth_url is required to serve the compute API")
    };
    let body_limit = nova.cfg.service.body_limit;
    let (open, protected, openapi) = api::router_and_openapi(nova);
    Ok(ApiService {
        name: "compute",
        body_limit,
        router: open,
        protected: Some((protected, ferrostack_auth::gate(auth))),
        envelope: Envelope::Fault,
        openapi: Some(openapi),
        path_rewrite: Some(api::rewrite_legacy_urls),
    })
}

/// Runs `roles` until `shutdown`, serving HTTP when the api role is among them.
pub async fn serve(
    config: &Config,
    roles: &[Role],
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let running = start(config, roles, shutdown.clone()).await?;
    match running.api.clone() {
        Some(nova) => {
            let options = nova.cfg.service.clone();
            ferrostack_api::run(api_service(nova)?, &options, shutdown).await?;
        }
        None => shutdown.cancelled().await,
    }
    running.runner.stop().await;
    Ok(())
}
