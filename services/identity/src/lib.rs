//! ferrostack identity: Keystone v3 in Rust.

pub mod api;
pub mod config;
pub mod db;
pub mod domain;
pub mod fernet;
pub mod notify;
pub mod policies;
pub mod security_compliance;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

use ferrostack_api::{ApiService, Envelope};
use ferrostack_config::Config;
use tokio_util::sync::CancellationToken;

use crate::config::IdentityConfig;
use crate::domain::Identity;

/// Opens the database (migrating when configured), loads keys and policy, and
/// assembles the service. Notifications start publishing in the background.
pub async fn build(config: &Config) -> anyhow::Result<Arc<Identity>> {
    let cfg = IdentityConfig::from_config(config)?;
    let db = ferrostack_db::connect(&cfg.database).await?;
    if cfg.database.auto_migrate {
        ferrostack_db::migrate::<db::Migrator>(&db).await?;
    }
    let policy =
        ferrostack_policy::Enforcer::new(policies::DEFAULTS, cfg.service.policy_file.as_deref())?;
    let notifier = notify::Notifier::new(
        cfg.messaging
            .notifier(&format!("identity.{}", cfg.service.host))
            .await?,
    );
    let identity = Identity::new(cfg, db::Store::new(db), policy, notifier)?;
    identity.prune_revocations().await?;
    let encrypted = identity.migrate_credentials().await?;
    if encrypted > 0 {
        tracing::info!(
            encrypted,
            "credential blobs encrypted with the primary credential key"
        );
    }
    Ok(identity)
}

/// An identity ready to serve: keys set up when missing, the service built and
/// bootstrapped. What tests of identity and of the services that rely on it start.
pub async fn standalone(
    config: &Config,
    bootstrap: &domain::Bootstrap,
) -> anyhow::Result<Arc<Identity>> {
    let cfg = IdentityConfig::from_config(config)?;
    let keys = fernet::KeyRepository::new(&cfg.key_repository, cfg.max_active_keys);
    if keys.load().is_err() {
        keys.setup()?;
    }
    let identity = build(config).await?;
    identity.bootstrap(bootstrap).await?;
    Ok(identity)
}

/// The HTTP application for `identity`.
pub fn api_service(identity: Arc<Identity>) -> ApiService {
    let body_limit = identity.cfg.service.body_limit;
    let (router, openapi) = api::router_and_openapi(identity);
    ApiService {
        name: "identity",
        body_limit,
        router,
        protected: None,
        envelope: Envelope::Keystone,
        openapi: Some(openapi),
        path_rewrite: None,
    }
}

/// Serves the API (and grpc health when configured) until `shutdown`.
pub async fn serve(identity: Arc<Identity>, shutdown: CancellationToken) -> anyhow::Result<()> {
    identity.spawn_background(shutdown.clone());
    let options = identity.cfg.service.clone();
    ferrostack_api::run(api_service(identity), &options, shutdown).await?;
    Ok(())
}
