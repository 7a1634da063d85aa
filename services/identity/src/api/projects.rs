use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use ferrostack_api::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::V3Url;
use super::query::QueryPairs;
use super::{render, AppState, Caller};
use crate::domain::{Error, ProjectFilter, ProjectInput};

#[derive(Deserialize)]
struct Body {
    project: ProjectInput,
}

#[derive(Deserialize)]
struct TagsBody {
    tags: Vec<String>,
}

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

fn target(project: &crate::domain::ProjectView) -> Value {
    json!({"target": {"project": {"id": project.row.id, "domain_id": project.row.domain_id, "parent_id": project.row.parent_id}}})
}

/// List projects.
#[utoipa::path(
    get,
    path = "/v3/projects",
    tag = "projects",
    operation_id = "list_projects",
    params(
        ("name" = Option<String>, Query, description = "Only projects with this name"),
        ("domain_id" = Option<String>, Query, description = "Only projects of this domain"),
        ("parent_id" = Option<String>, Query, description = "Only children of this project"),
        ("enabled" = Option<bool>, Query, description = "Only enabled (or disabled) projects"),
        ("is_domain" = Option<bool>, Query, description = "Only projects acting as domains (or not)"),
        ("tags" = Option<String>, Query, description = "Only projects with all these tags (comma-separated)"),
        ("tags-any" = Option<String>, Query, description = "Only projects with any of these tags (comma-separated)"),
        ("not-tags" = Option<String>, Query, description = "Leave out projects with all these tags (comma-separated)"),
        ("not-tags-any" = Option<String>, Query, description = "Leave out projects with any of these tags (comma-separated)"),
    ),
    responses(
        (status = 200, description = "The projects (`truncated` when over the list limit)"),
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
) -> Result<Response, Error> {
    let filter = ProjectFilter {
        name: query.string("name"),
        domain_id: query
            .string("domain_id")
            .or_else(|| caller.token.domain_id().map(str::to_owned)),
        parent_id: query.string("parent_id"),
        enabled: query.boolean("enabled"),
        is_domain: query.boolean("is_domain"),
        ids: None,
        tags: query.list("tags"),
        tags_any: query.list("tags-any"),
        not_tags: query.list("not-tags"),
        not_tags_any: query.list("not-tags-any"),
    };
    caller.authorize(
        &identity,
        "identity:list_projects",
        &caller.domain_list_target(|d| json!({ "domain_id": d })),
    )?;
    let mut projects = identity.list_projects(&filter).await?;
    let truncated = identity
        .cfg
        .list_limit
        .is_some_and(|limit| projects.len() > limit);
    if let Some(limit) = identity.cfg.list_limit {
        projects.truncate(limit);
    }
    let body = ProjectList {
        projects: projects
            .iter()
            .map(|p| render::project_body(&base, p))
            .collect(),
        links: render::collection_links(&format!("{base}/projects")),
        truncated: truncated.then_some(true),
    };
    Ok((StatusCode::OK, axum::Json(body)).into_response())
}

/// `{"projects": [...], "links": {...}}`, `truncated` when the list limit cut it.
#[derive(serde::Serialize)]
struct ProjectList<'a> {
    projects: Vec<render::ProjectBody<'a>>,
    links: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    truncated: Option<bool>,
}

/// Create a project.
#[utoipa::path(
    post,
    path = "/v3/projects",
    tag = "projects",
    operation_id = "create_project",
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"project\": {...}}`"
    ),
    responses(
        (status = 201, description = "The created project"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such parent project"),
        (status = 409, description = "A project with this name exists in the domain"),
    ),
)]
async fn create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<Body>,
) -> Reply {
    let domain_id = body
        .project
        .domain_id
        .clone()
        .unwrap_or_else(|| identity.cfg.default_domain_id.clone());
    caller.authorize(
        &identity,
        "identity:create_project",
        &json!({"target": {"project": {"domain_id": domain_id}}}),
    )?;
    let project = identity.create_project(body.project).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"project": render::project(&base, &project)})),
    ))
}

/// Show a project.
#[utoipa::path(
    get,
    path = "/v3/projects/{id}",
    tag = "projects",
    operation_id = "get_project",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "The project"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such project"),
    ),
)]
async fn get_one(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let project = identity.project_or_domain(&id).await?;
    caller.authorize(&identity, "identity:get_project", &target(&project))?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"project": render::project(&base, &project)})),
    ))
}

/// Update a project.
#[utoipa::path(
    patch,
    path = "/v3/projects/{id}",
    tag = "projects",
    operation_id = "update_project",
    params(("id" = String, Path, description = "Project id")),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"project\": {...}}`"
    ),
    responses(
        (status = 200, description = "The updated project"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such project"),
        (status = 409, description = "A project with this name exists in the domain"),
    ),
)]
async fn update(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<Body>,
) -> Reply {
    let project = identity.project_or_domain(&id).await?;
    caller.authorize(&identity, "identity:update_project", &target(&project))?;
    let project = identity.update_project(&id, body.project).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"project": render::project(&base, &project)})),
    ))
}

