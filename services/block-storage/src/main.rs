//! `ferrostack-block-storage`: serve the api, scheduler and volume roles, and
//! migrate the database.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use ferrostack_block_storage::config::BlockStorageConfig;
use ferrostack_block_storage::Role;
use ferrostack_config::Config;

#[derive(Parser)]
#[command(
    name = "ferrostack-block-storage",
    version,
    about = "OpenStack block storage (Cinder v3) in Rust"
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
    /// Run roles: all three unless `--role` names some.
    Serve {
        #[arg(long = "role", value_enum)]
        roles: Vec<Role>,
    },
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
enum PolicyAction {
    /// Print the default policies as YAML.
    Defaults,
}

#[derive(Subcommand)]
enum DbAction {
    /// Apply pending migrations.
    Sync,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(&cli.config_file)?;
    let cfg = BlockStorageConfig::from_config(&config)?;
    let _log = cfg.service.init_logging("block-storage")?;
    match cli.command {
        Command::Serve { mut roles } => {
            if roles.is_empty() {
                roles = vec![Role::Api, Role::Scheduler, Role::Volume];
            }
            ferrostack_block_storage::serve(&config, &roles, ferrostack_api::shutdown_signal())
                .await
        }
        Command::Db {
            action: DbAction::Sync,
        } => {
            let db = ferrostack_db::connect(&cfg.database).await?;
            ferrostack_db::migrate::<ferrostack_block_storage::db::Migrator>(&db).await?;
            Ok(())
        }
        Command::Policy {
            action: PolicyAction::Defaults,
        } => {
            print!(
                "{}",
                ferrostack_policy::defaults_yaml(ferrostack_block_storage::policies::DEFAULTS)
            );
            Ok(())
        }
    }
}
