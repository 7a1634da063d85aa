//! OS-TRUST: a trustor delegates roles they hold on a project to a trustee, until
//! an expiry or for a number of uses. Trusts cannot be changed, only deleted
//! (kept, marked deleted, as Keystone does).

use std::collections::BTreeSet;

use chrono::{NaiveDateTime, Timelike, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde_json::{Map, Value};

use super::{new_id, Error, Extra, Identity, Result, Target};
use crate::db::entity::{role, trust, trust_role};

/// Keystone's `[trust] max_redelegation_count`.
pub(crate) const MAX_REDELEGATION_COUNT: i64 = 3;

/// A trust and the ids of the roles it delegates.
#[derive(Debug, Clone)]
pub struct Trust {
    pub row: trust::Model,
    pub role_ids: BTreeSet<String>,
}

/// A role a trust request names, by id or by name.
enum RoleRef {
    Id(String),
    Name(String),
}

/// A trust create request, checked as Keystone's schema checks it.
struct TrustRequest {
    trustor_user_id: String,
    trustee_user_id: String,
    impersonation: bool,
    project_id: Option<String>,
    roles: Vec<RoleRef>,
    expires_at: Option<String>,
    remaining_uses: Option<i64>,
    allow_redelegation: bool,
    redelegation_count: Option<i64>,
    extra: Map<String, Value>,
}

fn field_error(field: &str, value: &Value, kind: &str) -> Error {
    Error::invalid(format!(
        "Invalid input for field '{field}': {value} is not of type '{kind}'"
    ))
}

fn required_string(body: &mut Map<String, Value>, field: &str) -> Result<String> {
    match body.remove(field) {
        None => Err(super::validate::required(field)),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(field_error(field, &other, "string")),
    }
}

fn optional_string(body: &mut Map<String, Value>, field: &str) -> Result<Option<String>> {
    match body.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(field_error(field, &other, "string")),
    }
}

fn optional_count(body: &mut Map<String, Value>, field: &str, minimum: i64) -> Result<Option<i64>> {
    match body.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some_and(|n| n >= minimum) => Ok(n.as_i64()),
        Some(Value::Number(n)) if n.is_i64() => Err(Error::invalid(format!(
            "Invalid input for field '{field}': {n} is less than the minimum of {minimum}"
        ))),
        Some(other) => Err(field_error(field, &other, "integer")),
    }
}

impl TrustRequest {
    fn parse(mut body: Map<String, Value>) -> Result<Self> {
        let trustor_user_id = required_string(&mut body, "trustor_user_id")?;
        let trustee_user_id = required_string(&mut body, "trustee_user_id")?;
        let impersonation = match body.remove("impersonation") {
            None => return Err(super::validate::required("impersonation")),
            Some(Value::Bool(b)) => b,
            Some(other) => return Err(field_error("impersonation", &other, "boolean")),
        };
        let roles = match body.remove("roles") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(roles)) => roles
                .into_iter()
                .map(|role| match role {
                    Value::Object(r) if r.len() == 1 => match r.into_iter().next() {
                        Some((key, Value::String(id))) if key == "id" => Ok(RoleRef::Id(id)),
                        Some((key, Value::String(name))) if key == "name" => Ok(RoleRef::Name(name)),
                        _ => Err(Error::invalid(
                            "Invalid input for field 'roles': each role needs exactly one of 'id' or 'name', a string",
                        )),
                    },
                    other => Err(Error::invalid(format!(
                        "Invalid input for field 'roles': {other} is not valid: each role needs exactly one of 'id' or 'name'"
                    ))),
                })
                .collect::<Result<_>>()?,
            Some(other) => return Err(field_error("roles", &other, "array")),
        };
        let allow_redelegation = match body.remove("allow_redelegation") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => b,
            Some(other) => return Err(field_error("allow_redelegation", &other, "boolean")),
        };
        Ok(TrustRequest {
            trustor_user_id,
            trustee_user_id,
            impersonation,
            project_id: optional_string(&mut body, "project_id")?,
            roles,
            expires_at: optional_string(&mut body, "expires_at")?,
            remaining_uses: optional_count(&mut body, "remaining_uses", 1)?,
            allow_redelegation,
            redelegation_count: optional_count(&mut body, "redelegation_count", 0)?,
            extra: body,
        })
    }
}

