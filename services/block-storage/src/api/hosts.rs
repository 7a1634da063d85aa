//! `/v3/{project_id}/os-hosts` (admin): enabled services by host, and what a
//! volume host holds.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::domain::{Caller, Result};

#[derive(Deserialize)]
struct ZoneFilter {
    zone: Option<String>,
}

/// List the hosts of enabled services.
#[utoipa::path(get, path = "/v3/{project_id}/os-hosts", tag = "hosts", operation_id = "list_hosts",
    params(("project_id" = String, Path, description = "Project id"), ("zone" = Option<String>, Query, description = "Only this availability zone")),
    responses((status = 200, description = "Hosts"), (status = 403)))]
async fn list(
    State(cinder): State<AppState>,
    caller: Caller,
    Query(filter): Query<ZoneFilter>,
) -> Result<Response> {
    let hosts: Vec<Value> = cinder
        .list_hosts(&caller, filter.zone.as_deref())
        .await?
        .into_iter()
        .map(|s| {
            json!({
                "host_name": s.host,
                "service": s.binary,
                "zone": s.zone,
                "service-status": if s.up { "available" } else { "unavailable" },
                "service-state": if s.disabled { "disabled" } else { "enabled" },
                "last-update": s.updated_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            })
        })
        .collect();
    Ok(axum::Json(json!({"hosts": hosts})).into_response())
}

/// Show what a volume host holds: the total, then each project's share.
#[utoipa::path(get, path = "/v3/{project_id}/os-hosts/{host_name}", tag = "hosts", operation_id = "show_host",
    params(("project_id" = String, Path, description = "Project id"), ("host_name" = String, Path, description = "host@backend")),
    responses((status = 200, description = "Volume usage on the host"), (status = 403), (status = 404)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, host)): Path<(String, String)>,
) -> Result<Response> {
    let usage: Vec<Value> = cinder
        .host_usage(&caller, &host)
        .await?
        .into_iter()
        .map(|u| {
            json!({"resource": {
                "host": host,
                "project": u.project.unwrap_or_else(|| "(total)".into()),
                "volume_count": u.volume_count.to_string(),
                "total_volume_gb": u.total_volume_gb.to_string(),
                "snapshot_count": u.snapshot_count.to_string(),
                "total_snapshot_gb": u.total_snapshot_gb.to_string(),
            }})
        })
        .collect();
    Ok(axum::Json(json!({"host": usage})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
}
