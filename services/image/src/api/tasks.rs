//! `/v2/tasks` (the tasks API, admin by default) and `/v2/images/{id}/tasks`
//! (an image's import tasks, from 2.12).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::images::json_body;
use super::AppState;
use crate::domain::model::format_time;
use crate::domain::tasks::Task;
use crate::domain::{Caller, Result};

/// The fields every view has.
fn summary(t: &Task) -> Map<String, Value> {
    let mut view = Map::new();
    view.insert("id".into(), json!(t.id));
    view.insert("type".into(), json!(t.kind));
    view.insert("status".into(), json!(t.status));
    view.insert("owner".into(), json!(t.owner));
    if let Some(expires) = &t.expires_at {
        view.insert("expires_at".into(), json!(format_time(expires)));
    }
    view.insert("created_at".into(), json!(format_time(&t.created_at)));
    view.insert("updated_at".into(), json!(format_time(&t.updated_at)));
    view
}

/// A task with its input, result and message, and whose it is.
fn full(t: &Task) -> Map<String, Value> {
    let mut view = summary(t);
    view.insert("input".into(), t.input.clone());
    view.insert("result".into(), t.result.clone());
    view.insert("message".into(), json!(t.message));
    view.insert("image_id".into(), json!(t.image_id));
    view.insert("request_id".into(), json!(t.request_id));
    view.insert("user_id".into(), json!(t.user_id));
    view
}

/// `full` with its links, as the tasks API shows one.
fn linked(t: &Task) -> Value {
    let mut view = full(t);
    view.insert("self".into(), json!(format!("/v2/tasks/{}", t.id)));
    view.insert("schema".into(), json!("/v2/schemas/task"));
    Value::Object(view)
}

/// List an image's tasks (its imports).
#[utoipa::path(get, path = "/v2/images/{image_id}/tasks", tag = "tasks", operation_id = "list_image_tasks",
    params(("image_id" = String, Path, description = "Image id")),
    responses((status = 200, description = "The image's tasks"), (status = 404)))]
async fn image_tasks(
    State(glance): State<AppState>,
    caller: Caller,
    Path(image_id): Path<String>,
) -> Result<Response> {
    let tasks = glance.image_tasks(&caller, &image_id).await?;
    let views: Vec<Value> = tasks
        .iter()
        .map(|t| {
            let mut view = full(t);
            view.insert("deleted".into(), json!(false));
            view.insert("deleted_at".into(), Value::Null);
            Value::Object(view)
        })
        .collect();
    Ok(axum::Json(json!({"tasks": views})).into_response())
}

/// List tasks (admin; others see their project's).
#[utoipa::path(get, path = "/v2/tasks", tag = "tasks", operation_id = "list_tasks",
    responses((status = 200, description = "Tasks"), (status = 403)))]
async fn list(State(glance): State<AppState>, caller: Caller) -> Result<Response> {
    let tasks = glance.list_tasks(&caller).await?;
    let views: Vec<Value> = tasks
        .iter()
        .map(|t| {
            let mut view = summary(t);
            view.insert("self".into(), json!(format!("/v2/tasks/{}", t.id)));
            view.insert("schema".into(), json!("/v2/schemas/task"));
            Value::Object(view)
        })
        .collect();
    Ok(
        axum::Json(json!({"tasks": views, "first": "/v2/tasks", "schema": "/v2/schemas/tasks"}))
            .into_response(),
    )
}

/// Create a legacy `import` task: a new image from a URI.
#[utoipa::path(post, path = "/v2/tasks", tag = "tasks", operation_id = "create_task",
    request_body(content = Object, content_type = "application/json", description = "{\"type\": \"import\", \"input\": {...}}"),
    responses((status = 201, description = "The task"), (status = 400), (status = 403)))]
async fn create(State(glance): State<AppState>, caller: Caller, body: Bytes) -> Result<Response> {
    let task = glance.create_task(&caller, &json_body(&body)?).await?;
    Ok((StatusCode::CREATED, axum::Json(linked(&task))).into_response())
}

/// Show a task.
#[utoipa::path(get, path = "/v2/tasks/{task_id}", tag = "tasks", operation_id = "show_task",
    params(("task_id" = String, Path, description = "Task id")),
    responses((status = 200, description = "The task"), (status = 403), (status = 404)))]
async fn show(
    State(glance): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let task = glance.show_task(&caller, &id).await?;
    Ok(axum::Json(linked(&task)).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(image_tasks))
        .routes(routes!(list, create))
        .routes(routes!(show))
}
