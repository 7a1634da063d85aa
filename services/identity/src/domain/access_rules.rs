//! Application credential access rules: the service, HTTP method and path (with
//! `*` for one segment, `**` for any number) a credential's tokens may call. A
//! user's rules outlive the credentials that use them; a rule in use cannot be
//! deleted.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use serde_json::Value;

use super::{new_id, Error, Identity, Result};
use crate::db::entity::{access_rule, app_cred_access_rule};

const METHODS: [&str; 6] = ["POST", "GET", "HEAD", "PATCH", "PUT", "DELETE"];

/// A stored access rule as tokens and credentials show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessRule {
    pub id: String,
    pub service: String,
    pub path: String,
    pub method: String,
}

impl From<access_rule::Model> for AccessRule {
    fn from(row: access_rule::Model) -> Self {
        AccessRule {
            id: row.id,
            service: row.service,
            path: row.path,
            method: row.method,
        }
    }
}

/// A rule an application credential request names: an existing rule of the user
/// by id, or a service, method and path (reused when the user has it already).
#[derive(Debug, PartialEq)]
pub enum RuleRequest {
    Existing(String),
    New {
        service: String,
        path: String,
        method: String,
    },
}

fn invalid(message: impl Into<String>) -> Error {
    Error::invalid(format!(
        "Invalid input for field 'access_rules': {}",
        message.into()
    ))
}

/// Parses `access_rules` as Keystone's schema takes them.
pub fn parse_rules(values: &[Value]) -> Result<Vec<RuleRequest>> {
    values
        .iter()
        .map(|value| {
            let Value::Object(rule) = value else {
                return Err(invalid(format!("{value} is not of type 'object'")));
            };
            if let Some(key) = rule
                .keys()
                .find(|k| !["id", "service", "path", "method"].contains(&k.as_str()))
            {
                return Err(invalid(format!(
                    "Additional properties are not allowed ('{key}' was unexpected)"
                )));
            }
            let text = |key: &str| match rule.get(key) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(invalid(format!("{other} is not of type 'string'"))),
            };
            if let Some(id) = text("id")? {
                return Ok(RuleRequest::Existing(id));
            }
            let (Some(service), Some(path), Some(method)) =
                (text("service")?, text("path")?, text("method")?)
            else {
                return Err(invalid(
                    "a rule needs an 'id', or a 'service', 'path' and 'method'",
                ));
            };
            if !METHODS.contains(&method.as_str()) {
                return Err(invalid(format!(
                    "'{method}' is not one of ['POST', 'GET', 'HEAD', 'PATCH', 'PUT', 'DELETE']"
                )));
            }
            if path.chars().count() > 225 || service.is_empty() || service.chars().count() > 64 {
                return Err(invalid("the service or path is too long"));
            }
            Ok(RuleRequest::New {
                service,
                path,
                method,
            })
        })
        .collect()
}

impl Identity {
    /// Finds or creates `user_id`'s rules and restricts the credential to them.
    pub(crate) async fn attach_access_rules<C: ConnectionTrait>(
        conn: &C,
        user_id: &str,
        app_cred_id: &str,
        rules: Vec<RuleRequest>,
    ) -> Result<Vec<AccessRule>> {
        let mut attached: Vec<AccessRule> = Vec::with_capacity(rules.len());
        for rule in rules {
            let found = match &rule {
                RuleRequest::Existing(id) => access_rule::Entity::find_by_id(id.as_str())
                    .filter(access_rule::Column::UserId.eq(user_id))
                    .one(conn)
                    .await?
                    .ok_or_else(|| Error::not_found("access_rule", id.clone()))?,
                RuleRequest::New {
                    service,
                    path,
                    method,
                } => {
                    let existing = access_rule::Entity::find()
                        .filter(access_rule::Column::UserId.eq(user_id))
                        .filter(access_rule::Column::Service.eq(service.as_str()))
                        .filter(access_rule::Column::Path.eq(path.as_str()))
                        .filter(access_rule::Column::Method.eq(method.as_str()))
                        .one(conn)
                        .await?;
                    match existing {
                        Some(row) => row,
                        None => {
                            access_rule::ActiveModel {
                                id: Set(new_id()),
                                user_id: Set(user_id.to_string()),
                                service: Set(service.clone()),
                                path: Set(path.clone()),
                                method: Set(method.clone()),
                            }
                            .insert(conn)
                            .await?
                        }
                    }
                }
            };
            if attached.iter().any(|a| a.id == found.id) {
                continue;
            }
            app_cred_access_rule::ActiveModel {
                application_credential_id: Set(app_cred_id.to_string()),
                access_rule_id: Set(found.id.clone()),
            }
            .insert(conn)
            .await?;
            attached.push(found.into());
        }
        Ok(attached)
    }

