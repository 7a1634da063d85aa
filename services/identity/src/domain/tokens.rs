use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::EntityTrait;

use super::{Error, Identity, Result, Target};
use crate::db::entity::application_credential;
use crate::fernet::{TokenPayload, TokenScope};

/// A reference rendered as `{"id", "name", "domain": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRef {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    pub domain_name: String,
}

/// What a token is scoped to, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeInfo {
    Unscoped,
    Project(NamedRef),
    Domain { id: String, name: String },
    System,
}

/// What a user is on a scope, whatever the token: shared by all their tokens on it.
#[derive(Debug)]
pub struct ResolvedScope {
    pub user: NamedRef,
    pub scope: ScopeInfo,
    /// (id, name), implied roles included.
    pub roles: Vec<(String, String)>,
    /// (id, name, restricted) for application-credential tokens.
    pub app_cred: Option<(String, String, bool)>,
    pub app_cred_expires_at: Option<chrono::NaiveDateTime>,
    /// The access rules of an application-credential token (none: unrestricted).
    pub access_rules: Vec<super::AccessRule>,
    /// When the token user's password expires.
    pub password_expires_at: Option<chrono::NaiveDateTime>,
    /// The trust of a trust-scoped token.
    pub trust: Option<crate::db::entity::trust::Model>,
    /// The access token of an OAuth1 token.
    pub oauth: Option<crate::db::entity::access_token::Model>,
    /// The token body's shared members, rendered on first use.
    pub(super) body: tokio::sync::OnceCell<super::token_body::ScopeBody>,
}

/// A validated token: its own payload and times, and the grants it shares with
/// every token of its user on its scope (reached through `Deref`).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub payload: TokenPayload,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub grants: Arc<ResolvedScope>,
    /// Its own members of the token body, rendered on first use.
    pub(super) own_body: std::sync::OnceLock<String>,
}

impl std::ops::Deref for TokenInfo {
    type Target = ResolvedScope;

    fn deref(&self) -> &ResolvedScope {
        &self.grants
    }
}

impl TokenInfo {
    pub fn project_id(&self) -> Option<&str> {
        match &self.scope {
            ScopeInfo::Project(p) => Some(&p.id),
            _ => None,
        }
    }

    pub fn domain_id(&self) -> Option<&str> {
        match &self.scope {
            ScopeInfo::Domain { id, .. } => Some(id),
            _ => None,
        }
    }

    pub fn is_system(&self) -> bool {
        self.scope == ScopeInfo::System
    }

    pub fn role_names(&self) -> impl Iterator<Item = &str> {
        self.roles.iter().map(|(_, name)| name.as_str())
    }

    pub fn is_expired(&self) -> bool {
        Utc::now() >= self.expires_at
    }
}

