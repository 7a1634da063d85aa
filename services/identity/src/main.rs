//! `ferrostack-identity`: serve the identity API, migrate its database, bootstrap
//! the cloud and manage Fernet keys.

use clap::Subcommand;
use ferrostack_api::ServiceOptions;
use ferrostack_config::Config;
use ferrostack_db::DbOptions;
use ferrostack_identity::config::IdentityConfig;
use ferrostack_identity::domain::Bootstrap;
use ferrostack_identity::fernet::KeyRepository;
use ferrostack_service::{ApiRole, Service};
use tokio_util::sync::CancellationToken;

/// Identity's own commands.
#[derive(Subcommand)]
enum Command {
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

struct Identity;

#[async_trait::async_trait]
impl Service for Identity {
    const BINARY: &'static str = "ferrostack-identity";
    const ABOUT: &'static str = "OpenStack identity (Keystone v3) in Rust";
    const NAME: &'static str = "identity";
    const POLICIES: &'static [ferrostack_policy::RuleDefault] =
        ferrostack_identity::policies::DEFAULTS;
    type Role = ApiRole;
    type Migrator = ferrostack_identity::db::Migrator;
    type Commands = Command;

    fn options(config: &Config) -> anyhow::Result<(ServiceOptions, DbOptions)> {
        let cfg = IdentityConfig::from_config(config)?;
        Ok((cfg.service, cfg.database))
    }

    async fn serve(
        config: &Config,
        _: Vec<ApiRole>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        token_keys(config)?.setup()?;
        let identity = ferrostack_identity::build(config).await?;
        ferrostack_identity::serve(identity, shutdown).await
    }

    async fn command(config: &Config, command: Command) -> anyhow::Result<()> {
        let keys = token_keys(config)?;
        match command {
            Command::Bootstrap(args) => {
                keys.setup()?;
                let identity = ferrostack_identity::build(config).await?;
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
                let cfg = IdentityConfig::from_config(config)?;
                let credential_keys =
                    KeyRepository::new(&cfg.credential_key_repository, cfg.max_active_keys);
                match action {
                    CredentialAction::Setup => Ok(credential_keys.setup()?),
                    CredentialAction::Rotate => Ok(credential_keys.rotate()?),
                    CredentialAction::Migrate => {
                        keys.setup()?;
                        let identity = ferrostack_identity::build(config).await?;
                        let rewritten = identity.migrate_credentials().await?;
                        println!("{rewritten} credential blobs re-encrypted");
                        Ok(())
                    }
                }
            }
        }
    }
}

/// The Fernet token key repository.
fn token_keys(config: &Config) -> anyhow::Result<KeyRepository> {
    let cfg = IdentityConfig::from_config(config)?;
    Ok(KeyRepository::new(&cfg.key_repository, cfg.max_active_keys))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ferrostack_service::run::<Identity>().await
}
