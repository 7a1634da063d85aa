//! `/v3/{project_id}/groups` (3.13+): generic volume groups — create (also
//! from a group or group snapshot, 3.14), list, show, update (volumes in and
//! out), delete and reset status (3.20) actions.

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
use crate::domain::groups::GroupView;
use crate::domain::{Caller, CinderError, Result};

const GROUPS: ApiVersion = ApiVersion::new(3, 13);
const FROM_SOURCE: ApiVersion = ApiVersion::new(3, 14);
const RESET_STATUS: ApiVersion = ApiVersion::new(3, 20);

/// The detailed view at `version`; `volumes` (3.25) when asked for.
fn detail(view: &GroupView, version: ApiVersion, admin: bool, volumes: Option<&[String]>) -> Value {
    let g = &view.group;
    let mut body = json!({
        "id": g.id,
        "status": g.status,
        "availability_zone": g.availability_zone,
        "created_at": time(&g.created_at),
        "name": g.name,
        "description": g.description,
        "group_type": g.group_type_id,
        "volume_types": view.volume_types,
    });
    if version >= FROM_SOURCE {
        body["group_snapshot_id"] = json!(g.group_snapshot_id);
        body["source_group_id"] = json!(g.source_group_id);
    }
    if let (true, Some(volumes)) = (version >= ApiVersion::new(3, 25), volumes) {
        body["volumes"] = json!(volumes);
    }
    if version >= ApiVersion::new(3, 38) {
        body["replication_status"] = json!("disabled");
    }
    if version >= ApiVersion::new(3, 58) && admin {
        body["project_id"] = json!(g.project_id);
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
    require(version, GROUPS)?;
    let mut pairs = pairs(raw.as_deref())?;
    let all_tenants = take_flag(&mut pairs, "all_tenants")?;
    let list_volume = take_flag(&mut pairs, "list_volume")?;
    let (groups, next) = cinder.list_groups(caller, &pairs, all_tenants).await?;
    let mut items = Vec::new();
    for view in &groups {
        items.push(if detailed {
            let volumes = if list_volume {
                Some(
                    cinder
                        .group_volumes(&view.group.id)
                        .await?
                        .into_iter()
                        .map(|v| v.id)
                        .collect::<Vec<_>>(),
                )
            } else {
                None
            };
            detail(view, version, caller.is_admin, volumes.as_deref())
        } else {
            json!({"id": view.group.id, "name": view.group.name})
        });
    }
    let mut body = json!({"groups": items});
    if let Some(marker) = next {
        let path = if detailed { "groups/detail" } else { "groups" };
        body["group_links"] =
            super::next_links(cinder, headers, caller.project(), path, &pairs, &marker);
    }
    Ok(axum::Json(body).into_response())
}

/// List groups (`id`, `name`).
#[utoipa::path(get, path = "/v3/{project_id}/groups", tag = "groups", operation_id = "list_groups",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Groups"), (status = 404)))]
async fn list(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(&cinder, &caller, &headers, raw, version, false).await
}

/// List groups with details.
#[utoipa::path(get, path = "/v3/{project_id}/groups/detail", tag = "groups", operation_id = "list_groups_detail",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Groups with details"), (status = 404)))]
async fn list_detail(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(&cinder, &caller, &headers, raw, version, true).await
}

/// Create a group of a group type and volume types, on a backend suiting them all.
#[utoipa::path(post, path = "/v3/{project_id}/groups", tag = "groups", operation_id = "create_group",
    params(("project_id" = String, Path, description = "Project id")),
    request_body(content = Object, content_type = "application/json", description = "{\"group\": {\"group_type\", \"volume_types\", ...}}"),
    responses((status = 202, description = "The group"), (status = 400), (status = 404)))]
async fn create(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    require(version, GROUPS)?;
    let request = bodies::create(&parse(&body)?)?;
    let made = cinder.create_group(&caller, request).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({"group": {"id": made.id, "name": made.name}})),
    )
        .into_response())
}

