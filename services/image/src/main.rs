//! `ferrostack-image`: serve the image API and migrate its database.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use ferrostack_config::Config;
use ferrostack_image::config::ImageConfig;

#[derive(Parser)]
#[command(
    name = "ferrostack-image",
    version,
    about = "OpenStack image service (Glance v2) in Rust"
)]
struct Cli {
    /// Configuration file; repeat to layer several (later wins).
    #[arg(long = "config-file", global = true)]
    config_file: Vec<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve,
    /// Database maintenance.
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    /// Policy tools.
    Policy {
        #[command(subcommand)]
        action: PolicyAction,
    },
}

#[derive(Subcommand)]
enum DbAction {
    /// Apply pending migrations.
    Sync,
}

#[derive(Subcommand)]
enum PolicyAction {
    /// Print the default policies as YAML.
    Defaults,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(&cli.config_file)?;
    let cfg = ImageConfig::from_config(&config)?;
    let _log = cfg.service.init_logging("image")?;
    match cli.command {
        Command::Serve => {
            let glance = ferrostack_image::build(&config).await?;
            ferrostack_image::serve(glance, ferrostack_api::shutdown_signal()).await
        }
        Command::Db {
            action: DbAction::Sync,
        } => {
            let db = ferrostack_db::connect(&cfg.database).await?;
            ferrostack_db::migrate::<ferrostack_image::db::Migrator>(&db).await?;
            Ok(())
        }
        Command::Policy {
            action: PolicyAction::Defaults,
        } => {
            print!(
                "{}",
                ferrostack_policy::defaults_yaml(ferrostack_image::policies::DEFAULTS)
            );
            Ok(())
        }
    }
}
