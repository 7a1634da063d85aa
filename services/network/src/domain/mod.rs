//! The server role's domain: networks, subnets and their addresses, ports and
//! security groups in the database, with Neutron's rules.

pub mod agents;
pub mod availability_zones;
pub mod dhcp;
mod error;
pub mod firewall;
pub mod floating_ips;
pub mod ip_availability;
pub mod ipam;
pub mod l3;
pub mod mac;
pub mod networks;
pub mod nova_notifier;
pub mod ports;
pub mod quotas;
pub mod rbac_policies;
pub mod routers;
pub mod rules;
pub mod security_groups;
pub mod segments;
pub mod subnet_pools;
pub mod subnets;
pub mod tags;
pub mod tunnels;

use std::sync::Arc;

use ferrostack_policy::Enforcer;
use ferrostack_rpc::{Client, Transport};
use sea_orm::DatabaseConnection;
use serde_json::Value;

use crate::config::NetworkConfig;
use error::DEADLOCK;
pub use error::{NeutronError, Result};
pub use ferrostack_service::Caller;

/// The current time at the seconds precision every database keeps.
pub(crate) fn now() -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let now = chrono::Utc::now().naive_utc();
    now.with_nanosecond(0).unwrap_or(now)
}

/// A new resource id.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Runs `attempt` again while the database gives up on its transaction for
/// another's locks (as oslo.db's `retry_on_deadlock`), a few times at most.
pub(crate) async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(e) if e.kind == DEADLOCK && tries < 10 => {
                tries += 1;
                let pause = rand::Rng::gen_range(&mut rand::thread_rng(), 5..50);
                tokio::time::sleep(std::time::Duration::from_millis(pause * tries)).await;
            }
            other => return other,
        }
    }
}

/// The server role: configuration, database and policy.
pub struct Neutron {
    pub cfg: NetworkConfig,
    pub db: DatabaseConnection,
    /// Validates tokens of API requests.
    pub auth: Option<Arc<ferrostack_auth::Authenticator>>,
    /// Neutron's default rules with the operator's overrides.
    pub policy: Enforcer,
    /// The hosts' agents, told when a port bound to them changes.
    pub agents: Client<crate::rpc::agent::Topic>,
    /// Compute, told when its servers' ports change.
    pub nova: Arc<nova_notifier::NovaNotifier>,
}

impl ferrostack_service::Guarded for Neutron {
    fn policy(&self) -> &Enforcer {
        &self.policy
    }
}

impl Neutron {
    pub fn new(
        cfg: NetworkConfig,
        db: DatabaseConnection,
        transport: Arc<dyn Transport>,
    ) -> std::result::Result<Arc<Self>, ferrostack_policy::PolicyError> {
        let policy = Enforcer::new(
            crate::policies::DEFAULTS,
            cfg.service.policy_file.as_deref(),
        )?;
        let auth = cfg.auth.clone().map(ferrostack_auth::Authenticator::new);
        let agents = Client::new(transport, cfg.messaging.rpc_response_timeout);
        let nova = Arc::new(nova_notifier::NovaNotifier::new(
            cfg.nova.clone(),
            auth.clone(),
        ));
        Ok(Arc::new(Neutron {
            agents,
            nova,
            auth,
            policy,
            cfg,
            db,
        }))
    }

    /// Whether `caller` may do `rule` on `target`.
    pub fn allowed(&self, caller: &Caller, rule: &str, target: &Value) -> bool {
        caller.authorize(&self.policy, rule, target).is_ok()
    }

    /// Refuses (403) `rule` for `caller` on `target`.
    pub fn authorize(&self, caller: &Caller, rule: &str, target: &Value) -> Result<()> {
        if self.allowed(caller, rule, target) {
            Ok(())
        } else {
            Err(NeutronError::policy(&format!("rule:{rule}")))
        }
    }

    /// Refuses `action` (`create_network`) when the caller may not, or may not
    /// set one of `attributes` (each checked as `<action>:<attribute>` when
    /// such a rule exists), naming the combined check as Neutron does.
    pub fn authorize_with_attributes(
        &self,
        caller: &Caller,
        action: &str,
        attributes: &[&str],
        target: &Value,
    ) -> Result<()> {
        let mut check = format!("rule:{action}");
        let mut allowed = self.allowed(caller, action, target);
        for attribute in attributes {
            let rule = format!("{action}:{attribute}");
            if self.policy.has_rule(&rule) {
                check = format!("({check} and rule:{rule})");
                allowed &= self.allowed(caller, &rule, target);
            }
        }
        if allowed {
            Ok(())
        } else {
            Err(NeutronError::policy(&check))
        }
    }
}
