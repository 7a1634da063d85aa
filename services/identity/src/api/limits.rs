//! Unified limits: `/v3/registered_limits`, `/v3/limits` and `/v3/limits/model`
//! (Keystone's flat model).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use ferrostack_api::Json;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::V3Url;
use super::query::QueryPairs;
use super::{render, AppState, Caller};
use crate::db::entity::registered_limit;
use crate::domain::{Error, LimitFilter, LimitView};

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

fn registered_view(base: &str, r: &registered_limit::Model) -> Value {
    json!({
        "id": r.id,
        "service_id": r.service_id,
        "region_id": r.region_id,
        "resource_name": r.resource_name,
        "default_limit": r.default_limit,
        "description": r.description,
        "links": {"self": format!("{base}/registered_limits/{}", r.id)},
    })
}

fn limit_view(base: &str, l: &LimitView) -> Value {
    json!({
        "id": l.row.id,
        "project_id": l.row.project_id,
        "domain_id": l.row.domain_id,
        "service_id": l.service_id,
        "region_id": l.region_id,
        "resource_name": l.resource_name,
        "resource_limit": l.row.resource_limit,
        "description": l.row.description,
        "links": {"self": format!("{base}/limits/{}", l.row.id)},
    })
}

/// The list of objects under `key` of a create body.
fn objects(body: Value, key: &str) -> Result<Vec<Map<String, Value>>, Error> {
    let invalid = || {
        Error::invalid(format!(
            "Invalid input for field '{key}': expecting a non-empty list of objects"
        ))
    };
    let Some(Value::Array(items)) = body.get(key).cloned() else {
        return Err(invalid());
    };
    if items.is_empty() {
        return Err(invalid());
    }
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(o) => Ok(o),
            _ => Err(invalid()),
        })
        .collect()
}

/// The object under `key` of an update body.
fn object(body: Value, key: &str) -> Result<Map<String, Value>, Error> {
    match body.get(key) {
        Some(Value::Object(o)) => Ok(o.clone()),
        _ => Err(crate::domain::validate_required(key)),
    }
}

fn filter(query: &QueryPairs) -> LimitFilter {
    LimitFilter {
        service_id: query.string("service_id"),
        region_id: query.string("region_id"),
        resource_name: query.string("resource_name"),
        project_id: query.string("project_id"),
        domain_id: query.string("domain_id"),
    }
}

/// List registered limits (by service, region, resource).
#[utoipa::path(get, path = "/v3/registered_limits", tag = "unified limits",
    operation_id = "list_registered_limits",
    responses((status = 200, description = "The registered limits")))]
async fn list_registered(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    caller.authorize(&identity, "identity:list_registered_limits", &json!({}))?;
    let rows = identity.list_registered_limits(&filter(&query)).await?;
    let items: Vec<Value> = rows.iter().map(|r| registered_view(&base, r)).collect();
    let links = render::collection_links(&format!("{base}/registered_limits"));
    Ok((
        StatusCode::OK,
        axum::Json(json!({"registered_limits": items, "links": links})),
    ))
}

/// Create registered limits.
#[utoipa::path(post, path = "/v3/registered_limits", tag = "unified limits",
    operation_id = "create_registered_limits",
    request_body(content = Object, content_type = "application/json",
        description = "`{\"registered_limits\": [{\"service_id\", \"region_id\", \"resource_name\", \"default_limit\", \"description\"}]}`"),
    responses((status = 201, description = "The registered limits"), (status = 400), (status = 403), (status = 409)))]
async fn create_registered(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<Value>,
) -> Reply {
    caller.authorize(&identity, "identity:create_registered_limits", &json!({}))?;
    let made = identity
        .create_registered_limits(objects(body, "registered_limits")?)
        .await?;
    let items: Vec<Value> = made.iter().map(|r| registered_view(&base, r)).collect();
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"registered_limits": items})),
    ))
}

/// Show a registered limit.
#[utoipa::path(get, path = "/v3/registered_limits/{registered_limit_id}", tag = "unified limits",
    operation_id = "get_registered_limit",
    params(("registered_limit_id" = String, Path, description = "Registered limit id")),
    responses((status = 200, description = "The registered limit"), (status = 404)))]
async fn show_registered(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    caller.authorize(&identity, "identity:get_registered_limit", &json!({}))?;
    let found = identity.get_registered_limit(&id).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"registered_limit": registered_view(&base, &found)})),
    ))
}

/// Update a registered limit.
#[utoipa::path(patch, path = "/v3/registered_limits/{registered_limit_id}", tag = "unified limits",
    operation_id = "update_registered_limit",
    params(("registered_limit_id" = String, Path, description = "Registered limit id")),
    request_body(content = Object, content_type = "application/json", description = "`{\"registered_limit\": {...}}`"),
    responses((status = 200, description = "The registered limit"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn update_registered(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Reply {
    caller.authorize(&identity, "identity:update_registered_limit", &json!({}))?;
    let updated = identity
        .update_registered_limit(&id, object(body, "registered_limit")?)
        .await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"registered_limit": registered_view(&base, &updated)})),
    ))
}

