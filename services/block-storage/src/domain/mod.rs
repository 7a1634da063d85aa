//! The api role's domain: volumes in the database, requests to the other roles
//! over RPC, and the state updates they send back.

pub mod actions;
pub mod attachments;
mod backends;
pub mod backup_restore;
pub mod backup_updates;
pub mod backups;
pub mod encryption;
mod error;
mod freeze;
mod from_image;
pub mod group_snapshots;
pub mod group_types;
pub mod groups;
pub mod hosts;
pub mod image_actions;
pub mod legacy_attach;
pub mod messages;
pub mod metadata;
pub mod migrate;
pub mod paging;
pub mod qos;
pub mod quota_classes;
pub mod quotas;
mod reimage;
mod resend;
mod retype;
mod revert;
mod services;
pub mod snapshot_actions;
pub mod snapshot_list;
pub mod snapshots;
mod sweeper;
pub mod transfers;
pub mod types;
mod updates;
pub mod volume_list;
mod volume_summary;
pub mod volumes;

use std::sync::Arc;

use ferrostack_auth::Authenticator;
use ferrostack_policy::Enforcer;
use ferrostack_rpc::{Client, Transport};
use sea_orm::DatabaseConnection;

use crate::config::BlockStorageConfig;
use crate::rpc;
pub use error::{CinderError, Result};
use ferrostack_auth::image_api::ImageApi;
pub use ferrostack_policy::PolicyTarget;
pub use ferrostack_service::Caller;
pub use updates::ApiRpc;

/// The current time at the seconds precision every database keeps.
pub(crate) fn now() -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let now = chrono::Utc::now().naive_utc();
    now.with_nanosecond(0).unwrap_or(now)
}

/// The api role: configuration, database and clients of the other roles.
pub struct Cinder {
    pub cfg: BlockStorageConfig,
    pub db: DatabaseConnection,
    pub scheduler: Client<rpc::scheduler::Topic>,
    pub volume: Client<rpc::volume::Topic>,
    pub backup: Client<rpc::backup::Topic>,
    /// Validates tokens of API requests; also finds the image API in the catalog.
    pub auth: Option<Arc<Authenticator>>,
    pub images: ImageApi,
    /// Cinder's default rules with the operator's overrides.
    pub policy: Enforcer,
}

impl PolicyTarget for crate::db::entity::volume::Model {
    fn policy_target(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "volume_id": self.id,
            "project_id": self.project_id,
            "user_id": self.user_id,
            "status": self.status,
        })
    }
}

impl PolicyTarget for crate::db::entity::snapshot::Model {
    fn policy_target(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "snapshot_id": self.id,
            "volume_id": self.volume_id,
            "project_id": self.project_id,
            "user_id": self.user_id,
            "status": self.status,
        })
    }
}

impl PolicyTarget for crate::db::entity::backup::Model {
    fn policy_target(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "backup_id": self.id,
            "volume_id": self.volume_id,
            "project_id": self.project_id,
            "user_id": self.user_id,
            "status": self.status,
        })
    }
}

impl PolicyTarget for crate::db::entity::attachment::Model {
    fn policy_target(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "volume_id": self.volume_id,
            "project_id": self.project_id,
        })
    }
}

impl Cinder {
    pub fn new(
        cfg: BlockStorageConfig,
        db: DatabaseConnection,
        transport: Arc<dyn Transport>,
    ) -> std::result::Result<Arc<Self>, ferrostack_policy::PolicyError> {
        let timeout = cfg.messaging.rpc_response_timeout;
        let auth = cfg.auth.clone().map(Authenticator::new);
        let policy = Enforcer::new(
            crate::policies::DEFAULTS,
            cfg.service.policy_file.as_deref(),
        )?;
        Ok(Arc::new(Cinder {
            policy,
            images: ImageApi::new(
                cfg.glance_api_servers.clone(),
                cfg.glance_catalog.clone(),
                auth.clone(),
                cfg.glance_timeouts,
            ),
            auth,
            scheduler: Client::new(transport.clone(), timeout),
            volume: Client::new(transport.clone(), timeout),
            backup: Client::new(transport, timeout),
            cfg,
            db,
        }))
    }

    /// Refuses (403) `rule` for `caller` on `target`: the fetched resource, or
    /// the project a new one would belong to.
    pub fn authorize(
        &self,
        caller: &Caller,
        rule: &str,
        target: &(impl PolicyTarget + ?Sized),
    ) -> Result<()> {
        caller
            .authorize(&self.policy, rule, target)
            .map_err(|_| CinderError::policy(rule))
    }
}
