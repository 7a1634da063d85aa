use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use ferrostack_api::Json;
use serde::Deserialize;
use serde_json::{json, Value};

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

async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    let filter = ProjectFilter {
        name: query.string("name"),
        domain_id: query.string("domain_id"),
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
        &json!({"target": {"domain_id": filter.domain_id}}),
    )?;
    let mut projects = identity.list_projects(&filter).await?;
    let truncated = identity
        .cfg
        .list_limit
        .is_some_and(|limit| projects.len() > limit);
    if let Some(limit) = identity.cfg.list_limit {
        projects.truncate(limit);
    }
    let rendered: Vec<Value> = projects.iter().map(|p| render::project(&base, p)).collect();
    let mut body = json!({"projects": rendered, "links": render::collection_links(&format!("{base}/projects"))});
    if truncated {
        body["truncated"] = json!(true);
    }
    Ok((StatusCode::OK, axum::Json(body)))
}

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

async fn get_one(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let project = identity.get_project(&id).await?;
    caller.authorize(&identity, "identity:get_project", &target(&project))?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"project": render::project(&base, &project)})),
    ))
}

async fn update(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<Body>,
) -> Reply {
    let project = identity.get_project(&id).await?;
    caller.authorize(&identity, "identity:update_project", &target(&project))?;
    let project = identity.update_project(&id, body.project).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"project": render::project(&base, &project)})),
    ))
}

async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let project = identity.get_project(&id).await?;
    caller.authorize(&identity, "identity:delete_project", &target(&project))?;
    identity.delete_project(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_tags(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Reply {
    let project = identity.get_project(&id).await?;
    caller.authorize(&identity, "identity:list_project_tags", &target(&project))?;
    Ok((StatusCode::OK, axum::Json(json!({"tags": project.tags}))))
}

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

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/projects", get(list).post(create))
        .route(
            "/v3/projects/{id}",
            get(get_one).patch(update).delete(delete),
        )
        .route(
            "/v3/projects/{id}/tags",
            get(list_tags).put(replace_tags).delete(clear_tags),
        )
        .route(
            "/v3/projects/{id}/tags/{tag}",
            get(check_tag).put(add_tag).delete(remove_tag),
        )
}
