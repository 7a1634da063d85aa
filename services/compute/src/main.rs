//! `ferrostack-compute`: serve the compute API, and migrate its database.

use ferrostack_api::ServiceOptions;
use ferrostack_compute::config::ComputeConfig;
use ferrostack_compute::Role;
use ferrostack_config::Config;
use ferrostack_db::DbOptions;
use ferrostack_service::{NoCommands, Service};
use tokio_util::sync::CancellationToken;

struct Compute;

#[async_trait::async_trait]
impl Service for Compute {
    const BINARY: &'static str = "ferrostack-compute";
    const ABOUT: &'static str = "OpenStack compute (Nova v2.1) in Rust";
    const NAME: &'static str = "compute";
    const POLICIES: &'static [ferrostack_policy::RuleDefault] =
        ferrostack_compute::policies::DEFAULTS;
    type Role = Role;
    type Migrator = ferrostack_compute::db::Migrator;
    type Commands = NoCommands;

    fn options(config: &Config) -> anyhow::Result<(ServiceOptions, DbOptions)> {
        let cfg = ComputeConfig::from_config(config)?;
        Ok((cfg.service, cfg.database))
    }

    async fn serve(
        config: &Config,
        roles: Vec<Role>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        ferrostack_compute::serve(config, &roles, shutdown).await
    }

    async fn command(_: &Config, command: NoCommands) -> anyhow::Result<()> {
        match command {}
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ferrostack_service::run::<Compute>().await
}
