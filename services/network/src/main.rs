//! `ferrostack-network`: serve the network API, and migrate its database.

use ferrostack_api::ServiceOptions;
use ferrostack_config::Config;
use ferrostack_db::DbOptions;
use ferrostack_network::config::NetworkConfig;
use ferrostack_network::Role;
use ferrostack_service::{NoCommands, Service};
use tokio_util::sync::CancellationToken;

struct Network;

#[async_trait::async_trait]
impl Service for Network {
    const BINARY: &'static str = "ferrostack-network";
    const ABOUT: &'static str = "OpenStack networking (Neutron v2.0) in Rust";
    const NAME: &'static str = "network";
    const POLICIES: &'static [ferrostack_policy::RuleDefault] =
        ferrostack_network::policies::DEFAULTS;
    type Role = Role;
    type Migrator = ferrostack_network::db::Migrator;
    type Commands = NoCommands;

    fn options(config: &Config) -> anyhow::Result<(ServiceOptions, DbOptions)> {
        let cfg = NetworkConfig::from_config(config)?;
        Ok((cfg.service, cfg.database))
    }

    async fn serve(
        config: &Config,
        roles: Vec<Role>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        ferrostack_network::serve(config, &roles, shutdown).await
    }

    async fn command(_: &Config, command: NoCommands) -> anyhow::Result<()> {
        match command {}
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ferrostack_service::run::<Network>().await
}
