//! `ferrostack-image`: serve the image API and migrate its database.

use ferrostack_api::ServiceOptions;
use ferrostack_config::Config;
use ferrostack_db::DbOptions;
use ferrostack_image::config::ImageConfig;
use ferrostack_service::{ApiRole, NoCommands, Service};
use tokio_util::sync::CancellationToken;

struct Image;

#[async_trait::async_trait]
impl Service for Image {
    const BINARY: &'static str = "ferrostack-image";
    const ABOUT: &'static str = "OpenStack image service (Glance v2) in Rust";
    const NAME: &'static str = "image";
    const POLICIES: &'static [ferrostack_policy::RuleDefault] =
        ferrostack_image::policies::DEFAULTS;
    type Role = ApiRole;
    type Migrator = ferrostack_image::db::Migrator;
    type Commands = NoCommands;

    fn options(config: &Config) -> anyhow::Result<(ServiceOptions, DbOptions)> {
        let cfg = ImageConfig::from_config(config)?;
        Ok((cfg.service, cfg.database))
    }

    async fn serve(
        config: &Config,
        _: Vec<ApiRole>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let glance = ferrostack_image::build(config).await?;
        ferrostack_image::serve(glance, shutdown).await
    }

    async fn command(_: &Config, command: NoCommands) -> anyhow::Result<()> {
        match command {}
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ferrostack_service::run::<Image>().await
}
