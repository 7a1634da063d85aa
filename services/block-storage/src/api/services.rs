//! `/v3/{project_id}/os-services`: the scheduler and volume roles with their state
//! from heartbeats (admin only).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::domain::{Caller, Result};

/// List block-storage services and whether they are up.
#[utoipa::path(get, path = "/v3/{project_id}/os-services", tag = "services", operation_id = "list_services",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Services"), (status = 403)))]
async fn list(State(cinder): State<AppState>, caller: Caller) -> Result<Response> {
    let services: Vec<_> = cinder
        .list_services(&caller)
        .await?
        .into_iter()
        .map(|s| {
            json!({
                "binary": s.binary,
                "host": s.host,
                "zone": s.zone,
                "status": if s.disabled { "disabled" } else { "enabled" },
                "state": if s.up { "up" } else { "down" },
                "updated_at": s.updated_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
                "disabled_reason": null,
            })
        })
        .collect();
    Ok(axum::Json(json!({"services": services})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}
