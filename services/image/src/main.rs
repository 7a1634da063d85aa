//! `ferrostack-image`: serve the image API and migrate its database.

use ferrostack_api::ServiceOptions;
use ferrostack_config::Config;
use ferrostack_db::DbOptions;
use ferrostack_image::config::ImageConfig;
use ferrostack_service::{ApiRole, Service};
use tokio_util::sync::CancellationToken;

struct Image;

/// The image service's own commands.
#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Load metadata definition namespaces from Glance-format JSON files (as
    /// `glance-manage db load_metadefs`); namespaces that exist are kept.
    LoadMetadefs {
        /// A directory of `*.json` namespace files, or one file.
        #[arg(long)]
        path: std::path::PathBuf,
    },
}

#[async_trait::async_trait]
impl Service for Image {
    const BINARY: &'static str = "ferrostack-image";
    const ABOUT: &'static str = "OpenStack image service (Glance v2) in Rust";
    const NAME: &'static str = "image";
    const POLICIES: &'static [ferrostack_policy::RuleDefault] =
        ferrostack_image::policies::DEFAULTS;
    type Role = ApiRole;
    type Migrator = ferrostack_image::db::Migrator;
    type Commands = Command;

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

    async fn command(config: &Config, command: Command) -> anyhow::Result<()> {
        match command {
            Command::LoadMetadefs { path } => {
                let glance = ferrostack_image::build(config).await?;
                let loaded = ferrostack_image::metadefs::load(&glance, &path).await?;
                println!("{loaded} namespaces loaded from {}", path.display());
                Ok(())
            }
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ferrostack_service::run::<Image>().await
}