/// Create a group from a group (its volumes copied) or a group snapshot.
#[utoipa::path(post, path = "/v3/{project_id}/groups/action", tag = "groups", operation_id = "create_group_from_source",
    params(("project_id" = String, Path, description = "Project id")),
    request_body(content = Object, content_type = "application/json", description = "{\"create-from-src\": {...}}"),
    responses((status = 202, description = "The group"), (status = 400), (status = 404)))]
async fn create_from_source(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    require(version, FROM_SOURCE)?;
    let (name, description, snapshot, source) = bodies::from_source(&parse(&body)?)?;
    let made = cinder
        .create_group_from_source(&caller, name, description, snapshot, source)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({"group": {"id": made.id, "name": made.name}})),
    )
        .into_response())
}

/// Show a group (`list_volume` adds its volumes from 3.25).
#[utoipa::path(get, path = "/v3/{project_id}/groups/{group_id}", tag = "groups", operation_id = "show_group",
    params(("project_id" = String, Path, description = "Project id"), ("group_id" = String, Path, description = "Group id")),
    responses((status = 200, description = "The group"), (status = 404)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    require(version, GROUPS)?;
    let mut pairs = pairs(raw.as_deref())?;
    let list_volume = take_flag(&mut pairs, "list_volume")?;
    let view = cinder.show_group(&caller, &id).await?;
    let volumes = if list_volume {
        Some(
            cinder
                .group_volumes(&id)
                .await?
                .into_iter()
                .map(|v| v.id)
                .collect::<Vec<_>>(),
        )
    } else {
        None
    };
    Ok(
        axum::Json(json!({"group": detail(&view, version, caller.is_admin, volumes.as_deref())}))
            .into_response(),
    )
}

/// Rename or describe a group, or move volumes in (`add_volumes`) or out.
#[utoipa::path(put, path = "/v3/{project_id}/groups/{group_id}", tag = "groups", operation_id = "update_group",
    params(("project_id" = String, Path, description = "Project id"), ("group_id" = String, Path, description = "Group id")),
    request_body(content = Object, content_type = "application/json", description = "{\"group\": {...}}"),
    responses((status = 202, description = "Updated"), (status = 400), (status = 404)))]
async fn update(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode> {
    require(version, GROUPS)?;
    let (name, description, add, remove) = bodies::update(&parse(&body)?)?;
    cinder
        .update_group(&caller, &id, name, description, add, remove)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Delete a group (`delete`, with its volumes when `delete-volumes`) or reset
/// its status (`reset_status`, admin, 3.20).
#[utoipa::path(post, path = "/v3/{project_id}/groups/{group_id}/action", tag = "groups", operation_id = "group_action",
    params(("project_id" = String, Path, description = "Project id"), ("group_id" = String, Path, description = "Group id")),
    request_body(content = Object, content_type = "application/json", description = "{\"delete\": {...}} or {\"reset_status\": {...}}"),
    responses((status = 202, description = "Done"), (status = 400), (status = 403), (status = 404)))]
async fn action(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode> {
    require(version, GROUPS)?;
    let body: Value = parse(&body)?;
    if body.get("delete").is_some() {
        let delete_volumes = bodies::delete(&body)?;
        cinder.delete_group(&caller, &id, delete_volumes).await?;
    } else if body.get("reset_status").is_some() {
        require(version, RESET_STATUS)?;
        let status = bodies::reset_status(&body)?;
        cinder.reset_group_status(&caller, &id, &status).await?;
    } else {
        return Err(CinderError::BadRequest(
            "Invalid request body: this cloud's group actions are delete and reset_status.".into(),
        ));
    }
    Ok(StatusCode::ACCEPTED)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(list_detail))
        .routes(routes!(create_from_source))
        .routes(routes!(show, update))
        .routes(routes!(action))
}