/// Delete a project.
#[utoipa::path(
    delete,
    path = "/v3/projects/{id}",
    tag = "projects",
    operation_id = "delete_project",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 204, description = "The project is deleted"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such project"),
        (status = 409, description = "Conflicts with existing data"),
    ),
)]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let project = identity.project_or_domain(&id).await?;
    caller.authorize(&identity, "identity:delete_project", &target(&project))?;
    identity.delete_project(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a project's tags.
#[utoipa::path(
    get,
    path = "/v3/projects/{id}/tags",
    tag = "projects",
    operation_id = "list_project_tags",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "The tags"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such project"),
    ),
)]
async fn list_tags(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Reply {
    let project = identity.get_project(&id).await?;
    caller.authorize(&identity, "identity:list_project_tags", &target(&project))?;
    Ok((StatusCode::OK, axum::Json(json!({"tags": project.tags}))))
}

/// Replace a project's tags.
#[utoipa::path(
    put,
    path = "/v3/projects/{id}/tags",
    tag = "projects",
    operation_id = "update_project_tags",
    params(("id" = String, Path, description = "Project id")),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"tags\": [...]}`"
    ),
    responses(
        (status = 200, description = "The new tags"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such project"),
    ),
)]
async fn replace_tags(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<TagsBody>,
) -> Reply {
    let project = identity.get_project(&id).await?;
    caller.authorize(&identity, "identity:update_project_tags", &target(&project))?;
    let tags = identity.set_project_tags(&id, body.tags).await?;
    Ok((StatusCode::OK, axum::Json(json!({"tags": tags}))))
}

/// Remove all of a project's tags.
#[utoipa::path(
    delete,
    path = "/v3/projects/{id}/tags",
    tag = "projects",
    operation_id = "delete_project_tags",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 204, description = "The tags are removed"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such project"),
    ),
)]
async fn clear_tags(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let project = identity.get_project(&id).await?;
    caller.authorize(&identity, "identity:delete_project_tags", &target(&project))?;
    identity.set_project_tags(&id, Vec::new()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Check that a project has a tag.
#[utoipa::path(
    get,
    path = "/v3/projects/{id}/tags/{tag}",
    tag = "projects",
    operation_id = "get_project_tag",
    params(
        ("id" = String, Path, description = "Project id"),
        ("tag" = String, Path, description = "The tag"),
    ),
    responses(
        (status = 204, description = "The project has the tag"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such project or tag"),
    ),
)]
async fn check_tag(
    State(identity): State<AppState>,
    caller: Caller,
    Path((id, tag)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    let project = identity.get_project(&id).await?;
    caller.authorize(&identity, "identity:get_project_tag", &target(&project))?;
    if project.tags.contains(&tag) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::not_found("project tag", tag))
    }
}

/// Add a tag to a project.
#[utoipa::path(
    put,
    path = "/v3/projects/{id}/tags/{tag}",
    tag = "projects",
    operation_id = "create_project_tag",
    params(
        ("id" = String, Path, description = "Project id"),
        ("tag" = String, Path, description = "The tag"),
    ),
    responses(
        (status = 201, description = "The tag is added", headers(("Location" = String, description = "The URL of the tag"))),
        (status = 400, description = "Invalid tag"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such project"),
    ),
)]
async fn add_tag(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path((id, tag)): Path<(String, String)>,
) -> Result<Response, Error> {
    let project = identity.get_project(&id).await?;
    caller.authorize(&identity, "identity:create_project_tag", &target(&project))?;
    crate::domain::validate_tag(&tag)?;
    identity.add_project_tag(&id, &tag).await?;
    let location = format!("{base}/projects/{id}/tags/{tag}");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

/// Remove a tag from a project.
#[utoipa::path(
    delete,
    path = "/v3/projects/{id}/tags/{tag}",
    tag = "projects",
    operation_id = "delete_project_tag",
    params(
        ("id" = String, Path, description = "Project id"),
        ("tag" = String, Path, description = "The tag"),
    ),
    responses(
        (status = 204, description = "The tag is removed"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such project or tag"),
    ),
)]
async fn remove_tag(
    State(identity): State<AppState>,
    caller: Caller,
    Path((id, tag)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    let project = identity.get_project(&id).await?;
    caller.authorize(&identity, "identity:delete_project_tag", &target(&project))?;
    identity.remove_project_tag(&id, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update, delete))
        .routes(routes!(list_tags, replace_tags, clear_tags))
        .routes(routes!(check_tag, add_tag, remove_tag))
}
