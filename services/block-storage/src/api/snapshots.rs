//! `/v3/{project_id}/snapshots`: create, list, detail, show, update, delete.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{parse, AppState};
use crate::db::entity::snapshot;
use crate::domain::snapshots::{SnapshotChange, SnapshotCreate};
use crate::domain::{Caller, Result};

#[derive(Deserialize)]
struct CreateBody {
    snapshot: SnapshotCreate,
}

#[derive(Deserialize)]
struct UpdateBody {
    snapshot: SnapshotChange,
}

/// A snapshot as a create or update answers it: Cinder's extension adds its
/// progress and project to shows and detailed lists only.
fn base_view(s: &snapshot::Model, version: ApiVersion) -> Value {
    let mut body = view(s, version);
    if let Some(o) = body.as_object_mut() {
        o.retain(|k, _| !k.starts_with("os-extended-snapshot-attributes"));
    }
    body
}

fn view(s: &snapshot::Model, version: ApiVersion) -> Value {
    let time = |t: &chrono::NaiveDateTime| t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
    let mut body = json!({
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "status": s.status,
        "size": s.size,
        "volume_id": s.volume_id,
        "metadata": serde_json::from_str::<Value>(&s.metadata).unwrap_or_else(|_| json!({})),
        "created_at": time(&s.created_at),
        "updated_at": time(&s.updated_at),
        "os-extended-snapshot-attributes:progress": match (s.status.as_str(), &s.progress) {
            ("available", _) => "100%",
            (_, Some(progress)) => progress.as_str(),
            (_, None) => "0%",
        },
        "os-extended-snapshot-attributes:project_id": s.project_id,
    });
    if version >= ApiVersion::new(3, 14) {
        body["group_snapshot_id"] = json!(s.group_snapshot_id);
    }
    if version >= ApiVersion::new(3, 41) {
        body["user_id"] = json!(s.user_id);
    }
    if version >= ApiVersion::new(3, 65) {
        body["consumes_quota"] = json!(true);
    }
    body
}

/// Snapshot a volume.
#[utoipa::path(post, path = "/v3/{project_id}/snapshots", tag = "snapshots", operation_id = "create_snapshot",
    params(("project_id" = String, Path, description = "Project id")),
    request_body(content = Object, content_type = "application/json", description = "{\"snapshot\": {\"volume_id\", ...}}"),
    responses((status = 202, description = "The snapshot, creating"), (status = 400), (status = 404)))]
async fn create(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    let raw: Value = parse(&body)?;
    if let Some(snapshot) = raw.get("snapshot").filter(|s| s.get("volume_id").is_none()) {
        return Err(super::bodies::schema_error(
            "snapshot",
            snapshot,
            "'volume_id' is a required property",
        ));
    }
    let mut request: CreateBody = parse(&body)?;
    let given = request.snapshot.force.take();
    let mut force = super::bodies::boolean("force", given.as_ref())?;
    if version >= ApiVersion::new(3, 66) {
        // In-use volumes need no force from 3.66; a force of false is refused.
        if given.is_some() && !force {
            return Err(crate::domain::CinderError::BadRequest(
                "Since microversion 3.66 the 'force' flag is invalid for this request. For backward compatability, however, when the 'force' flag is passed with a value evaluating to True, it is silently ignored.".into(),
            ));
        }
        force = true;
    }
    request.snapshot.force = Some(Value::Bool(force));
    let made = cinder.create_snapshot(&caller, request.snapshot).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({"snapshot": base_view(&made, version)})),
    )
        .into_response())
}

async fn listing(
    cinder: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    raw: Option<String>,
    detailed: bool,
    version: ApiVersion,
) -> Result<Response> {
    let pairs: Vec<(String, String)> = super::query::pairs(raw.as_deref())?;
    let page = cinder.list_snapshots(caller, &pairs).await?;
    let body: Vec<Value> = page
        .rows
        .iter()
        .map(|s| {
            if detailed {
                view(s, version)
            } else {
                base_view(s, version)
            }
        })
        .collect();
    let mut body = json!({"snapshots": body});
    if let Some(marker) = page.next_marker {
        let path = if detailed {
            "snapshots/detail"
        } else {
            "snapshots"
        };
        body["snapshots_links"] =
            super::next_links(cinder, headers, caller.project(), path, &pairs, &marker);
    }
    Ok(axum::Json(body).into_response())
}

/// List snapshots.
#[utoipa::path(get, path = "/v3/{project_id}/snapshots", tag = "snapshots", operation_id = "list_snapshots",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Snapshots")))]
async fn list(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(&cinder, &caller, &headers, raw, false, version).await
}

/// List snapshots with details.
#[utoipa::path(get, path = "/v3/{project_id}/snapshots/detail", tag = "snapshots", operation_id = "list_snapshots_detail",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Snapshots with details")))]
async fn detail(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(&cinder, &caller, &headers, raw, true, version).await
}

/// Show a snapshot.
#[utoipa::path(get, path = "/v3/{project_id}/snapshots/{snapshot_id}", tag = "snapshots", operation_id = "show_snapshot",
    params(("project_id" = String, Path, description = "Project id"), ("snapshot_id" = String, Path, description = "Snapshot id")),
    responses((status = 200, description = "The snapshot"), (status = 404)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, snapshot_id)): Path<(String, String)>,
) -> Result<Response> {
    let s = cinder.show_snapshot(&caller, &snapshot_id).await?;
    Ok(axum::Json(json!({"snapshot": view(&s, version)})).into_response())
}

/// Rename or describe a snapshot.
#[utoipa::path(put, path = "/v3/{project_id}/snapshots/{snapshot_id}", tag = "snapshots", operation_id = "update_snapshot",
    params(("project_id" = String, Path, description = "Project id"), ("snapshot_id" = String, Path, description = "Snapshot id")),
    request_body(content = Object, content_type = "application/json", description = "{\"snapshot\": {\"name\", \"description\"}}"),
    responses((status = 200, description = "The snapshot"), (status = 404)))]
async fn update(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, snapshot_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let request: UpdateBody = parse(&body)?;
    let s = cinder
        .update_snapshot(&caller, &snapshot_id, request.snapshot)
        .await?;
    Ok(axum::Json(json!({"snapshot": base_view(&s, version)})).into_response())
}

/// Delete a snapshot.
#[utoipa::path(delete, path = "/v3/{project_id}/snapshots/{snapshot_id}", tag = "snapshots", operation_id = "delete_snapshot",
    params(("project_id" = String, Path, description = "Project id"), ("snapshot_id" = String, Path, description = "Snapshot id")),
    responses((status = 202, description = "Deleting"), (status = 400), (status = 404)))]
async fn delete(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, snapshot_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    cinder.delete_snapshot(&caller, &snapshot_id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Run a snapshot action (`os-reset_status`, `os-force_delete`,
/// `os-update_snapshot_status`).
#[utoipa::path(post, path = "/v3/{project_id}/snapshots/{snapshot_id}/action", tag = "snapshots", operation_id = "snapshot_action",
    params(("project_id" = String, Path, description = "Project id"), ("snapshot_id" = String, Path, description = "Snapshot id")),
    request_body(content = Object, content_type = "application/json", description = "{\"os-reset_status\": {\"status\": ...}}, ..."),
    responses((status = 202, description = "Accepted"), (status = 400), (status = 403), (status = 404)))]
async fn action(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, snapshot_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode> {
    let action = super::bodies::snapshot_action::parse(&parse(&body)?)?;
    cinder
        .snapshot_action(&caller, &snapshot_id, action)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(detail))
        .routes(routes!(show, update, delete))
        .routes(routes!(action))
}
