//! The identity rules: authentication, tokens, resources and assignments. No HTTP
//! here; persistence goes through sea-orm entities in `crate::db`.

mod access_rules;
mod app_creds;
mod assignments;
mod auth;
mod bootstrap;
mod cache;
mod catalog;
mod credentials;
mod directory;
mod domain_config;
mod domain_config_options;
mod domains;
mod ec2;
pub mod ec2_signature;
mod ec2_tokens;
mod endpoint_filter;
mod error;
mod extra;
mod groups;
mod limits;
mod oauth_consumers;
pub mod oauth_signature;
mod oauth_tokens;
mod password_rules;
mod passwords;
mod policy_blobs;
mod projects;
mod revocations;
mod roles;
mod token_body;
mod tokens;
mod trust_redelegation;
mod trusts;
mod users;
mod validate;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

pub use access_rules::AccessRule;
pub use app_creds::{AppCredRequest, NewAppCred};
pub use assignments::{Actor, AssignmentFilter, AssignmentRow, Target};
pub use auth::{AuthRequest, ScopeRequest};
pub use bootstrap::Bootstrap;
pub use catalog::{EndpointInput, RegionInput, ServiceInput};
pub use credentials::CredentialInput;
pub use domain_config::{default_domain_config, ConfigGroups, Stored};
pub use domains::DomainInput;
pub use ec2::Ec2Credential;
pub use endpoint_filter::{EndpointGroup, EndpointGroupInput};
pub use error::{Error, Result};
pub use extra::Extra;
pub use groups::GroupInput;
pub use limits::{LimitFilter, LimitView};
pub use oauth_tokens::{refuse_delegated, SignedRequest};
pub use policy_blobs::PolicyInput;
pub use projects::{ProjectFilter, ProjectInput, ProjectView};
pub use roles::RoleInput;
pub use roles::NULL_DOMAIN;
pub use tokens::{isotime, ScopeInfo, TokenInfo};
pub use trusts::Trust;
pub use users::{UserFilter, UserInput};
pub use validate::required as validate_required;
pub use validate::tag as validate_tag;

use crate::config::IdentityConfig;
use crate::db::Store;
use crate::fernet::{KeyRepository, KeySet, LiveKeys};
use crate::notify::Notifier;
use cache::Cache;

/// The identity service's state and operations.
pub struct Identity {
    pub cfg: IdentityConfig,
    pub store: Store,
    pub policy: ferrostack_policy::Enforcer,
    token_keys: LiveKeys,
    /// Encrypt credential blobs (`[credential] key_repository`).
    credential_keys: LiveKeys,
    cache: Cache,
    revocations: std::sync::RwLock<revocations::Revocations>,
    notifier: Notifier,
}

impl Identity {
    /// Assembles the service from an open database, loaded keys and a notifier.
    pub fn new(
        cfg: IdentityConfig,
        store: Store,
        policy: ferrostack_policy::Enforcer,
        notifier: Notifier,
    ) -> anyhow::Result<Arc<Self>> {
        let token_keys =
            LiveKeys::load(KeyRepository::new(&cfg.key_repository, cfg.max_active_keys))?;
        let credentials = KeyRepository::new(&cfg.credential_key_repository, cfg.max_active_keys);
        credentials.setup()?;
        let credential_keys = LiveKeys::load(credentials)?;
        Ok(Arc::new(Identity {
            cache: Cache::new(cfg.cache_expiration),
            cfg,
            store,
            policy,
            token_keys,
            credential_keys,
            revocations: Default::default(),
            notifier,
        }))
    }

    fn keys(&self) -> Arc<KeySet> {
        self.token_keys.current()
    }

    /// Records a write: drops local caches and tells other identity processes.
    pub(crate) async fn changed(&self) -> Result<()> {
        self.cache.invalidate();
        self.store.bump_revision().await?;
        Ok(())
    }

    /// Emits a CADF notification for a create/update/delete of `resource_type`.
    pub(crate) fn notify(&self, operation: &str, resource_type: &str, resource_id: &str) {
        self.notifier
            .resource_event(operation, resource_type, resource_id);
    }

    /// Background work until `shutdown`: watch the shared revision for writes by
    /// other processes, learn their revocation events, reload the keys after a
    /// rotation and prune revocation events no token can match.
    pub fn spawn_background(self: &Arc<Self>, shutdown: CancellationToken) {
        let identity = self.clone();
        tokio::spawn(async move {
            let mut seen = identity.store.revision().await.unwrap_or_default();
            let mut ticks: u64 = 0;
            let mut interval = tokio::time::interval(identity.cfg.revision_poll_interval);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = interval.tick() => {}
                }
                ticks += 1;
                match identity.store.revision().await {
                    Ok(current) if current != seen => {
                        seen = current;
                        identity.cache.invalidate();
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(%err, "cannot read identity revision"),
                }
                if let Err(err) = identity.refresh_revocations().await {
                    tracing::warn!(%err, "cannot read revocation events");
                }
                if ticks.is_multiple_of(30) {
                    identity.reload_keys();
                    match identity.prune_revocations().await {
                        Ok(0) => {}
                        Ok(pruned) => tracing::info!(pruned, "expired revocation events pruned"),
                        Err(err) => tracing::warn!(%err, "cannot prune revocation events"),
                    }
                }
            }
        });
    }

    /// Re-reads the key repositories (after `fernet rotate`, `credential rotate`).
    pub fn reload_keys(&self) {
        self.token_keys.reload();
        self.credential_keys.reload();
    }
}

/// A fresh Keystone-style id: a UUID as 32 hex digits.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
