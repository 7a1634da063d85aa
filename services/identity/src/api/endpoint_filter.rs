//! `/v3/OS-EP-FILTER`: endpoint groups, and the endpoints and endpoint groups
//! associated with projects (admin to write, system readers and admins to read).

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
use crate::db::entity::endpoint;
use crate::domain::{EndpointGroup, EndpointGroupInput, Error};

#[derive(Deserialize)]
struct Body {
    endpoint_group: EndpointGroupInput,
}

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

const PREFIX: &str = "OS-EP-FILTER";

fn view(base: &str, g: &EndpointGroup) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "description": g.description,
        "filters": g.filters,
        "links": {"self": format!("{base}/{PREFIX}/endpoint_groups/{}", g.id)},
    })
}

fn groups_reply(base: &str, self_url: String, groups: &[EndpointGroup]) -> Reply {
    let groups: Vec<Value> = groups.iter().map(|g| view(base, g)).collect();
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({"endpoint_groups": groups, "links": render::collection_links(&self_url)}),
        ),
    ))
}

fn endpoints_reply(base: &str, self_url: String, endpoints: &[endpoint::Model]) -> Reply {
    let endpoints: Vec<Value> = endpoints
        .iter()
        .map(|e| render::endpoint(base, e))
        .collect();
    Ok((
        StatusCode::OK,
        axum::Json(json!({"endpoints": endpoints, "links": render::collection_links(&self_url)})),
    ))
}

async fn projects_reply(
    identity: &AppState,
    base: &str,
    self_url: String,
    ids: Vec<String>,
) -> Reply {
    let mut projects = Vec::with_capacity(ids.len());
    for id in ids {
        // An association outliving its project (deleted by another process) is skipped.
        if let Ok(project) = identity.get_project(&id).await {
            projects.push(render::project(base, &project));
        }
    }
    Ok((
        StatusCode::OK,
        axum::Json(json!({"projects": projects, "links": render::collection_links(&self_url)})),
    ))
}

/// List endpoint groups (by `name`).
#[utoipa::path(get, path = "/v3/OS-EP-FILTER/endpoint_groups", tag = "endpoint filter",
    operation_id = "list_endpoint_groups",
    params(("name" = Option<String>, Query, description = "Only groups of this name")),
    responses((status = 200, description = "The endpoint groups"), (status = 403)))]
async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    caller.authorize(&identity, "identity:list_endpoint_groups", &json!({}))?;
    let groups = identity.list_endpoint_groups(query.get("name")).await?;
    groups_reply(&base, format!("{base}/{PREFIX}/endpoint_groups"), &groups)
}

/// Create an endpoint group.
#[utoipa::path(post, path = "/v3/OS-EP-FILTER/endpoint_groups", tag = "endpoint filter",
    operation_id = "create_endpoint_group",
    request_body(content = Object, content_type = "application/json",
        description = "`{\"endpoint_group\": {\"name\", \"description\", \"filters\"}}`"),
    responses((status = 201, description = "The endpoint group"), (status = 400), (status = 403)))]
async fn create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<Body>,
) -> Reply {
    caller.authorize(&identity, "identity:create_endpoint_group", &json!({}))?;
    let made = identity.create_endpoint_group(body.endpoint_group).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"endpoint_group": view(&base, &made)})),
    ))
}

/// Show an endpoint group (HEAD checks it).
#[utoipa::path(get, path = "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}",
    tag = "endpoint filter", operation_id = "get_endpoint_group",
    params(("endpoint_group_id" = String, Path, description = "Endpoint group id")),
    responses((status = 200, description = "The endpoint group"), (status = 403), (status = 404)))]
async fn show(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    caller.authorize(&identity, "identity:get_endpoint_group", &json!({}))?;
    let found = identity.get_endpoint_group(&id).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"endpoint_group": view(&base, &found)})),
    ))
}

/// Update an endpoint group.
#[utoipa::path(patch, path = "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}",
    tag = "endpoint filter", operation_id = "update_endpoint_group",
    params(("endpoint_group_id" = String, Path, description = "Endpoint group id")),
    request_body(content = Object, content_type = "application/json",
        description = "`{\"endpoint_group\": {...}}`"),
    responses((status = 200, description = "The endpoint group"), (status = 400), (status = 403),
        (status = 404)))]
async fn update(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<Body>,
) -> Reply {
    caller.authorize(&identity, "identity:update_endpoint_group", &json!({}))?;
    let updated = identity
        .update_endpoint_group(&id, body.endpoint_group)
        .await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"endpoint_group": view(&base, &updated)})),
    ))
}

