use serde::Deserialize;

use super::{password_rules, passwords, Error, Identity, Result, SignedRequest};
use crate::db::entity::user;
use crate::fernet::{new_audit_id, AuthMethod, TokenPayload, TokenScope};
use std::sync::Arc;

use super::tokens::TokenInfo;

/// `POST /v3/auth/tokens` body.
#[derive(Debug, Deserialize)]
pub struct AuthRequest {
    pub auth: AuthBody,
}

#[derive(Debug, Deserialize)]
pub struct AuthBody {
    pub identity: IdentityBody,
    pub scope: Option<ScopeRequest>,
}

#[derive(Debug, Deserialize)]
pub struct IdentityBody {
    pub methods: Vec<String>,
    pub password: Option<PasswordMethod>,
    pub token: Option<TokenMethod>,
    pub application_credential: Option<AppCredMethod>,
    pub oauth1: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct PasswordMethod {
    pub user: UserRef,
}

#[derive(Debug, Deserialize)]
pub struct UserRef {
    pub id: Option<String>,
    pub name: Option<String>,
    pub domain: Option<DomainRef>,
    pub password: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DomainRef {
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TokenMethod {
    pub id: String,
}

#[derive(Debug, Deserialize)]
pub struct AppCredMethod {
    pub id: Option<String>,
    pub name: Option<String>,
    pub secret: String,
    pub user: Option<UserRef>,
}

/// The requested scope: an object, or the string `"unscoped"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ScopeRequest {
    Named(String),
    Scope(ScopeBody),
}

#[derive(Debug, Deserialize)]
pub struct ScopeBody {
    pub project: Option<ProjectRef>,
    pub domain: Option<DomainRef>,
    pub system: Option<serde_json::Value>,
    #[serde(rename = "OS-TRUST:trust")]
    pub trust: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct ProjectRef {
    pub id: Option<String>,
    pub name: Option<String>,
    pub domain: Option<DomainRef>,
}

/// How authentication failed, always a 401 to the client.
fn refused() -> Error {
    Error::unauthenticated()
}

impl Identity {
    /// Authenticates `request` and issues a token; returns the token and its info.
    /// `signed` is the HTTP request an `oauth1` authentication's signature covers.
    pub async fn authenticate(
        &self,
        request: AuthRequest,
        signed: Option<SignedRequest>,
    ) -> Result<(String, Arc<TokenInfo>)> {
        let AuthBody { identity, scope } = request.auth;
        let mut methods: Vec<AuthMethod> = identity
            .methods
            .iter()
            .map(|m| match m.as_str() {
                "password" => Ok(AuthMethod::Password),
                "token" => Ok(AuthMethod::Token),
                "application_credential" => Ok(AuthMethod::ApplicationCredential),
                "oauth1" => Ok(AuthMethod::Oauth1),
                other => Err(Error::Unauthorized(format!(
                    "Attempted to authenticate with an unsupported method: {other}"
                ))),
            })
            .collect::<Result<_>>()?;
        if methods.is_empty() {
            return Err(Error::invalid(
                "Invalid input for field 'identity/methods': [] is too short",
            ));
        }
        let expiry = chrono::Utc::now()
            + chrono::Duration::from_std(self.cfg.token_expiration).unwrap_or_default();
        // Microseconds, as Keystone keeps them: truncating to the second could leave a
        // short-lived token expired before it is returned.
        let mut expires_at = expiry.timestamp_micros() as f64 / 1e6;
        let mut audit_ids = vec![new_audit_id()];
        let mut user_id: Option<String> = None;

        if methods.contains(&AuthMethod::Oauth1) {
            identity.oauth1.as_ref().ok_or_else(|| missing("oauth1"))?;
            let signed = signed.ok_or_else(refused)?;
            let (user_id, scope) = self.oauth_scope(&signed).await?;
            let payload = TokenPayload {
                user_id: user_id.clone(),
                methods: vec![AuthMethod::Oauth1],
                scope: scope.clone(),
                expires_at,
                audit_ids,
            };
            return self.issue(payload).await.map_err(|err| match (err, scope) {
                (Error::Internal(msg), _) => Error::Internal(msg),
                (_, TokenScope::Oauth { project_id, .. }) => Error::Unauthorized(format!(
                    "User {user_id} has no access to project {project_id}"
                )),
                _ => refused(),
            });
        }
        if methods.contains(&AuthMethod::ApplicationCredential) {
            if scope.is_some() {
                return Err(Error::Unauthorized(
                    "Application credentials cannot request a scope.".into(),
                ));
            }
            let body = identity
                .application_credential
                .ok_or_else(|| missing("application_credential"))?;
            let cred = self.authenticate_app_cred(body).await?;
            if let Some(cred_expiry) = cred.expires_at {
                expires_at = expires_at.min(cred_expiry.and_utc().timestamp() as f64);
            }
            let project_id = cred.project_id.clone().ok_or_else(refused)?;
            let payload = TokenPayload {
                user_id: cred.user_id.clone(),
                methods: vec![AuthMethod::ApplicationCredential],
                scope: TokenScope::ApplicationCredential {
                    project_id,
                    app_cred_id: cred.id.clone(),
                },
                expires_at,
                audit_ids,
            };
            return self.issue(payload).await.map_err(|_| refused());
        }
        if methods.contains(&AuthMethod::Password) {
            let body = identity.password.ok_or_else(|| missing("password"))?;
            let user = self.authenticate_password(body.user).await?;
            user_id = Some(user.id);
        }
        if methods.contains(&AuthMethod::Token) {
            let body = identity.token.ok_or_else(|| missing("token"))?;
            // A token that does not validate is Keystone's 404, as its token
            // plugin lets TokenNotFound through.
            let parent = self
                .validate_token(&body.id, false)
                .await
                .map_err(|err| match err {
                    Error::Internal(msg) => Error::Internal(msg),
                    _ => Error::not_found("token", body.id.clone()),
                })?;
            if parent.oauth.is_some() {
                return Err(Error::Forbidden(
                    "You are not authorized to perform the requested action: Using OAuth-scoped token to create another token. Create a new OAuth-scoped token instead.".into(),
                ));
            }
            if parent.trust.is_some() {
                return Err(Error::Forbidden(
                    "You are not authorized to perform the requested action: Using trust-scoped token to create another token. Create a new trust-scoped token instead.".into(),
                ));
            }
            if parent.app_cred.is_some() {
                return Err(Error::Forbidden(
                    "A token created with an application credential cannot be rescoped.".into(),
                ));
            }
            if user_id.as_ref().is_some_and(|u| *u != parent.user.id) {
                return Err(refused());
            }
            user_id = Some(parent.user.id.clone());
            // A re-scoped token keeps how its user first authenticated, as
            // Keystone's token plugin hands the parent's methods on.
            for method in &parent.payload.methods {
                if !methods.contains(method) {
                    methods.push(*method);
                }
            }
            expires_at = expires_at.min(parent.payload.expires_at);
            if let Some(first) = parent.payload.audit_ids.first() {
                audit_ids.push(first.clone());
            }
        }
        let user_id = user_id.ok_or_else(refused)?;
        let scope = self.resolve_scope(&user_id, scope).await?;
        let payload = TokenPayload {
            user_id: user_id.clone(),
            methods,
            scope: scope.clone(),
            expires_at,
            audit_ids,
        };
        let issued = self
            .issue(payload)
            .await
            .map_err(|err| match (err, scope.clone()) {
                (Error::Internal(msg), _) => Error::Internal(msg),
                (_, TokenScope::Trust { .. }) => Error::Forbidden(
                    "You are not authorized to perform the requested action.".into(),
                ),
                (_, TokenScope::Project(project_id)) => Error::Unauthorized(format!(
                    "User {user_id} has no access to project {project_id}"
                )),
                (_, TokenScope::Domain(domain_id)) => Error::Unauthorized(format!(
                    "User {user_id} has no access to domain {domain_id}"
                )),
                (_, TokenScope::System) => {
                    Error::Unauthorized(format!("User {user_id} has no access to the system"))
                }
                _ => refused(),
            })?;
        if let TokenScope::Trust { trust_id, .. } = &scope {
            if !self.consume_trust_use(trust_id).await? {
                return Err(refused());
            }
        }
        Ok(issued)
    }

