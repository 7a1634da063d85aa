//! `/v3/{project_id}/os-quota-sets`, `/limits` and `/os-availability-zone`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{bodies, AppState};
use crate::domain::{Caller, Result};

/// Only admins read other projects' quotas.
async fn quota_set(cinder: &AppState, target: &str, usage: bool) -> Result<Value> {
    let limits = cinder.limits_of(target).await?;
    let used = cinder.usage_of(target).await?;
    let mut set = Map::new();
    set.insert("id".into(), json!(target));
    for (resource, limit) in &limits {
        let value = if usage {
            json!({"limit": limit, "in_use": used.of(resource), "reserved": 0})
        } else {
            json!(limit)
        };
        set.insert(resource.clone(), value);
    }
    Ok(Value::Object(set))
}

/// Show a project's quotas (`?usage=true` adds what it uses).
#[utoipa::path(get, path = "/v3/{project_id}/os-quota-sets/{target_project_id}", tag = "quotas", operation_id = "show_quotas",
    params(("project_id" = String, Path, description = "Project id"), ("target_project_id" = String, Path, description = "Project whose quotas")),
    responses((status = 200, description = "The quota set"), (status = 403)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, target)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    cinder.authorize(&caller, "volume_extension:quotas:show", &target)?;
    let usage = raw.as_deref().unwrap_or("").split('&').any(|p| {
        matches!(
            p.to_ascii_lowercase().as_str(),
            "usage=true" | "usage=1" | "usage=yes"
        )
    });
    Ok(axum::Json(json!({"quota_set": quota_set(&cinder, &target, usage).await?})).into_response())
}

/// Show the default quotas.
#[utoipa::path(get, path = "/v3/{project_id}/os-quota-sets/{target_project_id}/defaults", tag = "quotas", operation_id = "show_default_quotas",
    params(("project_id" = String, Path, description = "Project id"), ("target_project_id" = String, Path, description = "Project")),
    responses((status = 200, description = "The default quota set")))]
async fn defaults(
    State(cinder): State<AppState>,
    _caller: Caller,
    Path((_project_id, target)): Path<(String, String)>,
) -> Result<Response> {
    let mut set: Map<String, Value> = cinder
        .quota_defaults()
        .await?
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    set.insert("id".into(), json!(target));
    Ok(axum::Json(json!({"quota_set": set})).into_response())
}

/// Set a project's quotas (admin).
#[utoipa::path(put, path = "/v3/{project_id}/os-quota-sets/{target_project_id}", tag = "quotas", operation_id = "update_quotas",
    params(("project_id" = String, Path, description = "Project id"), ("target_project_id" = String, Path, description = "Project whose quotas")),
    request_body(content = Object, content_type = "application/json", description = "{\"quota_set\": {resource: limit}}"),
    responses((status = 200, description = "The quota set"), (status = 400), (status = 403)))]
async fn update(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, target)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let values = bodies::quota::limits(&super::parse(&body)?, "quota_set")?;
    cinder.set_quotas(&caller, &target, &values).await?;
    let mut set = quota_set(&cinder, &target, false).await?;
    if let Some(o) = set.as_object_mut() {
        o.remove("id");
    }
    Ok(axum::Json(json!({"quota_set": set})).into_response())
}

/// Reset a project's quotas to the defaults (admin).
#[utoipa::path(delete, path = "/v3/{project_id}/os-quota-sets/{target_project_id}", tag = "quotas", operation_id = "delete_quotas",
    params(("project_id" = String, Path, description = "Project id"), ("target_project_id" = String, Path, description = "Project whose quotas")),
    responses((status = 200, description = "Reset"), (status = 403)))]
async fn reset(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, target)): Path<(String, String)>,
) -> Result<Response> {
    cinder.reset_quotas(&caller, &target).await?;
    // Cinder answers 200 with no body at all.
    Ok(axum::http::StatusCode::OK.into_response())
}

/// Show the caller's absolute limits and usage.
#[utoipa::path(get, path = "/v3/{project_id}/limits", tag = "quotas", operation_id = "show_limits",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Limits")))]
async fn limits(State(cinder): State<AppState>, caller: Caller) -> Result<Response> {
    cinder.authorize(&caller, "limits_extension:used_limits", caller.project())?;
    let limits = cinder.limits_of(caller.project()).await?;
    let used = cinder.usage_of(caller.project()).await?;
    let limit = |k: &str| limits.get(k).copied().unwrap_or(-1);
    Ok(axum::Json(json!({"limits": {"rate": [], "absolute": {
        "maxTotalVolumes": limit("volumes"),
        "maxTotalSnapshots": limit("snapshots"),
        "maxTotalVolumeGigabytes": limit("gigabytes"),
        "maxTotalBackups": limit("backups"),
        "maxTotalBackupGigabytes": limit("backup_gigabytes"),
        "totalVolumesUsed": used.of("volumes"),
        "totalSnapshotsUsed": used.of("snapshots"),
        "totalGigabytesUsed": used.of("gigabytes"),
        "totalBackupsUsed": 0,
        "totalBackupGigabytesUsed": 0,
    }}}))
    .into_response())
}

/// List availability zones (from the volume services' heartbeats).
#[utoipa::path(get, path = "/v3/{project_id}/os-availability-zone", tag = "availability zones", operation_id = "list_availability_zones",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Zones")))]
async fn zones(State(cinder): State<AppState>, _caller: Caller) -> Result<Response> {
    let info: Vec<Value> = cinder
        .availability_zones()
        .await?
        .into_iter()
        .map(|(zone, up)| json!({"zoneName": zone, "zoneState": {"available": up}}))
        .collect();
    Ok(axum::Json(json!({"availabilityZoneInfo": info})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show, update, reset))
        .routes(routes!(defaults))
        .routes(routes!(limits))
        .routes(routes!(zones))
}