/// Delete an endpoint group and its project associations.
#[utoipa::path(delete, path = "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}",
    tag = "endpoint filter", operation_id = "delete_endpoint_group",
    params(("endpoint_group_id" = String, Path, description = "Endpoint group id")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:delete_endpoint_group", &json!({}))?;
    identity.delete_endpoint_group(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The endpoints an endpoint group selects.
#[utoipa::path(get, path = "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/endpoints",
    tag = "endpoint filter", operation_id = "list_endpoints_associated_with_endpoint_group",
    params(("endpoint_group_id" = String, Path, description = "Endpoint group id")),
    responses((status = 200, description = "The endpoints"), (status = 403), (status = 404)))]
async fn group_endpoints(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    caller.authorize(
        &identity,
        "identity:list_endpoints_associated_with_endpoint_group",
        &json!({}),
    )?;
    let endpoints = identity.endpoints_in_group(&id).await?;
    endpoints_reply(
        &base,
        format!("{base}/{PREFIX}/endpoint_groups/{id}/endpoints"),
        &endpoints,
    )
}

/// The projects an endpoint group is associated with.
#[utoipa::path(get, path = "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/projects",
    tag = "endpoint filter", operation_id = "list_projects_associated_with_endpoint_group",
    params(("endpoint_group_id" = String, Path, description = "Endpoint group id")),
    responses((status = 200, description = "The projects"), (status = 403), (status = 404)))]
async fn group_projects(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    caller.authorize(
        &identity,
        "identity:list_projects_associated_with_endpoint_group",
        &json!({}),
    )?;
    let ids = identity.projects_of_endpoint_group(&id).await?;
    let self_url = format!("{base}/{PREFIX}/endpoint_groups/{id}/projects");
    projects_reply(&identity, &base, self_url, ids).await
}

/// Show an endpoint group's association with a project (HEAD checks it).
#[utoipa::path(get,
    path = "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/projects/{project_id}",
    tag = "endpoint filter", operation_id = "get_endpoint_group_in_project",
    params(("endpoint_group_id" = String, Path, description = "Endpoint group id"),
        ("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "The association"), (status = 403), (status = 404)))]
async fn group_project(
    State(identity): State<AppState>,
    caller: Caller,
    Path((id, project_id)): Path<(String, String)>,
) -> Reply {
    caller.authorize(
        &identity,
        "identity:get_endpoint_group_in_project",
        &json!({}),
    )?;
    identity
        .check_endpoint_group_in_project(&id, &project_id)
        .await?;
    // Keystone's self link here is relative (no host, no /v3).
    Ok((
        StatusCode::OK,
        axum::Json(json!({"project_endpoint_group": {
            "endpoint_group_id": id,
            "project_id": project_id,
            "links": {"self": format!("/{PREFIX}/endpoint_groups/{id}/projects/{project_id}")},
        }})),
    ))
}

/// Associate an endpoint group with a project.
#[utoipa::path(put,
    path = "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/projects/{project_id}",
    tag = "endpoint filter", operation_id = "add_endpoint_group_to_project",
    params(("endpoint_group_id" = String, Path, description = "Endpoint group id"),
        ("project_id" = String, Path, description = "Project id")),
    responses((status = 204, description = "Associated"), (status = 403), (status = 404)))]
async fn add_group_project(
    State(identity): State<AppState>,
    caller: Caller,
    Path((id, project_id)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    caller.authorize(
        &identity,
        "identity:add_endpoint_group_to_project",
        &json!({}),
    )?;
    identity
        .add_endpoint_group_to_project(&id, &project_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove an endpoint group's association with a project.
#[utoipa::path(delete,
    path = "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/projects/{project_id}",
    tag = "endpoint filter", operation_id = "remove_endpoint_group_from_project",
    params(("endpoint_group_id" = String, Path, description = "Endpoint group id"),
        ("project_id" = String, Path, description = "Project id")),
    responses((status = 204, description = "Removed"), (status = 403), (status = 404)))]
async fn remove_group_project(
    State(identity): State<AppState>,
    caller: Caller,
    Path((id, project_id)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    caller.authorize(
        &identity,
        "identity:remove_endpoint_group_from_project",
        &json!({}),
    )?;
    identity
        .remove_endpoint_group_from_project(&id, &project_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The endpoint groups associated with a project.
#[utoipa::path(get, path = "/v3/OS-EP-FILTER/projects/{project_id}/endpoint_groups",
    tag = "endpoint filter", operation_id = "list_endpoint_groups_for_project",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "The endpoint groups"), (status = 403), (status = 404)))]