/// Keystone's `parse_expiration_date`: ISO 8601, `Z` assumed; not in the past.
fn parse_expiry(text: &str) -> Result<NaiveDateTime> {
    let bad = || {
        Error::invalid(
            "Timestamp not in expected format. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
        )
    };
    let text = text.strip_suffix('Z').unwrap_or(text);
    let parsed = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    .ok_or_else(bad)?;
    if parsed < Utc::now().naive_utc() {
        return Err(Error::invalid(
            "The 'expires_at' must not be before now. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
        ));
    }
    // Keystone keeps whole seconds (its isotime zeroes microseconds).
    Ok(parsed.with_nanosecond(0).unwrap_or(parsed))
}

/// Whether a stored trust can still be used: not deleted, expired or used up.
fn usable(row: &trust::Model) -> bool {
    row.deleted_at.is_none()
        && row.expires_at.is_none_or(|t| t >= Utc::now().naive_utc())
        && row.remaining_uses.is_none_or(|n| n > 0)
}

impl Identity {
    /// Creates a trust for `body.trustor_user_id` (the API has checked it is the
    /// caller); `redelegated`: the trust of the caller's token, which the new
    /// one redelegates.
    pub async fn create_trust(
        &self,
        body: Map<String, Value>,
        redelegated: Option<Trust>,
    ) -> Result<Trust> {
        let request = TrustRequest::parse(body)?;
        if request.project_id.is_some() && request.roles.is_empty() {
            return Err(Error::Forbidden(
                "At least one role should be specified".into(),
            ));
        }
        self.get_user(&request.trustee_user_id).await?;
        let mut role_ids = BTreeSet::new();
        for role in &request.roles {
            match role {
                RoleRef::Id(id) => role_ids.insert(id.clone()),
                RoleRef::Name(name) => match self.find_global_role_by_name(name).await {
                    Ok(found) => role_ids.insert(found.id),
                    Err(Error::NotFound { .. }) => {
                        return Err(Error::NotFoundDetail(format!("Role {name} is not defined")))
                    }
                    Err(e) => return Err(e),
                },
            };
        }
        let held = match &request.project_id {
            Some(project_id) => {
                self.get_project(project_id).await?;
                self.effective_role_ids(
                    &request.trustor_user_id,
                    &Target::Project(project_id.clone()),
                )
                .await?
            }
            None => BTreeSet::new(),
        };
        if let Some(missing) = role_ids.iter().find(|id| !held.contains(*id)) {
            return Err(Error::not_found("role", missing.clone()));
        }
        let mut expires_at = request
            .expires_at
            .as_deref()
            .map(parse_expiry)
            .transpose()?;
        let redelegatable = request.allow_redelegation && request.redelegation_count != Some(0);
        let redelegation_count = if redelegatable {
            let count = request.redelegation_count.unwrap_or(MAX_REDELEGATION_COUNT);
            if count > MAX_REDELEGATION_COUNT {
                return Err(Error::Forbidden(format!(
                    "Requested redelegation depth of {count} is greater than allowed {MAX_REDELEGATION_COUNT}"
                )));
            }
            if request.remaining_uses.is_some() {
                return Err(Error::invalid(
                    "remaining_uses must not be set if redelegation is allowed",
                ));
            }
            count
        } else {
            0
        };
        let redelegation_count = match &redelegated {
            Some(parent) => {
                let remaining = parent.row.redelegation_count - 1;
                if redelegatable && request.redelegation_count.is_some_and(|c| c != remaining) {
                    return Err(Error::Forbidden(
                        "Modifying \"redelegation_count\" upon redelegation is forbidden. Omitting this parameter is advised.".into(),
                    ));
                }
                let mut delegation = super::trust_redelegation::Delegation {
                    role_ids: &role_ids,
                    impersonation: request.impersonation,
                    remaining_uses: request.remaining_uses,
                    expires_at,
                };
                for link in self.trust_pedigree(&parent.row.id).await? {
                    super::trust_redelegation::check(&link, &mut delegation)?;
                }
                expires_at = delegation.expires_at;
                if redelegatable && request.redelegation_count.is_none() {
                    remaining
                } else {
                    redelegation_count
                }
            }
            None => redelegation_count,
        };
        let mut extra = Extra::default();
        extra.merge(request.extra);
        let row = trust::ActiveModel {
            id: Set(new_id()),
            trustor_user_id: Set(request.trustor_user_id),
            trustee_user_id: Set(request.trustee_user_id),
            project_id: Set(request.project_id),
            impersonation: Set(request.impersonation),
            expires_at: Set(expires_at),
            remaining_uses: Set(request.remaining_uses),
            redelegated_trust_id: Set(redelegated.map(|p| p.row.id)),
            redelegation_count: Set(redelegation_count),
            deleted_at: Set(None),
            extra: Set(extra.to_column()),
        };
        let txn = self.store.db.begin().await?;
        let row = row.insert(&txn).await?;
        for role_id in &role_ids {
            trust_role::ActiveModel {
                trust_id: Set(row.id.clone()),
                role_id: Set(role_id.clone()),
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        self.notify("created", "OS-TRUST:trust", &row.id);
        Ok(Trust { row, role_ids })
    }

    /// A usable trust; 404 once deleted, expired or used up, 403 when a trust
    /// it was redelegated from no longer allows it.
    pub async fn get_trust(&self, id: &str) -> Result<Trust> {
        let row = trust::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .filter(usable)
            .ok_or_else(|| Error::not_found("trust", id))?;
        let found = Trust {
            role_ids: self.trust_role_ids(id).await?,
            row,
        };
        self.check_pedigree(&found).await?;
        Ok(found)
    }

    /// The trust of a trust-scoped token: not deleted or expired (a token issued by
    /// a trust's last use stays valid).
    pub(crate) async fn trust_for_token(&self, id: &str) -> Result<Trust> {
        let row = trust::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .filter(|t| {
                t.deleted_at.is_none() && t.expires_at.is_none_or(|e| e >= Utc::now().naive_utc())
            })
            .ok_or_else(|| Error::not_found("trust", id))?;
        let found = Trust {
            role_ids: self.trust_role_ids(id).await?,
            row,
        };
        self.check_pedigree(&found).await?;
        Ok(found)
    }

    pub(crate) async fn trust_role_ids(&self, id: &str) -> Result<BTreeSet<String>> {
        Ok(trust_role::Entity::find()
            .filter(trust_role::Column::TrustId.eq(id))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|r| r.role_id)
            .collect())
    }

    /// Takes one use of a trust with limited uses; false when none is left.
    pub(crate) async fn consume_trust_use(&self, id: &str) -> Result<bool> {
        let row = trust::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("trust", id))?;
        if row.remaining_uses.is_none() {
            return Ok(true);
        }
        let taken = trust::Entity::update_many()
            .col_expr(
                trust::Column::RemainingUses,
                sea_orm::sea_query::Expr::col(trust::Column::RemainingUses).sub(1),
            )
            .filter(trust::Column::Id.eq(id))
            .filter(trust::Column::RemainingUses.gt(0))
            .exec(&self.store.db)
            .await?
            .rows_affected
            == 1;
        if taken {
            self.changed().await?;
        }
        Ok(taken)
    }

