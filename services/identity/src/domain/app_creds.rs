use std::collections::BTreeSet;

use base64::Engine;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::Deserialize;

use super::access_rules::parse_rules;
use super::auth::{AppCredMethod, DomainRef};
use super::{new_id, passwords, validate, Error, Identity, Result, TokenInfo};
use crate::db::entity::application_credential;

/// `POST /v3/users/{id}/application_credentials` body.
#[derive(Debug, Deserialize)]
pub struct AppCredRequest {
    pub name: Option<String>,
    pub secret: Option<String>,
    pub description: Option<String>,
    pub expires_at: Option<String>,
    pub roles: Option<Vec<RoleRef>>,
    pub unrestricted: Option<bool>,
    pub access_rules: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
pub struct RoleRef {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// A created credential with its secret, shown once.
pub struct NewAppCred {
    pub row: application_credential::Model,
    pub secret: String,
}

impl Identity {
    /// Creates an application credential for the token's user on its project, with a
    /// subset of the token's roles.
    pub async fn create_app_cred(
        &self,
        user_id: &str,
        token: &TokenInfo,
        request: AppCredRequest,
    ) -> Result<NewAppCred> {
        self.get_user(user_id).await?;
        let name = request.name.ok_or_else(|| validate::required("name"))?;
        validate::name("name", &name, 255)?;
        let access_rules = parse_rules(request.access_rules.as_deref().unwrap_or_default())?;
        if let Some((_, _, true)) = token.app_cred {
            return Err(Error::Forbidden(
                "Using method 'application_credential' is not allowed for managing additional application credentials.".into(),
            ));
        }
        let project_id = token
            .project_id()
            .ok_or_else(|| {
                Error::invalid(
                    "Application credentials must be created with a project-scoped token.",
                )
            })?
            .to_string();
        let token_roles: Vec<(String, String)> = token.roles.clone();
        // No roles, or an empty list, delegates every role of the token (as Keystone).
        let roles: BTreeSet<String> = match request.roles.filter(|r| !r.is_empty()) {
            None => token_roles.iter().map(|(id, _)| id.clone()).collect(),
            Some(requested) => {
                let mut ids = BTreeSet::new();
                for role in requested {
                    let found = token_roles.iter().find(|(id, name)| {
                        role.id.as_deref() == Some(id.as_str())
                            || (role.id.is_none() && role.name.as_deref() == Some(name.as_str()))
                    });
                    match found {
                        Some((id, _)) => ids.insert(id.clone()),
                        None => {
                            let wanted = role.id.or(role.name).unwrap_or_default();
                            return Err(Error::not_found(
                                "role assignment",
                                format!("{wanted} for user {user_id} on project {project_id}"),
                            ));
                        }
                    };
                }
                ids
            }
        };
        let expires_at = match request.expires_at.as_deref() {
            None => None,
            Some(text) => Some(parse_time(text)?),
        };
        let secret = request.secret.unwrap_or_else(random_secret);
        let secret_hash = passwords::hash(secret.clone(), self.cfg.password_hash_rounds).await?;
        let row = application_credential::ActiveModel {
            id: Set(new_id()),
            name: Set(name.clone()),
            secret_hash: Set(secret_hash),
            description: Set(request.description),
            user_id: Set(user_id.to_string()),
            project_id: Set(Some(project_id)),
            system: Set(None),
            expires_at: Set(expires_at),
            unrestricted: Set(request.unrestricted.unwrap_or(false)),
            roles: Set(Some(serde_json::to_string(&roles).unwrap_or_default())),
            created_at: Set(Some(chrono::Utc::now().naive_utc())),
        };
        let txn = self.store.db.begin().await?;
        let row = row.insert(&txn).await.map_err(|e| {
            Error::from_write("application_credential", || {
                format!("Duplicate entry found with name {name}.")
            })(e.into())
        })?;
        Identity::attach_access_rules(&txn, user_id, &row.id, access_rules).await?;
        txn.commit().await?;
        self.changed().await?;
        self.notify("created", "application_credential", &row.id);
        Ok(NewAppCred { row, secret })
    }

    pub async fn get_app_cred(
        &self,
        user_id: &str,
        id: &str,
    ) -> Result<application_credential::Model> {
        application_credential::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .filter(|c| c.user_id == user_id)
            .ok_or_else(|| Error::not_found("application credential", id))
    }

    pub async fn list_app_creds(
        &self,
        user_id: &str,
        name: Option<&str>,
    ) -> Result<Vec<application_credential::Model>> {
        self.get_user(user_id).await?;
        let mut query = application_credential::Entity::find()
            .filter(application_credential::Column::UserId.eq(user_id))
            .order_by_asc(application_credential::Column::Name);
        if let Some(name) = name {
            query = query.filter(application_credential::Column::Name.eq(name));
        }
        Ok(query.all(&self.store.db).await?)
    }

    pub async fn delete_app_cred(&self, user_id: &str, id: &str) -> Result<()> {
        self.get_app_cred(user_id, id).await?;
        let txn = self.store.db.begin().await?;
        Identity::detach_access_rules(&txn, id).await?;
        application_credential::Entity::delete_by_id(id)
            .exec(&txn)
            .await?;
        txn.commit().await?;
        self.changed().await?;
        self.notify("deleted", "application_credential", id);
        Ok(())
    }

    /// Checks an application credential's secret; any failure is a plain 401.
    pub(crate) async fn authenticate_app_cred(
        &self,
        body: AppCredMethod,
    ) -> Result<application_credential::Model> {
        let refused = Error::unauthenticated;
        let cred = match (&body.id, &body.name) {
            (Some(id), _) => {
                application_credential::Entity::find_by_id(id.as_str())
                    .one(&self.store.db)
                    .await?
            }
            (None, Some(name)) => {
                let user = body.user.as_ref().ok_or_else(|| {
                    Error::invalid("Expecting to find user in application_credential.")
                })?;
                let user_id = match (&user.id, &user.name) {
                    (Some(id), _) => id.clone(),
                    (None, Some(user_name)) => {
                        let domain = user.domain.as_ref().unwrap_or(&DomainRef {
                            id: None,
                            name: None,
                        });
                        let domain_id = self.domain_ref_id(domain).await.map_err(|_| refused())?;
                        self.find_user_by_name(user_name, &domain_id)
                            .await
                            .map_err(|_| refused())?
                            .id
                    }
                    _ => return Err(refused()),
                };
                application_credential::Entity::find()
                    .filter(application_credential::Column::UserId.eq(user_id))
                    .filter(application_credential::Column::Name.eq(name.as_str()))
                    .one(&self.store.db)
                    .await?
            }
            (None, None) => {
                return Err(Error::invalid(
                    "Expecting to find id or name in application_credential.",
                ))
            }
        };
        let cred = cred.ok_or_else(refused)?;
        if cred
            .expires_at
            .is_some_and(|e| e <= chrono::Utc::now().naive_utc())
        {
            return Err(refused());
        }
        if !passwords::verify(body.secret, cred.secret_hash.clone()).await? {
            return Err(refused());
        }
        Ok(cred)
    }
}

fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// ISO 8601 as clients send it, with or without zone and fraction.
fn parse_time(text: &str) -> Result<chrono::NaiveDateTime> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.naive_utc());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.fZ",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Ok(t);
        }
    }
    Err(Error::invalid(format!(
        "Invalid input for field 'expires_at': '{text}' is not a valid date-time"
    )))
}
