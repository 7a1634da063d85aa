//! `ferrostack-identity`: serve the identity API, migrate its database, bootstrap
//! the cloud and manage Fernet keys.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use ferrostack_config::Config;
use ferrostack_identity::config::IdentityConfig;
use ferrostack_identity::domain::Bootstrap;
use ferrostack_identity::fernet::KeyRepository;

#[derive(Parser)]
#[command(
    name = "ferrostack-identity",
    version,
    about = "OpenStack identity (Keystone v3) in Rust"
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
    /// Create the admin user, project, roles and identity endpoints (idempotent).
    Bootstrap(Box<BootstrapArgs>),
    /// Fernet key repository maintenance.
    Fernet {
        #[command(subcommand)]
        action: FernetAction,
    },
    /// Credential key repository maintenance (the keys encrypting credential blobs).
    Credential {
        #[command(subcommand)]
        action: CredentialAction,
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
enum FernetAction {
    /// Create the key repository with a staged and a primary key.
    Setup,
    /// Promote the staged key and stage a new one.
    Rotate,
}

#[derive(Subcommand)]
enum CredentialAction {
    /// Create the key repository with a staged and a primary key.
    Setup,
    /// Promote the staged key and stage a new one; run `migrate` afterwards.
    Rotate,
    /// Re-encrypt every blob with the primary key.
    Migrate,
}

#[derive(Subcommand)]
enum PolicyAction {
    /// Print the default policies as YAML.
    Defaults,
}

#[derive(clap::Args)]
struct BootstrapArgs {
    #[arg(long, env = "OS_BOOTSTRAP_PASSWORD", hide_env_values = true)]
    bootstrap_password: String,
    #[arg(long, env = "OS_BOOTSTRAP_USERNAME", default_value = "admin")]
    bootstrap_username: String,
    #[arg(long, env = "OS_BOOTSTRAP_PROJECT_NAME", default_value = "admin")]
    bootstrap_project_name: String,
    #[arg(long, env = "OS_BOOTSTRAP_ROLE_NAME", default_value = "admin")]
    bootstrap_role_name: String,
    #[arg(long, env = "OS_BOOTSTRAP_SERVICE_NAME", default_value = "keystone")]
    bootstrap_service_name: String,
    #[arg(long, env = "OS_BOOTSTRAP_REGION_ID", default_value = "RegionOne")]
    bootstrap_region_id: String,
    #[arg(long, env = "OS_BOOTSTRAP_PUBLIC_URL")]
    bootstrap_public_url: Option<String>,
    #[arg(long, env = "OS_BOOTSTRAP_INTERNAL_URL")]
    bootstrap_internal_url: Option<String>,
    #[arg(long, env = "OS_BOOTSTRAP_ADMIN_URL")]
    bootstrap_admin_url: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(&cli.config_file)?;
    let cfg = IdentityConfig::from_config(&config)?;
    let _log = cfg.service.init_logging("identity")?;
    let keys = KeyRepository::new(&cfg.key_repository, cfg.max_active_keys);
    match cli.command {
        Command::Serve => {
            keys.setup()?;
            let identity = ferrostack_identity::build(&config).await?;
            ferrostack_identity::serve(identity, ferrostack_api::shutdown_signal()).await
        }
        Command::Db {
            action: DbAction::Sync,
        } => {
            let db = ferrostack_db::connect(&cfg.database).await?;
            ferrostack_db::migrate::<ferrostack_identity::db::Migrator>(&db).await?;
            Ok(())
        }
        Command::Bootstrap(args) => {
            keys.setup()?;
            let identity = ferrostack_identity::build(&config).await?;
            identity
                .bootstrap(&Bootstrap {
                    username: args.bootstrap_username.clone(),
                    password: args.bootstrap_password,
                    project_name: args.bootstrap_project_name,
                    role_name: args.bootstrap_role_name,
                    service_name: args.bootstrap_service_name,
                    region_id: args.bootstrap_region_id,
                    public_url: args.bootstrap_public_url,
                    internal_url: args.bootstrap_internal_url,
                    admin_url: args.bootstrap_admin_url,
                })
                .await?;
            Ok(())
        }
        Command::Fernet {
            action: FernetAction::Setup,
        } => Ok(keys.setup()?),
        Command::Fernet {
            action: FernetAction::Rotate,
        } => Ok(keys.rotate()?),
        Command::Credential { action } => {
            let credential_keys =
                KeyRepository::new(&cfg.credential_key_repository, cfg.max_active_keys);
            match action {
                CredentialAction::Setup => Ok(credential_keys.setup()?),
                CredentialAction::Rotate => Ok(credential_keys.rotate()?),
                CredentialAction::Migrate => {
                    keys.setup()?;
                    let identity = ferrostack_identity::build(&config).await?;
                    let rewritten = identity.migrate_credentials().await?;
                    println!("{rewritten} credential blobs re-encrypted");
                    Ok(())
                }
            }
        }
        Command::Policy {
            action: PolicyAction::Defaults,
        } => {
            print!(
                "{}",
                ferrostack_policy::defaults_yaml(ferrostack_identity::policies::DEFAULTS)
            );
            Ok(())
        }
    }
}
