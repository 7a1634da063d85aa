//! ferrostack network: Neutron v2.0 in Rust. The `server` role serves the API
//! over its database (networks with their segments, subnets and address
//! management, ports, security groups, routers, floating IPs, tags, quotas,
//! agents) and the agents' RPC endpoints; the `agent` role reports a host's
//! agents and wires the ports bound to it: onto Linux bridges and VXLAN,
//! with dnsmasq serving the DHCP of the networks scheduled to it, with the
//! `linux` data plane, or not at all with `noop` (routers' namespaces, NAT
//! and security groups come next).

pub mod agent;
pub mod api;
pub mod config;
pub mod db;
pub mod domain;
pub mod policies;
pub mod rpc;
pub mod server;

use std::sync::Arc;

use ferrostack_api::{ApiService, Envelope};
use ferrostack_config::Config;
use ferrostack_rpc::{Runner, Transport};
use tokio_util::sync::CancellationToken;

use crate::config::NetworkConfig;
use crate::domain::Neutron;

/// A role this process plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// The API, its database and the agents' RPC endpoints (`neutron-server`).
    Server,
    /// A host's agent: L2, DHCP, L3 and metadata in one.
    Agent,
}

/// Opens (and migrates) the database and loads policy; agents are told of
/// port changes over `transport`.
pub async fn build_on(
    config: &Config,
    transport: Arc<dyn Transport>,
) -> anyhow::Result<Arc<Neutron>> {
    let cfg = NetworkConfig::from_config(config)?;
    let db = ferrostack_db::connect(&cfg.database).await?;
    if cfg.database.auto_migrate {
        ferrostack_db::migrate::<db::Migrator>(&db).await?;
    }
    Ok(Neutron::new(cfg, db, transport)?)
}

/// [`build_on`] the configured transport.
pub async fn build(config: &Config) -> anyhow::Result<Arc<Neutron>> {
    let cfg = NetworkConfig::from_config(config)?;
    build_on(config, cfg.messaging.transport().await?).await
}

/// The HTTP application of the server role.
pub fn api_service(neutron: Arc<Neutron>) -> anyhow::Result<ApiService> {
    let Some(auth) = neutron.auth.clone() else {
        anyhow::bail!("[keystone_authtoken] auth_url is required to serve the network API")
    };
    let body_limit = neutron.cfg.service.body_limit;
    let (open, protected, openapi) = api::router_and_openapi(neutron);
    Ok(ApiService {
        name: "network",
        body_limit,
        router: open,
        protected: Some((protected, ferrostack_auth::gate(auth))),
        envelope: Envelope::Neutron,
        openapi: Some(openapi),
        path_rewrite: None,
    })
}

/// The roles running in this process.
pub struct Running {
    /// The server role, when it runs here.
    pub server: Option<Arc<Neutron>>,
    /// Their RPC servers and periodic tasks.
    pub runner: Runner,
}

/// Starts `roles` on one transport.
pub async fn start(
    config: &Config,
    roles: &[Role],
    shutdown: CancellationToken,
) -> anyhow::Result<Running> {
    let cfg = NetworkConfig::from_config(config)?;
    let transport = cfg.messaging.transport().await?;
    let mut runner = Runner::new(shutdown);
    let server = if roles.contains(&Role::Server) {
        let neutron = build_on(config, transport.clone()).await?;
        server::start(neutron.clone(), &transport, &mut runner).await?;
        Some(neutron)
    } else {
        None
    };
    if roles.contains(&Role::Agent) {
        agent::start(&cfg, transport, &mut runner).await?;
    }
    Ok(Running { server, runner })
}

/// Runs `roles` until `shutdown`, serving HTTP when the server role is
/// among them.
pub async fn serve(
    config: &Config,
    roles: &[Role],
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let running = start(config, roles, shutdown.clone()).await?;
    match running.server.clone() {
        Some(neutron) => {
            let options = neutron.cfg.service.clone();
            ferrostack_api::run(api_service(neutron)?, &options, shutdown).await?;
        }
        None => shutdown.cancelled().await,
    }
    running.runner.stop().await;
    Ok(())
}