/// Delete a registered limit no limit uses.
#[utoipa::path(delete, path = "/v3/registered_limits/{registered_limit_id}", tag = "unified limits",
    operation_id = "delete_registered_limit",
    params(("registered_limit_id" = String, Path, description = "Registered limit id")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete_registered(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:delete_registered_limit", &json!({}))?;
    identity.delete_registered_limit(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List limits, as Keystone scopes them: all for system tokens, a domain's and its
/// projects' for domain tokens, the project's own for project tokens.
#[utoipa::path(get, path = "/v3/limits", tag = "unified limits", operation_id = "list_limits",
    responses((status = 200, description = "The limits")))]
async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    caller.authorize(&identity, "identity:list_limits", &json!({}))?;
    let mut wanted = filter(&query);
    let token = &caller.token;
    let rows = if token.is_system() {
        identity.list_limits(&wanted).await?
    } else if let Some(domain_id) = token.domain_id() {
        let mut rows = Vec::new();
        for l in identity.list_limits(&wanted).await? {
            let in_domain = match &l.row.project_id {
                Some(p) => identity
                    .get_project(p)
                    .await
                    .is_ok_and(|p| p.row.domain_id == domain_id),
                None => l.row.domain_id.as_deref() == Some(domain_id),
            };
            if in_domain {
                rows.push(l);
            }
        }
        rows
    } else {
        // Project-scoped (or unscoped: nothing) callers see their project's limits.
        wanted.project_id = Some(token.project_id().unwrap_or_default().to_string());
        identity.list_limits(&wanted).await?
    };
    let items: Vec<Value> = rows.iter().map(|l| limit_view(&base, l)).collect();
    let links = render::collection_links(&format!("{base}/limits"));
    Ok((
        StatusCode::OK,
        axum::Json(json!({"limits": items, "links": links})),
    ))
}

/// Create limits for projects or domains.
#[utoipa::path(post, path = "/v3/limits", tag = "unified limits", operation_id = "create_limits",
    request_body(content = Object, content_type = "application/json",
        description = "`{\"limits\": [{\"service_id\", \"region_id\", \"project_id\" | \"domain_id\", \"resource_name\", \"resource_limit\", \"description\"}]}`"),
    responses((status = 201, description = "The limits"), (status = 400), (status = 403), (status = 409)))]
async fn create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<Value>,
) -> Reply {
    caller.authorize(&identity, "identity:create_limits", &json!({}))?;
    let made = identity.create_limits(objects(body, "limits")?).await?;
    let items: Vec<Value> = made.iter().map(|l| limit_view(&base, l)).collect();
    Ok((StatusCode::CREATED, axum::Json(json!({"limits": items}))))
}

/// The enforcement model.
#[utoipa::path(get, path = "/v3/limits/model", tag = "unified limits", operation_id = "get_limit_model",
    responses((status = 200, description = "The limit model")))]
async fn model(State(identity): State<AppState>, caller: Caller) -> Reply {
    caller.authorize(&identity, "identity:get_limit_model", &json!({}))?;
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({"model": {"name": "flat", "description": "Limit enforcement and validation does not take project hierarchy into consideration."}}),
        ),
    ))
}

/// Show a limit.
#[utoipa::path(get, path = "/v3/limits/{limit_id}", tag = "unified limits", operation_id = "get_limit",
    params(("limit_id" = String, Path, description = "Limit id")),
    responses((status = 200, description = "The limit"), (status = 403), (status = 404)))]
async fn show(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let found = identity.get_limit(&id).await?;
    // As Keystone builds it: the project (or the domain) of the limit, the other
    // left out so that its checks cannot match a missing value.
    let mut limit = json!({"project_id": found.row.project_id, "domain_id": found.row.domain_id});
    if let Some(project_id) = &found.row.project_id {
        let project = identity.get_project(project_id).await?;
        limit["project"] = json!({"id": project_id, "domain_id": project.row.domain_id});
    } else if let Some(domain_id) = &found.row.domain_id {
        limit["domain"] = json!({"id": domain_id});
    }
    let target = json!({"target": {"limit": limit}});
    caller.authorize(&identity, "identity:get_limit", &target)?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"limit": limit_view(&base, &found)})),
    ))
}

/// Update a limit's value or description.
#[utoipa::path(patch, path = "/v3/limits/{limit_id}", tag = "unified limits", operation_id = "update_limit",
    params(("limit_id" = String, Path, description = "Limit id")),
    request_body(content = Object, content_type = "application/json", description = "`{\"limit\": {\"resource_limit\", \"description\"}}`"),
    responses((status = 200, description = "The limit"), (status = 400), (status = 403), (status = 404)))]
async fn update(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Reply {
    caller.authorize(&identity, "identity:update_limit", &json!({}))?;
    let updated = identity.update_limit(&id, object(body, "limit")?).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"limit": limit_view(&base, &updated)})),
    ))
}

/// Delete a limit.
#[utoipa::path(delete, path = "/v3/limits/{limit_id}", tag = "unified limits", operation_id = "delete_limit",
    params(("limit_id" = String, Path, description = "Limit id")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:delete_limit", &json!({}))?;
    identity.delete_limit(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_registered, create_registered))
        .routes(routes!(
            show_registered,
            update_registered,
            delete_registered
        ))
        .routes(routes!(list, create))
        .routes(routes!(model))
        .routes(routes!(show, update, delete))
}
