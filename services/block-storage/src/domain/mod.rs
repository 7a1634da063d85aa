//! The api role's domain: volumes in the database, requests to the other roles
//! over RPC, and the state updates they send back.

pub mod actions;
pub mod attachments;
mod backends;
pub mod encryption;
mod error;
mod from_image;
pub mod hosts;
pub mod image_actions;
pub mod image_api;
pub mod legacy_attach;
pub mod messages;
pub mod metadata;
pub mod migrate;
pub mod paging;
pub mod qos;
pub mod quota_classes;
pub mod quotas;
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

use ferrostack_auth::{AuthContext, Authenticator};
use ferrostack_policy::Enforcer;
use ferrostack_rpc::{Client, Transport};
use sea_orm::DatabaseConnection;

use crate::config::BlockStorageConfig;
use crate::rpc;
pub use error::{CinderError, Result};
use image_api::ImageApi;
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
    /// Validates tokens of API requests; also finds the image API in the catalog.
    pub auth: Option<Arc<Authenticator>>,
    pub images: ImageApi,
    /// Cinder's default rules with the operator's overrides.
    pub policy: Enforcer,
}

/// The caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub ctx: AuthContext,
    pub is_admin: bool,
    /// The HTTP request's ids, which RPC messages (and user messages) carry.
    pub request_id: Option<ferrostack_api::RequestId>,
}

impl Caller {
    /// The caller of `ctx`; `is_admin` is the `context_is_admin` rule's verdict.
    pub fn new(ctx: AuthContext, is_admin: bool) -> Self {
        Caller {
            ctx,
            is_admin,
            request_id: None,
        }
    }

    /// The caller's project.
    pub fn project(&self) -> &str {
        self.ctx.project_id.as_deref().unwrap_or_default()
    }

    /// The RPC context of the caller's requests.
    pub fn rpc_context(&self) -> ferrostack_rpc::Context {
        ferrostack_rpc::Context {
            user_id: self.ctx.user_id.clone(),
            project_id: self.project().to_string(),
            roles: self.ctx.roles.clone(),
            auth_token: self.ctx.token.0.clone(),
            ..match &self.request_id {
                Some(ids) => ferrostack_rpc::Context {
                    request_id: ids.local.clone(),
                    global_request_id: ids.propagated().to_string(),
                    ..ferrostack_rpc::Context::default()
                },
                None => rpc::internal_context(),
            }
        }
    }
}

/// What a policy rule sees of what it guards (`%(project_id)s`,
/// `%(user_id)s`, ...): Cinder passes the volume or snapshot itself.
pub trait PolicyTarget {
    fn policy_target(&self) -> serde_json::Value;
}

/// A project: the target of creating something in it, or of listing it.
impl PolicyTarget for str {
    fn policy_target(&self) -> serde_json::Value {
        serde_json::json!({"project_id": self})
    }
}

impl PolicyTarget for String {
    fn policy_target(&self) -> serde_json::Value {
        self.as_str().policy_target()
    }
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
            volume: Client::new(transport, timeout),
            cfg,
            db,
        }))
    }

    /// Whether `ctx` is an administrator (`context_is_admin`).
    pub fn is_admin(&self, ctx: &AuthContext) -> bool {
        self.policy
            .enforce(
                "context_is_admin",
                &serde_json::json!({}),
                &ctx.credentials(),
            )
            .is_ok()
    }

    /// Refuses (403) `rule` for `caller` on `target`: the fetched resource, or
    /// the project a new one would belong to.
    pub fn authorize(
        &self,
        caller: &Caller,
        rule: &str,
        target: &(impl PolicyTarget + ?Sized),
    ) -> Result<()> {
        let mut creds = caller.ctx.credentials();
        creds.is_admin = caller.is_admin;
        self.policy
            .enforce(rule, &target.policy_target(), &creds)
            .map_err(|_| CinderError::policy(rule))
    }
}
