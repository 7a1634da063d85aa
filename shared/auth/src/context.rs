//! Who is calling: what identity said about the token.

use axum::{extract::FromRequestParts, http::request::Parts};
use chrono::{DateTime, Utc};
use ferrostack_api::Failure;
use ferrostack_policy::access_rules::AccessRule;
use ferrostack_policy::Credentials;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The request context of an authenticated request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthContext {
    pub user_id: String,
    pub user_name: String,
    pub user_domain_id: String,
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    pub project_domain_id: Option<String>,
    pub domain_id: Option<String>,
    pub domain_name: Option<String>,
    /// Role names, implied roles included.
    pub roles: Vec<String>,
    /// `Some("all")` for a system-scoped token.
    pub system_scope: Option<String>,
    pub is_admin_project: bool,
    pub expires_at: DateTime<Utc>,
    /// Roles of a valid `X-Service-Token`, when one came along.
    #[serde(default)]
    pub service_roles: Vec<String>,
    /// The access rules of an application-credential token (none: unrestricted).
    #[serde(default)]
    pub access_rules: Vec<AccessRule>,
    /// The request's own `X-Auth-Token`, for calls made on the caller's behalf;
    /// never cached with the rest.
    #[serde(skip)]
    pub token: UserToken,
}

/// A caller's token, hidden from `Debug` output and logs.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct UserToken(pub String);

impl std::fmt::Debug for UserToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserToken(***)")
    }
}

impl AuthContext {
    /// Reads the `token` object of identity's validation response.
    pub(crate) fn from_token(token: &Value) -> Option<AuthContext> {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let user = token.get("user")?;
        let project = token.get("project");
        let domain = token.get("domain");
        Some(AuthContext {
            user_id: text(&user["id"])?,
            user_name: text(&user["name"]).unwrap_or_default(),
            user_domain_id: text(&user["domain"]["id"]).unwrap_or_default(),
            project_id: project.and_then(|p| text(&p["id"])),
            project_name: project.and_then(|p| text(&p["name"])),
            project_domain_id: project.and_then(|p| text(&p["domain"]["id"])),
            domain_id: domain.and_then(|d| text(&d["id"])),
            domain_name: domain.and_then(|d| text(&d["name"])),
            roles: token["roles"]
                .as_array()
                .map(|roles| roles.iter().filter_map(|r| text(&r["name"])).collect())
                .unwrap_or_default(),
            system_scope: token
                .get("system")
                .and_then(|s| s["all"].as_bool())
                .filter(|all| *all)
                .map(|_| "all".to_owned()),
            is_admin_project: token["is_admin_project"].as_bool().unwrap_or(false),
            expires_at: token["expires_at"].as_str()?.parse().ok()?,
            service_roles: Vec::new(),
            access_rules: token["application_credential"]
                .get("access_rules")
                .map(|rules| serde_json::from_value(rules.clone()))
                .transpose()
                .ok()?
                .unwrap_or_default(),
            token: UserToken::default(),
        })
    }

    /// Whether the token carries `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case(role))
    }

    /// The credentials policy checks see.
    pub fn credentials(&self) -> Credentials {
        Credentials {
            user_id: Some(self.user_id.clone()),
            user_domain_id: Some(self.user_domain_id.clone()),
            project_id: self.project_id.clone(),
            project_domain_id: self.project_domain_id.clone(),
            domain_id: self.domain_id.clone(),
            roles: self.roles.clone(),
            system_scope: self.system_scope.clone(),
            is_admin_project: self.is_admin_project,
            is_admin: false,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthContext {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Failure> {
        parts
            .extensions
            .get::<AuthContext>()
            .cloned()
            .ok_or_else(|| {
                Failure::unauthorized("The request you have made requires authentication.")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_project_and_system_tokens() {
        let token = json!({
            "expires_at": "2030-01-01T00:00:00.000000Z",
            "user": {"id": "u", "name": "alice", "domain": {"id": "default"}},
            "project": {"id": "p", "name": "demo", "domain": {"id": "default"}},
            "roles": [{"id": "1", "name": "member"}, {"id": "2", "name": "reader"}],
            "is_admin_project": false
        });
        let ctx = AuthContext::from_token(&token).unwrap();
        assert_eq!(ctx.project_id.as_deref(), Some("p"));
        assert!(ctx.has_role("Member"));
        assert_eq!(ctx.credentials().roles, ["member", "reader"]);
        let system = json!({"expires_at": "2030-01-01T00:00:00Z",
            "user": {"id": "u", "name": "admin", "domain": {"id": "default"}},
            "system": {"all": true}, "roles": []});
        assert_eq!(
            AuthContext::from_token(&system)
                .unwrap()
                .system_scope
                .as_deref(),
            Some("all")
        );
        assert!(AuthContext::from_token(&json!({"user": {}})).is_none());
    }
}
