//! The skeleton every service binary shares: its command line —
//! `serve [--role R]...`, `db sync`, `policy defaults`, `--config-file` (repeatable),
//! and the service's own commands — configuration loaded, logging started, then
//! the service's part. A binary is one [`Service`] impl and
//! `ferrostack_service::run::<S>().await`.

mod caller;

pub use caller::{Caller, Guarded};

use std::path::PathBuf;

use clap::builder::EnumValueParser;
use clap::{Arg, ArgAction, ArgMatches, Command, FromArgMatches, Subcommand, ValueEnum};
use ferrostack_api::ServiceOptions;
use ferrostack_config::Config;
use ferrostack_db::sea_orm_migration::MigratorTrait;
use ferrostack_db::DbOptions;
use ferrostack_policy::RuleDefault;
use tokio_util::sync::CancellationToken;

/// What a service binary is.
#[async_trait::async_trait]
pub trait Service: 'static {
    /// The binary's name (`ferrostack-image`).
    const BINARY: &'static str;
    /// One line about it, for `--help`.
    const ABOUT: &'static str;
    /// The service's name in logs (`image`).
    const NAME: &'static str;
    /// Its default policies, for `policy defaults`.
    const POLICIES: &'static [RuleDefault];
    /// The roles it can play; `serve` plays all of them unless `--role` names some.
    type Role: ValueEnum + Clone + Send + Sync + 'static;
    /// Its schema, for `db sync`.
    type Migrator: MigratorTrait;
    /// Its own commands besides the shared ones ([`NoCommands`] when none).
    type Commands: Subcommand + Send + 'static;

    /// What the skeleton needs before anything runs: the service's logging and
    /// database options (reading them also checks the configuration).
    fn options(config: &Config) -> anyhow::Result<(ServiceOptions, DbOptions)>;

    /// Plays `roles` until `shutdown`.
    async fn serve(
        config: &Config,
        roles: Vec<Self::Role>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()>;

    /// Runs one of the service's own commands.
    async fn command(config: &Config, command: Self::Commands) -> anyhow::Result<()>;
}

/// The commands of a service that has none of its own.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum NoCommands {}

/// The role of a service with only an API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiRole {
    Api,
}

/// The command line of `S`.
pub fn command_line<S: Service>() -> Command {
    let cli = Command::new(S::BINARY)
        .about(S::ABOUT)
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .arg(
            Arg::new("config-file")
                .long("config-file")
                .global(true)
                .action(ArgAction::Append)
                .value_parser(clap::value_parser!(PathBuf))
                .help("Configuration file; repeat to layer several (later wins)"),
        )
        .subcommand(
            Command::new("serve")
                .about("Serve: every role unless --role names some")
                .arg(
                    Arg::new("role")
                        .long("role")
                        .action(ArgAction::Append)
                        .value_parser(EnumValueParser::<S::Role>::new()),
                ),
        )
        .subcommand(
            Command::new("db")
                .about("Database maintenance")
                .subcommand_required(true)
                .subcommand(Command::new("sync").about("Apply pending migrations")),
        )
        .subcommand(
            Command::new("policy")
                .about("Policy tools")
                .subcommand_required(true)
                .subcommand(Command::new("defaults").about("Print the default policies as YAML")),
        );
    // The service's commands' doc would otherwise become the binary's about.
    S::Commands::augment_subcommands(cli).about(S::ABOUT)
}

/// Parses the command line and runs what it asks for.
pub async fn run<S: Service>() -> anyhow::Result<()> {
    run_with::<S>(command_line::<S>().get_matches()).await
}

async fn run_with<S: Service>(matches: ArgMatches) -> anyhow::Result<()> {
    let files: Vec<PathBuf> = matches
        .get_many::<PathBuf>("config-file")
        .map(|files| files.cloned().collect())
        .unwrap_or_default();
    let config = Config::load(&files)?;
    let (service, database) = S::options(&config)?;
    let _log = service.init_logging(S::NAME)?;
    match matches.subcommand() {
        Some(("serve", serve)) => {
            let mut roles: Vec<S::Role> = serve
                .get_many::<S::Role>("role")
                .map(|roles| roles.cloned().collect())
                .unwrap_or_default();
            if roles.is_empty() {
                roles = S::Role::value_variants().to_vec();
            }
            S::serve(&config, roles, ferrostack_api::shutdown_signal()).await
        }
        Some(("db", _)) => {
            let db = ferrostack_db::connect(&database).await?;
            ferrostack_db::migrate::<S::Migrator>(&db).await?;
            Ok(())
        }
        Some(("policy", _)) => {
            print!("{}", ferrostack_policy::defaults_yaml(S::POLICIES));
            Ok(())
        }
        _ => S::command(&config, S::Commands::from_arg_matches(&matches)?).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
    enum Role {
        Api,
        Worker,
    }

    struct Demo;

    #[async_trait::async_trait]
    impl Service for Demo {
        const BINARY: &'static str = "demo";
        const ABOUT: &'static str = "A demo.";
        const NAME: &'static str = "demo";
        const POLICIES: &'static [RuleDefault] = &[];
        type Role = Role;
        type Migrator = NoMigrations;
        type Commands = NoCommands;

        fn options(_: &Config) -> anyhow::Result<(ServiceOptions, DbOptions)> {
            unreachable!()
        }

        async fn serve(_: &Config, _: Vec<Role>, _: CancellationToken) -> anyhow::Result<()> {
            Ok(())
        }

        async fn command(_: &Config, command: NoCommands) -> anyhow::Result<()> {
            match command {}
        }
    }

    struct NoMigrations;

    impl MigratorTrait for NoMigrations {
        fn migrations() -> Vec<Box<dyn ferrostack_db::sea_orm_migration::MigrationTrait>> {
            Vec::new()
        }
    }

    #[test]
    fn the_shared_command_line() {
        let cli = command_line::<Demo>();
        cli.clone().debug_assert();
        let m = cli
            .clone()
            .try_get_matches_from([
                "demo",
                "serve",
                "--role",
                "worker",
                "--config-file",
                "a.conf",
            ])
            .unwrap();
        let (name, serve) = m.subcommand().unwrap();
        assert_eq!(name, "serve");
        assert_eq!(
            serve
                .get_many::<Role>("role")
                .unwrap()
                .copied()
                .collect::<Vec<_>>(),
            [Role::Worker]
        );
        assert!(cli
            .clone()
            .try_get_matches_from(["demo", "serve", "--role", "chef"])
            .is_err());
        assert!(cli
            .clone()
            .try_get_matches_from(["demo", "db", "sync"])
            .is_ok());
        assert!(cli.try_get_matches_from(["demo", "bootstrap"]).is_err());
    }
}
