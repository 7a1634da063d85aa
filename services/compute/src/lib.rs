//! ferrostack compute: Nova v2.1 in Rust. So far the `api` role alone, serving
//! version discovery, flavors (extra specs, access) and key pairs; servers,
//! and the conductor, scheduler and agent roles that build them, come next.

pub mod api;
pub mod config;
pub mod db;
pub mod domain;
pub mod policies;

use std::sync::Arc;

use ferrostack_api::{ApiService, Envelope};
use ferrostack_config::Config;
use tokio_util::sync::CancellationToken;

use crate::config::ComputeConfig;
use crate::domain::Nova;

/// A role this process plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    Api,
}

/// Opens (and migrates) the database and builds the api role.
pub async fn build(config: &Config) -> anyhow::Result<Arc<Nova>> {
    let cfg = ComputeConfig::from_config(config)?;
    let db = ferrostack_db::connect(&cfg.database).await?;
    if cfg.database.auto_migrate {
        ferrostack_db::migrate::<db::Migrator>(&db).await?;
    }
    Ok(Nova::new(cfg, db)?)
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
    })
}

/// Runs `roles` until `shutdown`.
pub async fn serve(
    config: &Config,
    roles: &[Role],
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    if !roles.contains(&Role::Api) {
        shutdown.cancelled().await;
        return Ok(());
    }
    let nova = build(config).await?;
    let options = nova.cfg.service.clone();
    ferrostack_api::run(api_service(nova)?, &options, shutdown).await?;
    Ok(())
}