    async fn find_user(&self, reference: &UserRef) -> Result<user::Model> {
        let found = match (&reference.id, &reference.name) {
            (Some(id), _) => self.get_user(id).await,
            (None, Some(name)) => {
                let domain = reference.domain.as_ref().ok_or_else(|| {
                    Error::invalid("Expecting to find domain in user. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
                })?;
                let domain_id = self.domain_ref_id(domain).await.map_err(|_| refused())?;
                self.find_user_by_name(name, &domain_id).await
            }
            (None, None) => return Err(Error::invalid("Expecting to find id or name in user.")),
        };
        found.map_err(|_| refused())
    }

    async fn authenticate_password(&self, reference: UserRef) -> Result<user::Model> {
        let user = self.find_user(&reference).await?;
        let password = reference.password.ok_or_else(refused)?;
        let stored = user.password_hash.clone().ok_or_else(refused)?;
        let now = chrono::Utc::now().naive_utc();
        if password_rules::locked(&self.cfg.security, &user, now) {
            return Err(Error::Unauthorized(format!(
                "The account is locked for user: {}.",
                user.id
            )));
        }
        if !passwords::verify(password, stored).await? {
            self.note_failed_login(&user).await?;
            return Err(refused());
        }
        self.note_good_login(&user).await?;
        if password_rules::expired(&user, now)
            && !password_rules::has_option(
                &password_rules::options_of(&user),
                "ignore_password_expiry",
            )
        {
            return Err(Error::Unauthorized(format!(
                "The password is expired and needs to be changed for user: {}.",
                user.id
            )));
        }
        let domain = self.get_domain(&user.domain_id).await?;
        if !user.enabled || !domain.enabled {
            return Err(Error::Unauthorized(format!(
                "The account is disabled for user: {}",
                user.id
            )));
        }
        Ok(user)
    }

    pub(crate) async fn domain_ref_id(&self, domain: &DomainRef) -> Result<String> {
        match (&domain.id, &domain.name) {
            (Some(id), _) => Ok(self.get_domain(id).await?.id),
            (None, Some(name)) => Ok(self.find_domain_by_name(name).await?.id),
            (None, None) => Err(Error::invalid("Expecting to find id or name in domain.")),
        }
    }

    async fn resolve_scope(
        &self,
        user_id: &str,
        scope: Option<ScopeRequest>,
    ) -> Result<TokenScope> {
        let body = match scope {
            None => return self.default_project_scope(user_id).await,
            Some(ScopeRequest::Named(name)) if name == "unscoped" => {
                return Ok(TokenScope::Unscoped)
            }
            Some(ScopeRequest::Named(other)) => {
                return Err(Error::invalid(format!(
                    "Invalid input for field 'scope': '{other}' is not valid"
                )))
            }
            Some(ScopeRequest::Scope(body)) => body,
        };
        let given = [
            body.project.is_some(),
            body.domain.is_some(),
            body.system.is_some(),
            body.trust.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if given > 1 {
            return Err(Error::invalid(
                "Specify either a project, a domain or the system as scope, not several.",
            ));
        }
        if let Some(trust) = body.trust {
            return self.trust_scope(user_id, &trust).await;
        }
        if let Some(project) = body.project {
            let id = match (project.id, project.name) {
                (Some(id), _) => id,
                (None, Some(name)) => {
                    let domain = project
                        .domain
                        .ok_or_else(|| Error::invalid("Expecting to find domain in project."))?;
                    let domain_id = self.domain_ref_id(&domain).await.map_err(|_| refused())?;
                    self.find_project_by_name(&name, &domain_id)
                        .await
                        .map_err(|_| refused())?
                        .id
                }
                (None, None) => {
                    return Err(Error::invalid("Expecting to find id or name in project."))
                }
            };
            let project = self.get_project_row(&id).await.map_err(|_| refused())?;
            if !project.enabled {
                return Err(Error::Unauthorized(format!("Project is disabled: {id}")));
            }
            return Ok(TokenScope::Project(id));
        }
        if let Some(domain) = body.domain {
            let id = self.domain_ref_id(&domain).await.map_err(|_| refused())?;
            return Ok(TokenScope::Domain(id));
        }
        if let Some(system) = body.system {
            if system.get("all").and_then(serde_json::Value::as_bool) == Some(true) {
                return Ok(TokenScope::System);
            }
            return Err(Error::invalid(
                "Invalid input for field 'scope/system': only {\"all\": true} is supported",
            ));
        }
        Ok(TokenScope::Unscoped)
    }

    /// The scope of a token asked for with `OS-TRUST:trust`: the trust's project,
    /// for its trustee only.
    async fn trust_scope(&self, user_id: &str, request: &serde_json::Value) -> Result<TokenScope> {
        let Some(request) = request.as_object() else {
            return Err(Error::invalid(
                "Invalid input for field 'scope/OS-TRUST:trust': not of type 'object'",
            ));
        };
        let id = request
            .get("id")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| Error::invalid("Expecting to find trust_id in trust. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error."))?;
        let trust = self.get_trust(id).await.map_err(|_| refused())?;
        if trust.row.trustee_user_id != user_id {
            return Err(Error::Forbidden(
                "You are not authorized to perform the requested action.".into(),
            ));
        }
        let Some(project_id) = trust.row.project_id else {
            return Err(Error::Forbidden(
                "A trust without a project cannot scope a token here.".into(),
            ));
        };
        let project = self
            .get_project_row(&project_id)
            .await
            .map_err(|_| refused())?;
        if !project.enabled {
            return Err(Error::Unauthorized(format!(
                "Project is disabled: {project_id}"
            )));
        }
        Ok(TokenScope::Trust {
            project_id,
            trust_id: trust.row.id,
        })
    }

    /// Without a scope, Keystone scopes to the user's default project when the user
    /// has a role there, else issues an unscoped token.
    async fn default_project_scope(&self, user_id: &str) -> Result<TokenScope> {
        let user = self.get_user(user_id).await?;
        let Some(project_id) = user.default_project_id else {
            return Ok(TokenScope::Unscoped);
        };
        let usable = match self.get_project_row(&project_id).await {
            Ok(project) => {
                project.enabled
                    && !self
                        .effective_role_ids(user_id, &super::Target::Project(project_id.clone()))
                        .await?
                        .is_empty()
            }
            Err(_) => false,
        };
        Ok(if usable {
            TokenScope::Project(project_id)
        } else {
            TokenScope::Unscoped
        })
    }
}

fn missing(method: &str) -> Error {
    Error::invalid(format!("Expecting to find {method} in identity."))
}
