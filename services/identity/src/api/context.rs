use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use ferrostack_policy::access_rules::{permits, AccessRule};
use ferrostack_policy::Credentials;
use serde_json::Value;

use super::AppState;
use crate::domain::{Error, TokenInfo};

/// The authenticated caller of a request, from its `X-Auth-Token`.
pub struct Caller {
    pub token: Arc<TokenInfo>,
    /// The `X-Auth-Token` value itself.
    pub token_id: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        identity: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token_id = parts
            .headers
            .get("x-auth-token")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .ok_or_else(Error::unauthenticated)?
            .to_string();
        let token = identity
            .validate_token(&token_id, false)
            .await
            .map_err(|err| match err {
                Error::Internal(msg) => Error::Internal(msg),
                _ => Error::unauthenticated(),
            })?;
        // A token restricted by access rules reaches identity's own API only where
        // a rule for the `identity` service allows it.
        if !token.access_rules.is_empty() {
            let rules: Vec<AccessRule> = token
                .access_rules
                .iter()
                .map(|r| AccessRule {
                    service: r.service.clone(),
                    method: r.method.clone(),
                    path: r.path.clone(),
                })
                .collect();
            if !permits(&rules, "identity", parts.method.as_str(), parts.uri.path()) {
                return Err(Error::unauthenticated());
            }
        }
        Ok(Caller { token, token_id })
    }
}

impl Caller {
    /// The policy credentials of this token, as keystonemiddleware would pass them.
    pub fn credentials(&self) -> Credentials {
        let token = &self.token;
        let (project_id, project_domain_id) = match &token.scope {
            crate::domain::ScopeInfo::Project(p) => (Some(p.id.clone()), Some(p.domain_id.clone())),
            _ => (None, None),
        };
        Credentials {
            user_id: Some(token.user.id.clone()),
            user_domain_id: Some(token.user.domain_id.clone()),
            project_id,
            project_domain_id,
            domain_id: token.domain_id().map(str::to_string),
            roles: token.role_names().map(str::to_string).collect(),
            system_scope: token.is_system().then(|| "all".to_string()),
            ..Credentials::default()
        }
    }

    /// Enforces `rule` against `target`; refusals are Keystone's 403.
    /// The target Keystone builds for list calls: `{"target": <inner>}` with the
    /// token's domain, when the token is domain-scoped; empty otherwise, so that
    /// `domain_id:%(target.domain_id)s` cannot match a missing domain.
    pub fn domain_list_target(&self, inner: impl FnOnce(&str) -> Value) -> Value {
        match self.token.domain_id() {
            Some(domain_id) => serde_json::json!({ "target": inner(domain_id) }),
            None => serde_json::json!({}),
        }
    }

    pub fn authorize(&self, identity: &AppState, rule: &str, target: &Value) -> Result<(), Error> {
        identity
            .policy
            .enforce(rule, target, &self.credentials())
            .map_err(|_| {
                Error::Forbidden(format!(
                    "You are not authorized to perform the requested action: {rule}."
                ))
            })
    }

    pub fn user_id(&self) -> &str {
        &self.token.user.id
    }
}

/// The public `…/v3` URL of this request, for links.
pub struct V3Url(pub String);

impl FromRequestParts<AppState> for V3Url {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        identity: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let base = ferrostack_api::base_url(&parts.headers, &identity.cfg.service);
        Ok(V3Url(format!("{base}/v3")))
    }
}
