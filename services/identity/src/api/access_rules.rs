//! `/v3/users/{user_id}/access_rules`: a user's application credential access rules.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::V3Url;
use super::query::QueryPairs;
use super::{render, AppState, Caller};
use crate::domain::{AccessRule, Error};

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

fn view(base: &str, user_id: &str, r: &AccessRule) -> Value {
    json!({
        "id": r.id,
        "service": r.service,
        "path": r.path,
        "method": r.method,
        "links": {"self": format!("{base}/users/{user_id}/access_rules/{}", r.id)},
    })
}

fn target(user_id: &str) -> Value {
    json!({"target": {"user": {"id": user_id}}})
}

/// List a user's access rules (by `service`, `path`, `method`).
#[utoipa::path(get, path = "/v3/users/{user_id}/access_rules", tag = "access rules",
    operation_id = "list_access_rules",
    params(("user_id" = String, Path, description = "User id"),
        ("service" = Option<String>, Query, description = "Only rules for this service type"),
        ("path" = Option<String>, Query, description = "Only rules with this path"),
        ("method" = Option<String>, Query, description = "Only rules for this method")),
    responses((status = 200, description = "The rules"), (status = 403), (status = 404)))]
async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(user_id): Path<String>,
    query: QueryPairs,
) -> Reply {
    caller.authorize(&identity, "identity:list_access_rules", &target(&user_id))?;
    let rules = identity
        .list_access_rules(
            &user_id,
            query.get("service"),
            query.get("path"),
            query.get("method"),
        )
        .await?;
    let rules: Vec<Value> = rules.iter().map(|r| view(&base, &user_id, r)).collect();
    let links = render::collection_links(&format!("{base}/users/{user_id}/access_rules"));
    Ok((
        StatusCode::OK,
        axum::Json(json!({"access_rules": rules, "links": links})),
    ))
}

/// Show one of a user's access rules.
#[utoipa::path(get, path = "/v3/users/{user_id}/access_rules/{access_rule_id}",
    tag = "access rules", operation_id = "get_access_rule",
    params(("user_id" = String, Path, description = "User id"),
        ("access_rule_id" = String, Path, description = "Access rule id")),
    responses((status = 200, description = "The rule"), (status = 403), (status = 404)))]
async fn show(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path((user_id, id)): Path<(String, String)>,
) -> Reply {
    caller.authorize(&identity, "identity:get_access_rule", &target(&user_id))?;
    let rule = identity.get_access_rule(&user_id, &id).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"access_rule": view(&base, &user_id, &rule)})),
    ))
}

/// Delete an access rule no application credential uses (403 while one does).
#[utoipa::path(delete, path = "/v3/users/{user_id}/access_rules/{access_rule_id}",
    tag = "access rules", operation_id = "delete_access_rule",
    params(("user_id" = String, Path, description = "User id"),
        ("access_rule_id" = String, Path, description = "Access rule id")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path((user_id, id)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:delete_access_rule", &target(&user_id))?;
    identity.delete_access_rule(&user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show, delete))
}
