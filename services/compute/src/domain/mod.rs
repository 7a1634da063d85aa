//! The api role's domain: flavors and key pairs in the database.

pub mod actions;
pub mod aggregates;
mod error;
pub mod extra_spec_rules;
mod extra_specs;
mod flavor_access;
pub mod servers;
pub mod flavors;
pub mod infrastructure;
pub mod keypairs;
mod ssh_key;

use std::sync::Arc;

use ferrostack_auth::Authenticator;
use ferrostack_policy::Enforcer;
use sea_orm::DatabaseConnection;

use crate::config::ComputeConfig;
pub use error::{NovaError, Result};
pub use ferrostack_policy::PolicyTarget;
pub use ferrostack_service::Caller;

/// The current time at the seconds precision every database keeps.
pub(crate) fn now() -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let now = chrono::Utc::now().naive_utc();
    now.with_nanosecond(0).unwrap_or(now)
}

/// The api role: configuration, database and policy.
pub struct Nova {
    pub cfg: ComputeConfig,
    pub db: DatabaseConnection,
    /// Validates tokens of API requests.
    pub auth: Option<Arc<Authenticator>>,
    /// Nova's default rules with the operator's overrides.
    pub policy: Enforcer,
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
    ) -> std::result::Result<Arc<Self>, ferrostack_policy::PolicyError> {
        let policy = Enforcer::new(
            crate::policies::DEFAULTS,
            cfg.service.policy_file.as_deref(),
        )?;
        Ok(Arc::new(Nova {
            auth: cfg.auth.clone().map(Authenticator::new),
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
