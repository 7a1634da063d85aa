//! `/v3/policies`: the legacy policy documents (admin to write, system
//! readers and admins to read).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use ferrostack_api::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::V3Url;
use super::query::QueryPairs;
use super::{render, AppState, Caller};
use crate::db::entity::policy_blob;
use crate::domain::{Error, Extra, PolicyInput};

#[derive(Deserialize)]
struct Body {
    policy: PolicyInput,
}

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

fn view(base: &str, p: &policy_blob::Model) -> Value {
    let mut body = json!({
        "id": p.id,
        "blob": p.blob,
        "type": p.kind,
        "links": {"self": format!("{base}/policies/{}", p.id)},
    });
    for (key, value) in Extra::parse(&p.extra).0 {
        if body.get(&key).is_none() {
            body[key] = value;
        }
    }
    body
}

/// List policies (by `type`).
#[utoipa::path(get, path = "/v3/policies", tag = "policies", operation_id = "list_policies",
    params(("type" = Option<String>, Query, description = "Only policies of this media type")),
    responses((status = 200, description = "The policies"), (status = 403)))]
async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    caller.authorize(&identity, "identity:list_policies", &json!({}))?;
    let rows = identity.list_policy_blobs(query.get("type")).await?;
    let policies: Vec<Value> = rows.iter().map(|p| view(&base, p)).collect();
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({"policies": policies, "links": render::collection_links(&format!("{base}/policies"))}),
        ),
    ))
}

/// Create a policy.
#[utoipa::path(post, path = "/v3/policies", tag = "policies", operation_id = "create_policy",
    request_body(content = Object, content_type = "application/json", description = "`{\"policy\": {\"blob\", \"type\"}}`"),
    responses((status = 201, description = "The policy"), (status = 400), (status = 403)))]
async fn create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<Body>,
) -> Reply {
    caller.authorize(&identity, "identity:create_policy", &json!({}))?;
    let made = identity.create_policy_blob(body.policy).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"policy": view(&base, &made)})),
    ))
}

/// Show a policy.
#[utoipa::path(get, path = "/v3/policies/{policy_id}", tag = "policies", operation_id = "get_policy",
    params(("policy_id" = String, Path, description = "Policy id")),
    responses((status = 200, description = "The policy"), (status = 403), (status = 404)))]
async fn show(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    caller.authorize(&identity, "identity:get_policy", &json!({}))?;
    let found = identity.get_policy_blob(&id).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"policy": view(&base, &found)})),
    ))
}

/// Update a policy.
#[utoipa::path(patch, path = "/v3/policies/{policy_id}", tag = "policies", operation_id = "update_policy",
    params(("policy_id" = String, Path, description = "Policy id")),
    request_body(content = Object, content_type = "application/json", description = "`{\"policy\": {...}}`"),
    responses((status = 200, description = "The policy"), (status = 400), (status = 403), (status = 404)))]
async fn update(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<Body>,
) -> Reply {
    caller.authorize(&identity, "identity:update_policy", &json!({}))?;
    let updated = identity.update_policy_blob(&id, body.policy).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"policy": view(&base, &updated)})),
    ))
}

/// Delete a policy.
#[utoipa::path(delete, path = "/v3/policies/{policy_id}", tag = "policies", operation_id = "delete_policy",
    params(("policy_id" = String, Path, description = "Policy id")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:delete_policy", &json!({}))?;
    identity.delete_policy_blob(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, delete))
}
