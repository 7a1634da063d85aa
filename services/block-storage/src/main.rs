//! `ferrostack-block-storage`: serve the api, scheduler and volume roles, and
//! migrate the database.

use ferrostack_api::ServiceOptions;
use ferrostack_block_storage::config::BlockStorageConfig;
use ferrostack_block_storage::Role;
use ferrostack_config::Config;
use ferrostack_db::DbOptions;
use ferrostack_service::{NoCommands, Service};
use tokio_util::sync::CancellationToken;

struct BlockStorage;

#[async_trait::async_trait]
impl Service for BlockStorage {
    const BINARY: &'static str = "ferrostack-block-storage";
    const ABOUT: &'static str = "OpenStack block storage (Cinder v3) in Rust";
    const NAME: &'static str = "block-storage";
    const POLICIES: &'static [ferrostack_policy::RuleDefault] =
        ferrostack_block_storage::policies::DEFAULTS;
    type Role = Role;
    type Migrator = ferrostack_block_storage::db::Migrator;
    type Commands = NoCommands;

    fn options(config: &Config) -> anyhow::Result<(ServiceOptions, DbOptions)> {
        let cfg = BlockStorageConfig::from_config(config)?;
        Ok((cfg.service, cfg.database))
    }

    async fn serve(
        config: &Config,
        roles: Vec<Role>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        ferrostack_block_storage::serve(config, &roles, shutdown).await
    }

    async fn command(_: &Config, command: NoCommands) -> anyhow::Result<()> {
        match command {}
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ferrostack_service::run::<BlockStorage>().await
}
