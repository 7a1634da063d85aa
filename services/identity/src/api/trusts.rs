//! `/v3/OS-TRUST/trusts`: create, list, show and delete trusts, and read the roles
//! they delegate. Trusts cannot be updated.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use ferrostack_api::Json;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::V3Url;
use super::query::QueryPairs;
use super::{render, AppState, Caller};
use crate::db::entity::trust;
use crate::domain::{isotime, Error, Extra, Trust};

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

/// The trust's own fields, as lists show them (no roles).
fn summary(base: &str, t: &trust::Model) -> Value {
    let mut body = json!({
        "id": t.id,
        "trustor_user_id": t.trustor_user_id,
        "trustee_user_id": t.trustee_user_id,
        "project_id": t.project_id,
        "impersonation": t.impersonation,
        "expires_at": t.expires_at.map(|e| isotime(&e.and_utc())),
        "remaining_uses": t.remaining_uses,
        "redelegated_trust_id": t.redelegated_trust_id,
        "redelegation_count": t.redelegation_count,
        "deleted_at": t.deleted_at.map(|e| isotime(&e.and_utc())),
        "links": {"self": format!("{base}/OS-TRUST/trusts/{}", t.id)},
    });
    for (key, value) in Extra::parse(&t.extra).0 {
        if body.get(&key).is_none() {
            body[key] = value;
        }
    }
    body
}

fn roles_links(base: &str, id: &str) -> Value {
    render::collection_links(&format!("{base}/OS-TRUST/trusts/{id}/roles"))
}

/// A trust with its roles, as create and show render it.
async fn full(identity: &AppState, base: &str, t: &Trust) -> Result<Value, Error> {
    let mut body = summary(base, &t.row);
    let roles: Vec<Value> = identity
        .trust_roles(t)
        .await?
        .iter()
        .map(|r| render::role(base, r))
        .collect();
    body["roles"] = Value::Array(roles);
    body["roles_links"] = roles_links(base, &t.row.id);
    Ok(body)
}

/// The policy target of a stored trust.
fn target(t: &trust::Model) -> Value {
    json!({"target": {"trust": {"trustor_user_id": t.trustor_user_id, "trustee_user_id": t.trustee_user_id}}})
}

/// The trust a caller may read: 404 before 403, as Keystone looks it up first.
async fn readable(
    identity: &AppState,
    caller: &Caller,
    rule: &str,
    id: &str,
) -> Result<Trust, Error> {
    let found = identity.get_trust(id).await?;
    caller.authorize(identity, rule, &target(&found.row))?;
    Ok(found)
}

/// List trusts: all (admins, system readers), or by trustor or trustee.
#[utoipa::path(get, path = "/v3/OS-TRUST/trusts", tag = "trusts", operation_id = "list_trusts",
    params(("trustor_user_id" = Option<String>, Query, description = "Trusts given by this user"),
        ("trustee_user_id" = Option<String>, Query, description = "Trusts given to this user")),
    responses((status = 200, description = "The trusts"), (status = 403)))]
async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    let trustor = query.get("trustor_user_id");
    let trustee = query.get("trustee_user_id");
    let rows = match (trustor, trustee) {
        (Some(trustor), _) => {
            let target = json!({"target": {"trust": {"trustor_user_id": trustor}}});
            caller.authorize(&identity, "identity:list_trusts_for_trustor", &target)?;
            identity.list_trusts(Some(trustor), None).await?
        }
        (None, Some(trustee)) => {
            let target = json!({"target": {"trust": {"trustee_user_id": trustee}}});
            caller.authorize(&identity, "identity:list_trusts_for_trustee", &target)?;
            identity.list_trusts(None, Some(trustee)).await?
        }
        (None, None) => {
            caller.authorize(&identity, "identity:list_trusts", &json!({}))?;
            identity.list_trusts(None, None).await?
        }
    };
    let trusts: Vec<Value> = rows.iter().map(|t| summary(&base, t)).collect();
    let links = render::collection_links(&format!("{base}/OS-TRUST/trusts"));
    Ok((
        StatusCode::OK,
        axum::Json(json!({"trusts": trusts, "links": links})),
    ))
}