    /// Trusts not deleted (expired and used-up ones included, as Keystone lists
    /// them), by trustor or trustee.
    pub async fn list_trusts(
        &self,
        trustor_user_id: Option<&str>,
        trustee_user_id: Option<&str>,
    ) -> Result<Vec<trust::Model>> {
        let mut query = trust::Entity::find()
            .filter(trust::Column::DeletedAt.is_null())
            .order_by_asc(trust::Column::Id);
        if let Some(trustor) = trustor_user_id {
            query = query.filter(trust::Column::TrustorUserId.eq(trustor));
        }
        if let Some(trustee) = trustee_user_id {
            query = query.filter(trust::Column::TrusteeUserId.eq(trustee));
        }
        Ok(query.all(&self.store.db).await?)
    }

    /// The roles a trust delegates that still exist.
    pub async fn trust_roles(&self, trust: &Trust) -> Result<Vec<role::Model>> {
        Ok(self
            .roles_by_ids(&trust.role_ids)
            .await?
            .into_values()
            .collect())
    }

    /// Marks a trust, and the trusts redelegated from it, deleted.
    pub async fn delete_trust(&self, id: &str) -> Result<()> {
        self.get_trust(id).await?;
        let now = Utc::now().naive_utc();
        let txn = self.store.db.begin().await?;
        let mut pending = vec![id.to_string()];
        while let Some(current) = pending.pop() {
            trust::Entity::update_many()
                .col_expr(
                    trust::Column::DeletedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(trust::Column::Id.eq(current.as_str()))
                .exec(&txn)
                .await?;
            let children = trust::Entity::find()
                .filter(trust::Column::RedelegatedTrustId.eq(current.as_str()))
                .filter(trust::Column::DeletedAt.is_null())
                .all(&txn)
                .await?;
            pending.extend(children.into_iter().map(|t| t.id));
        }
        txn.commit().await?;
        self.changed().await?;
        self.notify("deleted", "OS-TRUST:trust", id);
        Ok(())
    }

    /// Removes the trusts a deleted user gave or received.
    pub(crate) async fn forget_user_trusts<C: ConnectionTrait>(
        conn: &C,
        user_id: &str,
    ) -> Result<()> {
        trust::Entity::delete_many()
            .filter(
                trust::Column::TrustorUserId
                    .eq(user_id)
                    .or(trust::Column::TrusteeUserId.eq(user_id)),
            )
            .exec(conn)
            .await?;
        Ok(())
    }

    /// Marks a deleted project's trusts deleted.
    pub(crate) async fn forget_project_trusts<C: ConnectionTrait>(
        conn: &C,
        project_id: &str,
    ) -> Result<()> {
        trust::Entity::update_many()
            .col_expr(
                trust::Column::DeletedAt,
                sea_orm::sea_query::Expr::value(Utc::now().naive_utc()),
            )
            .filter(trust::Column::ProjectId.eq(project_id))
            .filter(trust::Column::DeletedAt.is_null())
            .exec(conn)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(body: Value) -> Result<TrustRequest> {
        TrustRequest::parse(body.as_object().unwrap().clone())
    }

    #[test]
    fn requests_are_checked_like_keystones_schema() {
        let ok = json!({"trustor_user_id": "a", "trustee_user_id": "b", "impersonation": true,
            "roles": [{"name": "r"}, {"id": "x"}], "remaining_uses": 2, "note": 1});
        let parsed = request(ok).unwrap();
        assert_eq!(parsed.roles.len(), 2);
        assert_eq!(parsed.extra["note"], 1);
        for bad in [
            json!({"trustee_user_id": "b", "impersonation": true}),
            json!({"trustor_user_id": "a", "trustee_user_id": "b"}),
            json!({"trustor_user_id": "a", "trustee_user_id": "b", "impersonation": "yes"}),
            json!({"trustor_user_id": "a", "trustee_user_id": "b", "impersonation": true, "remaining_uses": 0}),
            json!({"trustor_user_id": "a", "trustee_user_id": "b", "impersonation": true, "remaining_uses": 1.5}),
            json!({"trustor_user_id": "a", "trustee_user_id": "b", "impersonation": true, "roles": [{"id": "x", "name": "y"}]}),
        ] {
            assert!(request(bad).is_err());
        }
    }

    #[test]
    fn expiry_formats() {
        assert!(parse_expiry("2999-01-01T00:00:00Z").is_ok());
        assert!(parse_expiry("2999-01-01T00:00:00.123456Z").is_ok());
        assert!(parse_expiry("2999-01-01T00:00:00").is_ok());
        for bad in ["bad.123Z", "", "Z", "2000-01-01T00:00:00Z"] {
            assert!(
                matches!(parse_expiry(bad), Err(Error::Validation(_))),
                "{bad}"
            );
        }
    }
}
