//! The caller of one API request: the token's context, whether the service's
//! `context_is_admin` rule holds for it, and the request's ids (which RPC
//! messages carry on).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use ferrostack_api::{Failure, RequestId};
use ferrostack_auth::AuthContext;
use ferrostack_policy::{Credentials, Enforcer, PolicyError, PolicyTarget};

/// A service's handler state: what judges callers.
pub trait Guarded {
    /// The service's policy, whose `context_is_admin` says who is admin.
    fn policy(&self) -> &Enforcer;
}

impl<T: Guarded + ?Sized> Guarded for Arc<T> {
    fn policy(&self) -> &Enforcer {
        (**self).policy()
    }
}

/// The authenticated caller of a request behind the gate (401 without one).
impl<S: Guarded + Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Failure> {
        let ctx = AuthContext::from_request_parts(parts, state).await?;
        let mut caller = Caller::new(ctx, state.policy());
        caller.request_id = parts.extensions.get::<RequestId>().cloned();
        Ok(caller)
    }
}

/// The caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub ctx: AuthContext,
    /// The service's `context_is_admin` verdict on the token.
    pub is_admin: bool,
    pub request_id: Option<RequestId>,
}

impl Caller {
    /// The caller of `ctx`, judged admin or not by `policy`'s `context_is_admin`.
    pub fn new(ctx: AuthContext, policy: &Enforcer) -> Self {
        let is_admin = policy
            .enforce(
                "context_is_admin",
                &serde_json::json!({}),
                &ctx.credentials(),
            )
            .is_ok();
        Caller {
            ctx,
            is_admin,
            request_id: None,
        }
    }

    /// The caller's project (empty for tokens without one).
    pub fn project(&self) -> &str {
        self.ctx.project_id.as_deref().unwrap_or_default()
    }

    /// What policy rules see of the caller.
    pub fn credentials(&self) -> Credentials {
        let mut creds = self.ctx.credentials();
        creds.is_admin = self.is_admin;
        creds
    }

    /// Whether `policy` lets the caller do `rule` on `target`.
    pub fn authorize(
        &self,
        policy: &Enforcer,
        rule: &str,
        target: &(impl PolicyTarget + ?Sized),
    ) -> Result<(), PolicyError> {
        policy.enforce(rule, &target.policy_target(), &self.credentials())
    }

    /// The RPC context of the caller's requests: who, and the request's ids.
    pub fn rpc_context(&self) -> ferrostack_rpc::Context {
        let ids = match &self.request_id {
            Some(ids) => ferrostack_rpc::Context {
                request_id: ids.local.clone(),
                global_request_id: ids.propagated().to_string(),
                ..ferrostack_rpc::Context::default()
            },
            None => ferrostack_rpc::Context::internal(),
        };
        ferrostack_rpc::Context {
            user_id: self.ctx.user_id.clone(),
            project_id: self.project().to_string(),
            roles: self.ctx.roles.clone(),
            auth_token: self.ctx.token.0.clone(),
            ..ids
        }
    }
}
