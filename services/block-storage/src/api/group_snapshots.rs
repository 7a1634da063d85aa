//! `/v3/{project_id}/group_snapshots` (3.14+): snapshots of whole groups.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::bodies::group as bodies;
use super::microversion::require;
use super::query::{pairs, take_flag};
use super::render::time;
use super::{parse, AppState};
use crate::db::entity::group_snapshot;
use crate::domain::{Caller, CinderError, Result};

const GROUP_SNAPSHOTS: ApiVersion = ApiVersion::new(3, 14);
const RESET_STATUS: ApiVersion = ApiVersion::new(3, 19);

fn detail(s: &group_snapshot::Model, version: ApiVersion, admin: bool) -> Value {
    let mut body = json!({
        "id": s.id,
        "group_id": s.group_id,
        "status": s.status,
        "created_at": time(&s.created_at),
        "name": s.name,
        "description": s.description,
        "group_type_id": s.group_type_id,
    });
    if version >= ApiVersion::new(3, 58) && admin {
        body["project_id"] = json!(s.project_id);
    }
    body
}

async fn listing(
    cinder: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    raw: Option<String>,
    version: ApiVersion,
    detailed: bool,
) -> Result<Response> {
    require(version, GROUP_SNAPSHOTS)?;
    let mut pairs = pairs(raw.as_deref())?;
    let all_tenants = take_flag(&mut pairs, "all_tenants")?;
    let page = cinder
        .list_group_snapshots(caller, &pairs, all_tenants)
        .await?;
    let items: Vec<Value> = page
        .rows
        .iter()
        .map(|s| {
            if detailed {
                detail(s, version, caller.is_admin)
            } else {
                json!({"id": s.id, "name": s.name})
            }
        })
        .collect();
    let mut body = json!({"group_snapshots": items});
    if let Some(marker) = page.next_marker {
        let path = if detailed {
            "group_snapshots/detail"
        } else {
            "group_snapshots"
        };
        body["group_snapshot_links"] =
            super::next_links(cinder, headers, caller.project(), path, &pairs, &marker);
    }
    Ok(axum::Json(body).into_response())
}

/// List group snapshots (`id`, `name`).
#[utoipa::path(get, path = "/v3/{project_id}/group_snapshots", tag = "group snapshots", operation_id = "list_group_snapshots",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Group snapshots"), (status = 404)))]
async fn list(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(&cinder, &caller, &headers, raw, version, false).await
}

/// List group snapshots with details.
#[utoipa::path(get, path = "/v3/{project_id}/group_snapshots/detail", tag = "group snapshots", operation_id = "list_group_snapshots_detail",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Group snapshots with details"), (status = 404)))]
async fn list_detail(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(&cinder, &caller, &headers, raw, version, true).await
}

/// Snapshot every volume of a group.
#[utoipa::path(post, path = "/v3/{project_id}/group_snapshots", tag = "group snapshots", operation_id = "create_group_snapshot",
    params(("project_id" = String, Path, description = "Project id")),
    request_body(content = Object, content_type = "application/json", description = "{\"group_snapshot\": {\"group_id\", ...}}"),
    responses((status = 202, description = "The group snapshot"), (status = 400), (status = 404)))]
async fn create(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    require(version, GROUP_SNAPSHOTS)?;
    let (group_id, name, description) = bodies::snapshot(&parse(&body)?)?;
    let made = cinder
        .create_group_snapshot(&caller, &group_id, name, description)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({"group_snapshot": {"id": made.id, "name": made.name, "group_type_id": made.group_type_id}})),
    )
        .into_response())
}

/// Show a group snapshot.
#[utoipa::path(get, path = "/v3/{project_id}/group_snapshots/{group_snapshot_id}", tag = "group snapshots", operation_id = "show_group_snapshot",
    params(("project_id" = String, Path, description = "Project id"), ("group_snapshot_id" = String, Path, description = "Group snapshot id")),
    responses((status = 200, description = "The group snapshot"), (status = 404)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<Response> {
    require(version, GROUP_SNAPSHOTS)?;
    let found = cinder.group_snapshot_row(&caller, &id).await?;
    Ok(
        axum::Json(json!({"group_snapshot": detail(&found, version, caller.is_admin)}))
            .into_response(),
    )
}

/// Delete a group snapshot and its snapshots.
#[utoipa::path(delete, path = "/v3/{project_id}/group_snapshots/{group_snapshot_id}", tag = "group snapshots", operation_id = "delete_group_snapshot",
    params(("project_id" = String, Path, description = "Project id"), ("group_snapshot_id" = String, Path, description = "Group snapshot id")),
    responses((status = 202, description = "Deleting"), (status = 400), (status = 404)))]
async fn delete(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    require(version, GROUP_SNAPSHOTS)?;
    cinder.delete_group_snapshot(&caller, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Reset a group snapshot's status (`reset_status`, admin, 3.19).
#[utoipa::path(post, path = "/v3/{project_id}/group_snapshots/{group_snapshot_id}/action", tag = "group snapshots", operation_id = "group_snapshot_action",
    params(("project_id" = String, Path, description = "Project id"), ("group_snapshot_id" = String, Path, description = "Group snapshot id")),
    request_body(content = Object, content_type = "application/json", description = "{\"reset_status\": {\"status\"}}"),
    responses((status = 202, description = "Done"), (status = 400), (status = 403), (status = 404)))]
async fn action(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode> {
    require(version, RESET_STATUS)?;
    let body: Value = parse(&body)?;
    if body.get("reset_status").is_none() {
        return Err(CinderError::BadRequest(
            "Invalid request body: this cloud's group snapshot action is reset_status.".into(),
        ));
    }
    let status = bodies::reset_status(&body)?;
    cinder
        .reset_group_snapshot_status(&caller, &id, &status)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(list_detail))
        .routes(routes!(show, delete))
        .routes(routes!(action))
}