async fn project_groups(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(project_id): Path<String>,
) -> Reply {
    caller.authorize(
        &identity,
        "identity:list_endpoint_groups_for_project",
        &json!({}),
    )?;
    let groups = identity.endpoint_groups_of_project(&project_id).await?;
    groups_reply(
        &base,
        format!("{base}/{PREFIX}/projects/{project_id}/endpoint_groups"),
        &groups,
    )
}

/// The endpoints associated with a project, directly or through endpoint groups.
#[utoipa::path(get, path = "/v3/OS-EP-FILTER/projects/{project_id}/endpoints",
    tag = "endpoint filter", operation_id = "list_endpoints_for_project",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "The endpoints"), (status = 403), (status = 404)))]
async fn project_endpoints(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(project_id): Path<String>,
) -> Reply {
    caller.authorize(&identity, "identity:list_endpoints_for_project", &json!({}))?;
    let endpoints = identity.endpoints_of_project(&project_id).await?;
    endpoints_reply(
        &base,
        format!("{base}/{PREFIX}/projects/{project_id}/endpoints"),
        &endpoints,
    )
}

/// Check an endpoint's association with a project (HEAD too).
#[utoipa::path(get, path = "/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}",
    tag = "endpoint filter", operation_id = "check_endpoint_in_project",
    params(("project_id" = String, Path, description = "Project id"),
        ("endpoint_id" = String, Path, description = "Endpoint id")),
    responses((status = 204, description = "Associated"), (status = 403), (status = 404)))]
async fn check_project_endpoint(
    State(identity): State<AppState>,
    caller: Caller,
    Path((project_id, endpoint_id)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:check_endpoint_in_project", &json!({}))?;
    identity
        .check_endpoint_in_project(&project_id, &endpoint_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Associate an endpoint with a project.
#[utoipa::path(put, path = "/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}",
    tag = "endpoint filter", operation_id = "add_endpoint_to_project",
    params(("project_id" = String, Path, description = "Project id"),
        ("endpoint_id" = String, Path, description = "Endpoint id")),
    responses((status = 204, description = "Associated"), (status = 403), (status = 404)))]
async fn add_project_endpoint(
    State(identity): State<AppState>,
    caller: Caller,
    Path((project_id, endpoint_id)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:add_endpoint_to_project", &json!({}))?;
    identity
        .add_endpoint_to_project(&project_id, &endpoint_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove an endpoint's association with a project.
#[utoipa::path(delete, path = "/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}",
    tag = "endpoint filter", operation_id = "remove_endpoint_from_project",
    params(("project_id" = String, Path, description = "Project id"),
        ("endpoint_id" = String, Path, description = "Endpoint id")),
    responses((status = 204, description = "Removed"), (status = 403), (status = 404)))]
async fn remove_project_endpoint(
    State(identity): State<AppState>,
    caller: Caller,
    Path((project_id, endpoint_id)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    caller.authorize(
        &identity,
        "identity:remove_endpoint_from_project",
        &json!({}),
    )?;
    identity
        .remove_endpoint_from_project(&project_id, &endpoint_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The projects an endpoint is directly associated with.
#[utoipa::path(get, path = "/v3/OS-EP-FILTER/endpoints/{endpoint_id}/projects",
    tag = "endpoint filter", operation_id = "list_projects_for_endpoint",
    params(("endpoint_id" = String, Path, description = "Endpoint id")),
    responses((status = 200, description = "The projects"), (status = 403), (status = 404)))]
async fn endpoint_projects(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(endpoint_id): Path<String>,
) -> Reply {
    caller.authorize(&identity, "identity:list_projects_for_endpoint", &json!({}))?;
    let ids = identity.projects_of_endpoint(&endpoint_id).await?;
    let self_url = format!("{base}/{PREFIX}/endpoints/{endpoint_id}/projects");
    projects_reply(&identity, &base, self_url, ids).await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, delete))
        .routes(routes!(group_endpoints))
        .routes(routes!(group_projects))
        .routes(routes!(
            group_project,
            add_group_project,
            remove_group_project
        ))
        .routes(routes!(project_groups))
        .routes(routes!(project_endpoints))
        .routes(routes!(
            check_project_endpoint,
            add_project_endpoint,
            remove_project_endpoint
        ))
        .routes(routes!(endpoint_projects))
}
