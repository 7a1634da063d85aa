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
use crate::domain::{DomainInput, Error};

#[derive(Deserialize)]
struct Body {
    domain: DomainInput,
}

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

/// List domains.
#[utoipa::path(
    get,
    path = "/v3/domains",
    tag = "domains",
    operation_id = "list_domains",
    params(
        ("name" = Option<String>, Query, description = "Only the domain with this name"),
        ("enabled" = Option<bool>, Query, description = "Only enabled (or disabled) domains"),
    ),
    responses(
        (status = 200, description = "The domains"),
        (status = 400, description = "Invalid query string"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
    ),
)]
async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    caller.authorize(&identity, "identity:list_domains", &json!({}))?;
    let domains: Vec<Value> = identity
        .list_domains(query.get("name"), query.boolean("enabled"))
        .await?
        .iter()
        .map(|d| render::domain(&base, d))
        .collect();
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({"domains": domains, "links": render::collection_links(&format!("{base}/domains"))}),
        ),
    ))
}

/// Create a domain.
#[utoipa::path(
    post,
    path = "/v3/domains",
    tag = "domains",
    operation_id = "create_domain",
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"domain\": {...}}`"
    ),
    responses(
        (status = 201, description = "The created domain"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 409, description = "A domain with this name exists"),
    ),
)]
async fn create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<Body>,
) -> Reply {
    caller.authorize(
        &identity,
        "identity:create_domain",
        &json!({"target": {"domain": {"name": body.domain.name}}}),
    )?;
    let domain = identity.create_domain(body.domain).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"domain": render::domain(&base, &domain)})),
    ))
}

/// Show a domain.
///
/// Unknown ids (the CLI tries names here first) are 404.
#[utoipa::path(
    get,
    path = "/v3/domains/{id}",
    tag = "domains",
    operation_id = "get_domain",
    params(("id" = String, Path, description = "Domain id")),
    responses(
        (status = 200, description = "The domain"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such domain"),
    ),
)]
async fn get_one(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let domain = identity.get_domain(&id).await?;
    caller.authorize(
        &identity,
        "identity:get_domain",
        &json!({"target": {"domain": {"id": domain.id}}}),
    )?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"domain": render::domain(&base, &domain)})),
    ))
}

/// Update a domain.
#[utoipa::path(
    patch,
    path = "/v3/domains/{id}",
    tag = "domains",
    operation_id = "update_domain",
    params(("id" = String, Path, description = "Domain id")),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"domain\": {...}}`"
    ),
    responses(
        (status = 200, description = "The updated domain"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such domain"),
        (status = 409, description = "A domain with this name exists"),
    ),
)]
async fn update(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<Body>,
) -> Reply {
    caller.authorize(
        &identity,
        "identity:update_domain",
        &json!({"target": {"domain": {"id": id}}}),
    )?;
    let domain = identity.update_domain(&id, body.domain).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"domain": render::domain(&base, &domain)})),
    ))
}

/// Delete a disabled domain.
#[utoipa::path(
    delete,
    path = "/v3/domains/{id}",
    tag = "domains",
    operation_id = "delete_domain",
    params(("id" = String, Path, description = "Domain id")),
    responses(
        (status = 204, description = "The domain is deleted"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized, or the domain is enabled"),
        (status = 404, description = "No such domain"),
        (status = 409, description = "Conflicts with existing data"),
    ),
)]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    caller.authorize(
        &identity,
        "identity:delete_domain",
        &json!({"target": {"domain": {"id": id}}}),
    )?;
    identity.delete_domain(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update, delete))
}