/// Create a trust: the caller delegates roles they hold on a project.
#[utoipa::path(post, path = "/v3/OS-TRUST/trusts", tag = "trusts", operation_id = "create_trust",
    request_body(content = Object, content_type = "application/json",
        description = "`{\"trust\": {\"trustor_user_id\", \"trustee_user_id\", \"impersonation\", \"project_id\", \"roles\", \"expires_at\", \"remaining_uses\"}}`"),
    responses((status = 201, description = "The trust"), (status = 400), (status = 403), (status = 404)))]
async fn create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<Value>,
) -> Reply {
    let trust: Map<String, Value> = match body {
        Value::Object(mut body) => match body.remove("trust") {
            Some(Value::Object(trust)) => trust,
            _ => return Err(crate::domain::validate_required("trust")),
        },
        _ => return Err(crate::domain::validate_required("trust")),
    };
    let trustor = trust.get("trustor_user_id").cloned().unwrap_or(Value::Null);
    caller.authorize(
        &identity,
        "identity:create_trust",
        &json!({"target": {"trust": {"trustor_user_id": trustor}}}),
    )?;
    if caller.token.oauth.is_some() {
        return Err(Error::Forbidden(
            "You are not authorized to perform the requested action: Redelegation allowed for delegated by trust only.".into(),
        ));
    }
    if caller.token.app_cred.is_some() {
        return Err(Error::Forbidden(
            "You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing trusts.".into(),
        ));
    }
    // A trust-scoped token redelegates its trust.
    let redelegated = match &caller.token.trust {
        Some(parent) => Some(identity.get_trust(&parent.id).await?),
        None => None,
    };
    let made = identity.create_trust(trust, redelegated).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"trust": full(&identity, &base, &made).await?})),
    ))
}

/// Show a trust (HEAD checks it).
#[utoipa::path(get, path = "/v3/OS-TRUST/trusts/{trust_id}", tag = "trusts", operation_id = "get_trust",
    params(("trust_id" = String, Path, description = "Trust id")),
    responses((status = 200, description = "The trust"), (status = 403), (status = 404)))]
async fn show(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let found = readable(&identity, &caller, "identity:get_trust", &id).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"trust": full(&identity, &base, &found).await?})),
    ))
}

/// Delete a trust (the trustor or an admin).
#[utoipa::path(delete, path = "/v3/OS-TRUST/trusts/{trust_id}", tag = "trusts", operation_id = "delete_trust",
    params(("trust_id" = String, Path, description = "Trust id")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    readable(&identity, &caller, "identity:delete_trust", &id).await?;
    identity.delete_trust(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The roles a trust delegates.
#[utoipa::path(get, path = "/v3/OS-TRUST/trusts/{trust_id}/roles", tag = "trusts",
    operation_id = "list_roles_for_trust",
    params(("trust_id" = String, Path, description = "Trust id")),
    responses((status = 200, description = "The roles"), (status = 403), (status = 404)))]
async fn roles(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let found = readable(&identity, &caller, "identity:list_roles_for_trust", &id).await?;
    let roles: Vec<Value> = identity
        .trust_roles(&found)
        .await?
        .iter()
        .map(|r| render::role(&base, r))
        .collect();
    Ok((
        StatusCode::OK,
        axum::Json(json!({"roles": roles, "links": roles_links(&base, &id)})),
    ))
}

/// One role a trust delegates (HEAD checks it); 404 for a role it does not.
#[utoipa::path(get, path = "/v3/OS-TRUST/trusts/{trust_id}/roles/{role_id}", tag = "trusts",
    operation_id = "get_role_for_trust",
    params(("trust_id" = String, Path, description = "Trust id"),
        ("role_id" = String, Path, description = "Role id")),
    responses((status = 200, description = "The role"), (status = 403), (status = 404)))]
async fn role(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path((id, role_id)): Path<(String, String)>,
) -> Reply {
    let found = readable(&identity, &caller, "identity:get_role_for_trust", &id).await?;
    if !found.role_ids.contains(&role_id) {
        return Err(Error::not_found("role", role_id));
    }
    let role = identity.get_role(&role_id).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"role": render::role(&base, &role)})),
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        // Keystone strips a trailing slash; tempest lists trusts as `trusts/?...`.
        .route("/v3/OS-TRUST/trusts/", get(list))
        .routes(routes!(show, delete))
        .routes(routes!(roles))
        .routes(routes!(role))
}
