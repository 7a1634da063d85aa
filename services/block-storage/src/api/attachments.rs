//! `/v3/{project_id}/attachments` (3.27+): reserve, connect, complete (3.44),
//! detach.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::microversion::require;
use super::{parse, AppState};
use crate::db::entity::attachment;
use crate::domain::attachments::AttachmentCreate;
use crate::domain::{Caller, CinderError, Result};

#[derive(Deserialize)]
struct CreateBody {
    attachment: AttachmentCreate,
}

const ATTACHMENTS: ApiVersion = ApiVersion::new(3, 27);

fn time(t: &Option<chrono::NaiveDateTime>) -> Value {
    t.map(|t| json!(t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()))
        .unwrap_or(Value::Null)
}

fn view(a: &attachment::Model) -> Value {
    json!({
        "id": a.id,
        "status": a.status,
        "instance": a.instance_uuid,
        "volume_id": a.volume_id,
        "attached_at": time(&a.attached_at),
        "detached_at": time(&a.detached_at),
        "attach_mode": a.attach_mode,
        "connection_info": a.connection_info.as_deref().and_then(|c| serde_json::from_str::<Value>(c).ok()),
    })
}

/// Create an attachment (reserve; with a connector, also export).
#[utoipa::path(post, path = "/v3/{project_id}/attachments", tag = "attachments", operation_id = "create_attachment",
    params(("project_id" = String, Path, description = "Project id")),
    request_body(content = Object, content_type = "application/json", description = "{\"attachment\": {\"volume_uuid\", \"instance_uuid\", \"connector\"}}"),
    responses((status = 200, description = "The attachment"), (status = 400), (status = 404)))]
async fn create(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    require(version, ATTACHMENTS)?;
    let request: CreateBody = parse(&body)?;
    let made = cinder
        .create_attachment(&caller, request.attachment)
        .await?;
    Ok(axum::Json(json!({"attachment": view(&made)})).into_response())
}

async fn listing(
    cinder: &AppState,
    caller: &Caller,
    raw: Option<String>,
    version: ApiVersion,
    detailed: bool,
) -> Result<Response> {
    require(version, ATTACHMENTS)?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let volume_id = pairs
        .iter()
        .find(|(k, _)| k == "volume_id")
        .map(|(_, v)| v.as_str());
    let rows = cinder.list_attachments(caller, volume_id).await?;
    let body: Vec<Value> = rows
        .iter()
        .map(|a| {
            if detailed {
                view(a)
            } else {
                json!({"id": a.id, "status": a.status, "instance": a.instance_uuid, "volume_id": a.volume_id})
            }
        })
        .collect();
    Ok(axum::Json(json!({"attachments": body})).into_response())
}

/// List attachments.
#[utoipa::path(get, path = "/v3/{project_id}/attachments", tag = "attachments", operation_id = "list_attachments",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Attachments")))]
async fn list(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(&cinder, &caller, raw, version, false).await
}

/// List attachments with details.
#[utoipa::path(get, path = "/v3/{project_id}/attachments/detail", tag = "attachments", operation_id = "list_attachments_detail",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Attachments with details")))]
async fn detail(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(&cinder, &caller, raw, version, true).await
}

/// Show an attachment.
#[utoipa::path(get, path = "/v3/{project_id}/attachments/{attachment_id}", tag = "attachments", operation_id = "show_attachment",
    params(("project_id" = String, Path, description = "Project id"), ("attachment_id" = String, Path, description = "Attachment id")),
    responses((status = 200, description = "The attachment"), (status = 404)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, attachment_id)): Path<(String, String)>,
) -> Result<Response> {
    require(version, ATTACHMENTS)?;
    let a = cinder.show_attachment(&caller, &attachment_id).await?;
    Ok(axum::Json(json!({"attachment": view(&a)})).into_response())
}

/// Export the volume to a connector; answers with connection_info.
#[utoipa::path(put, path = "/v3/{project_id}/attachments/{attachment_id}", tag = "attachments", operation_id = "update_attachment",
    params(("project_id" = String, Path, description = "Project id"), ("attachment_id" = String, Path, description = "Attachment id")),
    request_body(content = Object, content_type = "application/json", description = "{\"attachment\": {\"connector\": {...}}}"),
    responses((status = 200, description = "The attachment with connection_info"), (status = 400), (status = 404)))]
async fn update(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, attachment_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    require(version, ATTACHMENTS)?;
    let request: Value = parse(&body)?;
    let connector = request["attachment"]["connector"].clone();
    let a = cinder
        .update_attachment(&caller, &attachment_id, connector)
        .await?;
    Ok(axum::Json(json!({"attachment": view(&a)})).into_response())
}

/// Detach: end the export and free the volume.
#[utoipa::path(delete, path = "/v3/{project_id}/attachments/{attachment_id}", tag = "attachments", operation_id = "delete_attachment",
    params(("project_id" = String, Path, description = "Project id"), ("attachment_id" = String, Path, description = "Attachment id")),
    responses((status = 200, description = "Detached"), (status = 404)))]
async fn delete(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, attachment_id)): Path<(String, String)>,
) -> Result<Response> {
    require(version, ATTACHMENTS)?;
    cinder.delete_attachment(&caller, &attachment_id).await?;
    Ok(axum::Json(json!({"attachments": []})).into_response())
}

/// `os-complete` (3.44): mark the attachment attached and the volume in-use.
#[utoipa::path(post, path = "/v3/{project_id}/attachments/{attachment_id}/action", tag = "attachments", operation_id = "attachment_action",
    params(("project_id" = String, Path, description = "Project id"), ("attachment_id" = String, Path, description = "Attachment id")),
    request_body(content = Object, content_type = "application/json", description = "{\"os-complete\": null}"),
    responses((status = 204, description = "Completed"), (status = 400), (status = 404)))]
async fn action(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, attachment_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode> {
    require(version, ApiVersion::new(3, 44))?;
    let request: Value = parse(&body)?;
    if request.get("os-complete").is_none() {
        return Err(CinderError::BadRequest(
            "There is no such action. Verify the request body and Content-Type header and try again.".into(),
        ));
    }
    cinder.complete_attachment(&caller, &attachment_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(detail))
        .routes(routes!(show, update, delete))
        .routes(routes!(action))
}