/// Keystone's timestamp format (`2015-11-09T01:42:57.000000Z`).
pub fn isotime(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl Identity {
    /// Validates a token: decrypts it, then checks expiry, revocation and that its
    /// user, scope and roles are still valid. Cached until the next write (other
    /// than a revocation, which the check of every hit covers).
    pub async fn validate_token(&self, token: &str, allow_expired: bool) -> Result<Arc<TokenInfo>> {
        let not_found = || Error::not_found("token", token);
        let info = match self.cache.token(token) {
            Some(info) => info,
            None => {
                let generation = self.cache.generation();
                let (payload, issued_at) = self.keys().open(token).ok_or_else(not_found)?;
                let info = Arc::new(self.resolve_token(payload, issued_at).await?);
                self.cache.put_token(generation, token, info.clone());
                info
            }
        };
        // Also for cached validations: revocations drop nothing from the cache.
        if self.is_revoked(&info.payload, info.issued_at.naive_utc()) {
            return Err(not_found());
        }
        if info.is_expired() {
            let window =
                chrono::Duration::from_std(self.cfg.allow_expired_window).unwrap_or_default();
            if !allow_expired || Utc::now() >= info.expires_at + window {
                return Err(not_found());
            }
        }
        Ok(info)
    }

    /// Issues a token for `payload` after resolving it exactly as validation would.
    /// The validation is not cached: most issued tokens are validated elsewhere or
    /// never, and caching each would evict the validations in use.
    pub(crate) async fn issue(&self, payload: TokenPayload) -> Result<(String, Arc<TokenInfo>)> {
        let token = self.keys().seal(&payload);
        let (payload, issued_at) = self
            .keys()
            .open(&token)
            .ok_or_else(|| Error::Internal("a token just sealed does not open".into()))?;
        let info = Arc::new(self.resolve_token(payload, issued_at).await?);
        Ok((token, info))
    }

    /// `DELETE /v3/auth/tokens`: revokes the token (and its re-scoped children, which
    /// share its audit chain).
    pub async fn revoke_token(&self, token: &str) -> Result<()> {
        let info = self.validate_token(token, false).await?;
        let audit_id = info
            .payload
            .audit_ids
            .first()
            .cloned()
            .ok_or_else(|| Error::not_found("token", token))?;
        // No cache is dropped: validations check the revocation index.
        self.add_revocation(None, Some(&audit_id)).await?;
        self.notify("deleted", "token", &audit_id);
        Ok(())
    }

    async fn resolve_token(&self, payload: TokenPayload, issued_at_secs: i64) -> Result<TokenInfo> {
        let invalid = || Error::not_found("token", "(token)");
        let issued_at = Utc
            .timestamp_opt(issued_at_secs, 0)
            .single()
            .ok_or_else(invalid)?;
        let expires_at = DateTime::from_timestamp_micros((payload.expires_at * 1e6) as i64)
            .ok_or_else(invalid)?;
        if self.is_revoked(&payload, issued_at.naive_utc()) {
            return Err(Error::not_found("token", "(revoked)"));
        }
        let resolved = self.scope_grants(&payload.user_id, &payload.scope).await?;
        let now = Utc::now().naive_utc();
        let trust_expired = [
            resolved.trust.as_ref().and_then(|t| t.expires_at),
            resolved.oauth.as_ref().and_then(|t| t.expires_at),
        ]
        .into_iter()
        .flatten()
        .any(|e| e <= now);
        if trust_expired || resolved.app_cred_expires_at.is_some_and(|e| e <= now) {
            return Err(invalid());
        }
        Ok(TokenInfo {
            payload,
            issued_at,
            expires_at,
            grants: resolved,
            own_body: Default::default(),
        })
    }

    /// The user, scope and effective roles behind `user_id` on `scope`, from the
    /// cache when nothing was written since it was resolved.
    async fn scope_grants(&self, user_id: &str, scope: &TokenScope) -> Result<Arc<ResolvedScope>> {
        let key = format!("{user_id}|{scope:?}");
        if let Some(resolved) = self.cache.scope(&key) {
            return Ok(resolved);
        }
        let generation = self.cache.generation();
        let invalid = || Error::not_found("token", "(token)");
        let (mut user_ref, mut password_expires_at) = self.enabled_user(user_id).await?;
        let mut trust: Option<super::Trust> = None;
        let mut oauth = None;
        let (scope, target, app_cred) = match scope {
            TokenScope::Unscoped => (ScopeInfo::Unscoped, None, None),
            TokenScope::System => (ScopeInfo::System, Some(Target::System), None),
            TokenScope::Domain(id) => {
                let domain = self.get_domain(id).await.map_err(|_| invalid())?;
                if !domain.enabled {
                    return Err(invalid());
                }
                (
                    ScopeInfo::Domain {
                        id: domain.id.clone(),
                        name: domain.name,
                    },
                    Some(Target::Domain(domain.id)),
                    None,
                )
            }
            TokenScope::Project(id) => {
                let project = self.scoped_project(id).await?;
                let target = Target::Project(project.id.clone());
                (ScopeInfo::Project(project), Some(target), None)
            }
            TokenScope::Trust {
                project_id,
                trust_id,
            } => {
                let found = self
                    .trust_for_token(trust_id)
                    .await
                    .map_err(|_| invalid())?;
                let row = &found.row;
                if row.trustee_user_id != user_id || row.project_id.as_deref() != Some(project_id) {
                    return Err(invalid());
                }
                let (trustor, trustor_password_expiry) =
                    self.enabled_user(&row.trustor_user_id).await?;
                if row.impersonation {
                    user_ref = trustor;
                    password_expires_at = trustor_password_expiry;
                }
                let project = self.scoped_project(project_id).await?;
                let target = Target::Project(project.id.clone());
                trust = Some(found);
                (ScopeInfo::Project(project), Some(target), None)
            }
            TokenScope::Oauth {
                project_id,
                access_token_id,
            } => {
                let token = self
                    .live_access_token(access_token_id)
                    .await
                    .map_err(|_| invalid())?;
                if token.authorizing_user_id != user_id || token.project_id != *project_id {
                    return Err(invalid());
                }
                let project = self.scoped_project(project_id).await?;
                let target = Target::Project(project.id.clone());
                oauth = Some(token);
                (ScopeInfo::Project(project), Some(target), None)
            }
            TokenScope::ApplicationCredential {
                project_id,
                app_cred_id,
            } => {
                let cred = application_credential::Entity::find_by_id(app_cred_id.as_str())
                    .one(&self.store.db)
                    .await?
                    .ok_or_else(invalid)?;
                let project = self.scoped_project(project_id).await?;
                let target = Target::Project(project.id.clone());
                (ScopeInfo::Project(project), Some(target), Some(cred))
            }
        };
        let mut role_ids = match (&target, &trust) {
            // A trust gives its roles (and what they imply) while the trustor
            // still holds every one of them on the project.
            (Some(target), Some(trust)) => {
                // A redelegated trust's roles are those its chain's first
                // trustor still holds.
                let trustor = self.original_trustor(trust).await?;
                let held = self.effective_role_ids(&trustor, target).await?;
                let delegated = self.expand_implied(trust.role_ids.clone()).await?;
                if !delegated.is_subset(&held) {
                    return Err(invalid());
                }
                delegated
            }
            (Some(target), None) => self.effective_role_ids(user_id, target).await?,
            (None, _) => Default::default(),
        };
        if let Some(cred) = &app_cred {
            let allowed = self.expand_implied(cred.role_ids()).await?;
            role_ids.retain(|r| allowed.contains(r));
        }
        if let Some(token) = &oauth {
            let allowed = self.expand_implied(token.role_ids()).await?;
            role_ids.retain(|r| allowed.contains(r));
        }
        if target.is_some() && role_ids.is_empty() {
            return Err(invalid());
        }
        let roles_by_id = self.roles_by_ids(&role_ids).await?;
        let mut roles: Vec<(String, String)> =
            roles_by_id.into_values().map(|r| (r.id, r.name)).collect();
        roles.sort_by(|a, b| a.1.cmp(&b.1));
        let access_rules = match &app_cred {
            Some(cred) => self.access_rules_of_app_cred(&cred.id).await?,
            None => Vec::new(),
        };
        let resolved = Arc::new(ResolvedScope {
            password_expires_at,
            access_rules,
            trust: trust.map(|t| t.row),
            oauth,
            user: user_ref,
            scope,
            roles,
            app_cred_expires_at: app_cred.as_ref().and_then(|c| c.expires_at),
            app_cred: app_cred.map(|c| (c.id, c.name, !c.unrestricted)),
            body: Default::default(),
        });
        self.cache.put_scope(generation, key, resolved.clone());
        Ok(resolved)
    }

    /// An enabled user of an enabled domain, as tokens name them, and when their
    /// password expires.
    pub(crate) async fn enabled_user(
        &self,
        id: &str,
    ) -> Result<(NamedRef, Option<chrono::NaiveDateTime>)> {
        let invalid = || Error::not_found("token", "(token)");
        let user = self.get_user(id).await.map_err(|_| invalid())?;
        let domain = self
            .get_domain(&user.domain_id)
            .await
            .map_err(|_| invalid())?;
        if !user.enabled || !domain.enabled {
            return Err(invalid());
        }
        Ok((
            NamedRef {
                id: user.id,
                name: user.name,
                domain_id: domain.id,
                domain_name: domain.name,
            },
            user.password_expires_at,
        ))
    }

    /// An enabled project in an enabled domain, as a token scope.
    async fn scoped_project(&self, id: &str) -> Result<NamedRef> {
        let invalid = || Error::not_found("token", "(token)");
        let project = self.get_project_row(id).await.map_err(|_| invalid())?;
        let domain = self
            .get_domain(&project.domain_id)
            .await
            .map_err(|_| invalid())?;
        if !project.enabled || !domain.enabled {
            return Err(invalid());
        }
        Ok(NamedRef {
            id: project.id,
            name: project.name,
            domain_id: domain.id,
            domain_name: domain.name,
        })
    }
}