    /// The rules an application credential is restricted to (none: unrestricted paths).
    pub async fn access_rules_of_app_cred(&self, app_cred_id: &str) -> Result<Vec<AccessRule>> {
        let ids: Vec<String> = app_cred_access_rule::Entity::find()
            .filter(app_cred_access_rule::Column::ApplicationCredentialId.eq(app_cred_id))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|r| r.access_rule_id)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(access_rule::Entity::find()
            .filter(access_rule::Column::Id.is_in(ids))
            .order_by_asc(access_rule::Column::Id)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(AccessRule::from)
            .collect())
    }

    /// A user's rules, by service, path and method.
    pub async fn list_access_rules(
        &self,
        user_id: &str,
        service: Option<&str>,
        path: Option<&str>,
        method: Option<&str>,
    ) -> Result<Vec<AccessRule>> {
        self.get_user(user_id).await?;
        let mut query = access_rule::Entity::find()
            .filter(access_rule::Column::UserId.eq(user_id))
            .order_by_asc(access_rule::Column::Id);
        for (column, value) in [
            (access_rule::Column::Service, service),
            (access_rule::Column::Path, path),
            (access_rule::Column::Method, method),
        ] {
            if let Some(value) = value {
                query = query.filter(column.eq(value));
            }
        }
        Ok(query
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(AccessRule::from)
            .collect())
    }

    pub async fn get_access_rule(&self, user_id: &str, id: &str) -> Result<AccessRule> {
        access_rule::Entity::find_by_id(id)
            .filter(access_rule::Column::UserId.eq(user_id))
            .one(&self.store.db)
            .await?
            .map(AccessRule::from)
            .ok_or_else(|| Error::not_found("access_rule", id))
    }

    /// Deletes a rule no credential uses (403 while one does).
    pub async fn delete_access_rule(&self, user_id: &str, id: &str) -> Result<()> {
        self.get_access_rule(user_id, id).await?;
        let in_use = app_cred_access_rule::Entity::find()
            .filter(app_cred_access_rule::Column::AccessRuleId.eq(id))
            .one(&self.store.db)
            .await?
            .is_some();
        if in_use {
            return Err(Error::Forbidden(format!(
                "Permission denied: The access rule {id} is in use by one or more application credentials and cannot be deleted."
            )));
        }
        access_rule::Entity::delete_by_id(id)
            .exec(&self.store.db)
            .await?;
        self.notify("deleted", "access_rule", id);
        Ok(())
    }

    /// Unlinks a deleted credential from its rules (the rules stay).
    pub(crate) async fn detach_access_rules<C: ConnectionTrait>(
        conn: &C,
        app_cred_id: &str,
    ) -> Result<()> {
        app_cred_access_rule::Entity::delete_many()
            .filter(app_cred_access_rule::Column::ApplicationCredentialId.eq(app_cred_id))
            .exec(conn)
            .await?;
        Ok(())
    }

    /// Removes a deleted user's rules.
    pub(crate) async fn forget_user_access_rules<C: ConnectionTrait>(
        conn: &C,
        user_id: &str,
    ) -> Result<()> {
        let ids: Vec<String> = access_rule::Entity::find()
            .filter(access_rule::Column::UserId.eq(user_id))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        app_cred_access_rule::Entity::delete_many()
            .filter(app_cred_access_rule::Column::AccessRuleId.is_in(ids))
            .exec(conn)
            .await?;
        access_rule::Entity::delete_many()
            .filter(access_rule::Column::UserId.eq(user_id))
            .exec(conn)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_parse_as_keystones_schema() {
        let parsed = parse_rules(&[
            json!({"service": "compute", "path": "/v2.1/servers/*/ips", "method": "GET"}),
            json!({"id": "abc"}),
        ])
        .unwrap();
        assert_eq!(parsed[1], RuleRequest::Existing("abc".into()));
        for bad in [
            json!({"service": "compute", "path": "/", "method": "FETCH"}),
            json!({"service": "compute", "path": "/"}),
            json!({"service": "compute", "path": "/", "method": "GET", "extra": 1}),
            json!("GET /"),
        ] {
            assert!(parse_rules(&[bad]).is_err());
        }
    }
}
