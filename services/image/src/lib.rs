//! ferrostack image: Glance v2 in Rust.

pub mod api;
pub mod config;
pub mod db;
pub mod domain;
pub mod import_filter;
pub mod metadefs;
pub mod notify;
pub mod policies;
pub mod quota;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

use ferrostack_api::{ApiService, Envelope};
use ferrostack_config::Config;
use tokio_util::sync::CancellationToken;

use crate::config::ImageConfig;
use crate::domain::Glance;
use crate::store::{FileStore, Stores};

/// Opens the database (migrating when configured), the stores and the staging
/// area, loads policy and starts the notifier.
pub async fn build(config: &Config) -> anyhow::Result<Arc<Glance>> {
    let cfg = ImageConfig::from_config(config)?;
    let db = ferrostack_db::connect(&cfg.database).await?;
    if cfg.database.auto_migrate {
        ferrostack_db::migrate::<db::Migrator>(&db).await?;
    }
    let stores = Stores::open(&cfg.stores, &cfg.default_store).await?;
    let staging = Arc::new(
        FileStore::open(
            domain::data::STAGING_STORE,
            "staged data",
            cfg.staging_dir.clone(),
        )
        .await?,
    );
    let policy =
        ferrostack_policy::Enforcer::new(policies::DEFAULTS, cfg.service.policy_file.as_deref())?;
    let notifier = notify::Notifier::new(
        cfg.messaging
            .notifier(&format!("image.{}", cfg.service.host))
            .await?,
    );
    Ok(Glance::new(
        cfg,
        db::Repo::new(db),
        stores,
        staging,
        policy,
        notifier,
    ))
}

/// The HTTP application for `image`.
pub fn api_service(glance: Arc<Glance>) -> anyhow::Result<ApiService> {
    let auth = match &glance.cfg.auth {
        Some(options) => ferrostack_auth::Authenticator::new(options.clone()),
        None => anyhow::bail!("[keystone_authtoken] auth_url is required to serve the image API"),
    };
    let body_limit = glance.cfg.service.body_limit;
    let (router, v2, openapi) = api::router_and_openapi(glance);
    Ok(ApiService {
        name: "image",
        body_limit,
        router,
        protected: Some((v2, ferrostack_auth::gate(auth))),
        envelope: Envelope::Text,
        openapi: Some(openapi),
        path_rewrite: None,
    })
}

/// Serves the API (and grpc health when configured) until `shutdown`.
pub async fn serve(glance: Arc<Glance>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let options = glance.cfg.service.clone();
    ferrostack_api::run(api_service(glance)?, &options, shutdown).await?;
    Ok(())
}
