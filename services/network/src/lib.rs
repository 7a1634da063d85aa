//! ferrostack network: Neutron v2.0 in Rust. The `server` role serves the API
//! over its database: networks with their segments, subnets and address
//! management, ports, security groups and tags. The agent role that wires
//! them on hosts (bridges, VXLAN, DHCP, routers) comes next.

pub mod api;
pub mod config;
pub mod db;
pub mod domain;
pub mod policies;

use std::sync::Arc;

use ferrostack_api::{ApiService, Envelope};
use ferrostack_config::Config;
use tokio_util::sync::CancellationToken;

use crate::config::NetworkConfig;
use crate::domain::Neutron;

/// A role this process plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// The API and its database (`neutron-server`).
    Server,
}

/// Opens (and migrates) the database and loads policy.
pub async fn build(config: &Config) -> anyhow::Result<Arc<Neutron>> {
    let cfg = NetworkConfig::from_config(config)?;
    let db = ferrostack_db::connect(&cfg.database).await?;
    if cfg.database.auto_migrate {
        ferrostack_db::migrate::<db::Migrator>(&db).await?;
    }
    Ok(Neutron::new(cfg, db)?)
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
    })
}

/// Runs `roles` until `shutdown`.
pub async fn serve(
    config: &Config,
    roles: &[Role],
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    if roles.contains(&Role::Server) {
        let neutron = build(config).await?;
        let options = neutron.cfg.service.clone();
        ferrostack_api::run(api_service(neutron)?, &options, shutdown).await?;
    } else {
        shutdown.cancelled().await;
    }
    Ok(())
}
