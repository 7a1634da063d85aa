//! `/v3/{project_id}/messages` (3.3): user messages about failures.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::render::{links, time};
use super::AppState;
use crate::db::entity::message;
use crate::domain::messages::user_text;
use crate::domain::{Caller, CinderError, Result};

/// Messages arrive with 3.3; before it the paths are not there.
fn require(version: ApiVersion) -> Result<()> {
    if version < ApiVersion::new(3, 3) {
        return Err(CinderError::NotFound(
            "The resource could not be found.".into(),
        ));
    }
    Ok(())
}

fn view(base: &str, m: &message::Model) -> Value {
    let mut body = json!({
        "id": m.id,
        "event_id": m.event_id,
        "user_message": user_text(m),
        "message_level": m.message_level,
        "created_at": time(&m.created_at),
        "guaranteed_until": time(&m.expires_at),
        "request_id": m.request_id,
        "resource_type": m.resource_type,
        "links": links(base, &m.project_id, "messages", &m.id),
    });
    if let Some(uuid) = &m.resource_uuid {
        body["resource_uuid"] = json!(uuid);
    }
    body
}

/// List the project's messages, newest first (filters and pages from 3.5).
#[utoipa::path(get, path = "/v3/{project_id}/messages", tag = "messages", operation_id = "list_messages",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Messages"), (status = 404)))]
async fn list(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    require(version)?;
    let pairs: Vec<(String, String)> = super::query::pairs(raw.as_deref())?;
    let base = super::base_url(&cinder, &headers);
    let messages: Vec<Value> = cinder
        .list_messages(&caller, &pairs, version)
        .await?
        .iter()
        .map(|m| view(&base, m))
        .collect();
    Ok(axum::Json(json!({"messages": messages})).into_response())
}

/// Show a message.
#[utoipa::path(get, path = "/v3/{project_id}/messages/{message_id}", tag = "messages", operation_id = "show_message",
    params(("project_id" = String, Path, description = "Project id"), ("message_id" = String, Path, description = "Message id")),
    responses((status = 200, description = "The message"), (status = 404)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<Response> {
    require(version)?;
    let found = cinder.show_message(&caller, &id).await?;
    let body = view(&super::base_url(&cinder, &headers), &found);
    Ok(axum::Json(json!({"message": body})).into_response())
}

/// Delete a message.
#[utoipa::path(delete, path = "/v3/{project_id}/messages/{message_id}", tag = "messages", operation_id = "delete_message",
    params(("project_id" = String, Path, description = "Project id"), ("message_id" = String, Path, description = "Message id")),
    responses((status = 204, description = "Deleted"), (status = 404)))]
async fn delete(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    require(version)?;
    cinder.delete_message(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show, delete))
}
