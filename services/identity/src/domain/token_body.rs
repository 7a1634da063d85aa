//! The `{"token": {...}}` body of issue and validate responses, assembled from
//! parts rendered once: what every token of a user on a scope shares (user,
//! scope, roles, catalog) once per resolved scope, the token's own fields
//! (methods, audit ids, times) once per validated token.

use serde::Serialize;

use super::tokens::{isotime, ResolvedScope, ScopeInfo, TokenInfo};
use super::{Identity, Result};

/// The rendered members a user's tokens on one scope share.
#[derive(Debug)]
pub struct ScopeBody {
    /// `"user":{...},"project":{...},"roles":[...]`: object members, no braces.
    members: String,
    /// `,"catalog":[...]` for scoped tokens.
    catalog: Option<String>,
}

#[derive(Serialize)]
struct IdName<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct UserRef<'a> {
    domain: IdName<'a>,
    id: &'a str,
    name: &'a str,
    password_expires_at: Option<String>,
}

#[derive(Serialize)]
struct ProjectRef<'a> {
    domain: IdName<'a>,
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct SystemAll {
    all: bool,
}

#[derive(Serialize)]
struct AppCredRef<'a> {
    id: &'a str,
    name: &'a str,
    restricted: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    access_rules: &'a [super::AccessRule],
}

#[derive(Serialize)]
struct Shared<'a> {
    user: UserRef<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<ProjectRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_domain: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<IdName<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<SystemAll>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<Vec<IdName<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    application_credential: Option<AppCredRef<'a>>,
    #[serde(rename = "OS-TRUST:trust", skip_serializing_if = "Option::is_none")]
    trust: Option<TrustRef<'a>>,
    #[serde(rename = "OS-OAUTH1", skip_serializing_if = "Option::is_none")]
    oauth: Option<OauthRef<'a>>,
}

#[derive(Serialize)]
struct OauthRef<'a> {
    access_token_id: &'a str,
    consumer_id: &'a str,
}

#[derive(Serialize)]
struct TrustRef<'a> {
    id: &'a str,
    trustor_user: IdOnly<'a>,
    trustee_user: IdOnly<'a>,
    impersonation: bool,
}

#[derive(Serialize)]
struct IdOnly<'a> {
    id: &'a str,
}

#[derive(Serialize)]
struct Own<'a> {
    methods: Vec<&'static str>,
    audit_ids: &'a [String],
    expires_at: String,
    issued_at: String,
}

/// `{"a":1,"b":2}` without its braces.
fn members(object: &str) -> &str {
    object
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or_default()
}

fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("token body parts always serialize")
}

impl ScopeBody {
    fn render(scope: &ResolvedScope, catalog: Option<&str>) -> Self {
        let user = &scope.user;
        let roles = || {
            Some(
                scope
                    .roles
                    .iter()
                    .map(|(id, name)| IdName { id, name })
                    .collect(),
            )
        };
        let mut shared = Shared {
            user: UserRef {
                domain: IdName {
                    id: &user.domain_id,
                    name: &user.domain_name,
                },
                id: &user.id,
                name: &user.name,
                password_expires_at: scope
                    .password_expires_at
                    .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()),
            },
            project: None,
            is_domain: None,
            domain: None,
            system: None,
            roles: None,
            application_credential: scope.app_cred.as_ref().map(|(id, name, restricted)| {
                AppCredRef {
                    id,
                    name,
                    restricted: *restricted,
                    access_rules: &scope.access_rules,
                }
            }),
            trust: scope.trust.as_ref().map(|t| TrustRef {
                id: &t.id,
                trustor_user: IdOnly {
                    id: &t.trustor_user_id,
                },
                trustee_user: IdOnly {
                    id: &t.trustee_user_id,
                },
                impersonation: t.impersonation,
            }),
            oauth: scope.oauth.as_ref().map(|t| OauthRef {
                access_token_id: &t.id,
                consumer_id: &t.consumer_id,
            }),
        };
        match &scope.scope {
            ScopeInfo::Unscoped => {}
            ScopeInfo::Project(p) => {
                shared.project = Some(ProjectRef {
                    domain: IdName {
                        id: &p.domain_id,
                        name: &p.domain_name,
                    },
                    id: &p.id,
                    name: &p.name,
                });
                // Keystone's trust tokens do not say `is_domain`.
                shared.is_domain = scope.trust.is_none().then_some(false);
                shared.roles = roles();
            }
            ScopeInfo::Domain { id, name } => {
                shared.domain = Some(IdName { id, name });
                shared.roles = roles();
            }
            ScopeInfo::System => {
                shared.system = Some(SystemAll { all: true });
                shared.roles = roles();
            }
        }
        ScopeBody {
            members: members(&to_json(&shared)).to_string(),
            catalog: catalog.map(|c| format!(",\"catalog\":{c}")),
        }
    }
}

impl Identity {
    /// The `{"token": {...}}` body of issue and validate responses, as JSON text.
    pub async fn token_body(&self, info: &TokenInfo, with_catalog: bool) -> Result<String> {
        let shared = self.scope_body(info).await?;
        let own = info.own_body.get_or_init(|| {
            to_json(&Own {
                methods: info.payload.methods.iter().map(|m| m.name()).collect(),
                audit_ids: &info.payload.audit_ids,
                expires_at: isotime(&info.expires_at),
                issued_at: isotime(&info.issued_at),
            })
        });
        Ok(assemble(own, shared, with_catalog))
    }

    async fn scope_body<'a>(&self, info: &'a TokenInfo) -> Result<&'a ScopeBody> {
        info.grants
            .body
            .get_or_try_init(|| async {
                let catalog = match info.scope {
                    ScopeInfo::Unscoped => None,
                    _ => Some(self.catalog_for(info.project_id()).await?),
                };
                Ok(ScopeBody::render(&info.grants, catalog.as_deref()))
            })
            .await
    }
}

fn assemble(own: &str, shared: &ScopeBody, with_catalog: bool) -> String {
    let catalog = shared.catalog.as_deref().filter(|_| with_catalog);
    let mut body =
        String::with_capacity(16 + own.len() + shared.members.len() + catalog.map_or(0, str::len));
    body.push_str("{\"token\":{");
    body.push_str(members(own));
    body.push(',');
    body.push_str(&shared.members);
    if let Some(catalog) = catalog {
        body.push_str(catalog);
    }
    body.push_str("}}");
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_strip_only_the_outer_braces() {
        assert_eq!(members(r#"{"a":{"b":1}}"#), r#""a":{"b":1}"#);
        assert_eq!(members("{}"), "");
    }
}
