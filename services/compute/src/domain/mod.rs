//! The api role's domain: flavors and key pairs in the database.

pub mod actions;
pub mod aggregates;
pub mod assisted_snapshots;
pub mod consoles;
mod error;
pub mod external_events;
pub mod extra_spec_rules;
mod extra_specs;
mod flavor_access;
pub mod flavors;
pub mod floating_ips;
pub mod hosts;
pub mod infrastructure;
pub mod keypairs;
pub mod legacy_networks;
pub mod migrations;
pub mod quotas;
pub mod security_groups;
pub mod server_groups;
pub mod servers;
mod ssh_key;
pub mod usage;
pub mod usage_audit;
pub mod volume_attachment_update;
pub mod volume_attachments;
mod x509_keypair;

use std::sync::Arc;

use ferrostack_auth::image_api::ImageApi;
use ferrostack_auth::Authenticator;
use ferrostack_policy::Enforcer;
use ferrostack_rpc::{Client, Transport};
use sea_orm::DatabaseConnection;

use crate::config::ComputeConfig;
use crate::rpc::{agent, conductor};
use crate::volume_api::VolumeApi;
pub use error::{NovaError, Result};
pub use ferrostack_policy::PolicyTarget;
pub use ferrostack_service::Caller;

/// The current time at the seconds precision every database keeps.
pub(crate) fn now() -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let now = chrono::Utc::now().naive_utc();
    now.with_nanosecond(0).unwrap_or(now)
}

/// The api role: configuration, database, policy, and the roles and
/// services it calls.
pub struct Nova {
    pub cfg: ComputeConfig,
    pub db: DatabaseConnection,
    /// Validates tokens of API requests.
    pub auth: Option<Arc<Authenticator>>,
    /// Nova's default rules with the operator's overrides.
    pub policy: Enforcer,
    /// The image API, on the caller's token.
    pub images: ImageApi,
    /// The block-storage API, on the caller's token.
    pub volumes: VolumeApi,
    /// The network API, on the caller's token (ports bound on the service user's).
    pub networks: crate::network_api::NetworkApi,
    pub conductor: Client<conductor::Topic>,
    pub agents: Client<agent::Topic>,
}

impl ferrostack_service::Guarded for Nova {
    fn policy(&self) -> &Enforcer {
        &self.policy
    }
}

impl Nova {
    pub fn new(
        cfg: ComputeConfig,
        db: DatabaseConnection,
        transport: Arc<dyn Transport>,
    ) -> std::result::Result<Arc<Self>, ferrostack_policy::PolicyError> {
        let policy = Enforcer::new(
            crate::policies::DEFAULTS,
            cfg.service.policy_file.as_deref(),
        )?;
        let auth = cfg.auth.clone().map(Authenticator::new);
        let timeout = cfg.messaging.rpc_response_timeout;
        Ok(Arc::new(Nova {
            images: ImageApi::new(
                cfg.glance_api_servers.clone(),
                ("image".into(), "public".into()),
                auth.clone(),
                cfg.glance_timeouts,
            ),
            volumes: VolumeApi::new(
                cfg.cinder_endpoint.clone(),
                auth.clone(),
                cfg.cinder_timeouts,
            ),
            networks: crate::network_api::NetworkApi::new(
                cfg.neutron_endpoint.clone(),
                auth.clone(),
                cfg.neutron_timeouts,
            ),
            conductor: Client::new(transport.clone(), timeout),
            agents: Client::new(transport, timeout),
            auth,
            policy,
            cfg,
            db,
        }))
    }

    /// Refuses (403) `rule` for `caller` on `target`.
    pub fn authorize(
        &self,
        caller: &Caller,
        rule: &str,
        target: &(impl PolicyTarget + ?Sized),
    ) -> Result<()> {
        caller
            .authorize(&self.policy, rule, target)
            .map_err(|_| NovaError::policy(rule))
    }
}
