//! `/v3/{project_id}/os-services`: the scheduler and volume roles with their state
//! from heartbeats, and an admin enabling or disabling them (admin only).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{bodies, parse, AppState};
use crate::domain::{Caller, CinderError, Result};

#[derive(Deserialize)]
struct ServiceFilters {
    host: Option<String>,
    binary: Option<String>,
}

/// List block-storage services and whether they are up, by `host` and `binary`.
#[utoipa::path(get, path = "/v3/{project_id}/os-services", tag = "services", operation_id = "list_services",
    params(("project_id" = String, Path, description = "Project id"),
        ("host" = Option<String>, Query, description = "Only services on this host"),
        ("binary" = Option<String>, Query, description = "Only this binary")),
    responses((status = 200, description = "Services"), (status = 403)))]
async fn list(
    State(cinder): State<AppState>,
    caller: Caller,
    Query(filters): Query<ServiceFilters>,
) -> Result<Response> {
    let (services, frozen) = cinder
        .list_services(&caller, filters.host.as_deref(), filters.binary.as_deref())
        .await?;
    let services: Vec<_> = services
        .into_iter()
        .map(|s| {
            let mut body = json!({
                "binary": s.binary,
                "host": s.host,
                "zone": s.zone,
                "status": if s.disabled { "disabled" } else { "enabled" },
                "state": if s.up { "up" } else { "down" },
                "updated_at": s.updated_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
                "disabled_reason": s.disabled_reason,
            });
            // No replication here: never failed over.
            if s.binary == crate::volume::BINARY {
                body["replication_status"] = json!("disabled");
                body["active_backend_id"] = json!(null);
                body["frozen"] = json!(frozen.contains(&s.host));
            }
            body
        })
        .collect();
    Ok(axum::Json(json!({"services": services})).into_response())
}

/// Enable a service, disable it, or disable it with a reason
/// (`enable`, `disable`, `disable-log-reason`); freeze or thaw a volume
/// backend (`freeze`, `thaw`).
#[utoipa::path(put, path = "/v3/{project_id}/os-services/{action}", tag = "services", operation_id = "update_service",
    params(("project_id" = String, Path, description = "Project id"), ("action" = String, Path, description = "enable, disable or disable-log-reason")),
    request_body(content = Object, content_type = "application/json", description = "{\"host\", \"binary\", \"disabled_reason\"}"),
    responses((status = 200, description = "The service's new status"), (status = 400), (status = 403), (status = 404)))]
async fn update(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    if let Some(freeze) = match action.as_str() {
        "freeze" => Some(true),
        "thaw" => Some(false),
        _ => None,
    } {
        let host = bodies::service::frozen_host(&parse(&body)?)?;
        cinder.freeze_backends(&caller, &host, freeze).await?;
        return Ok(axum::http::StatusCode::OK.into_response());
    }
    let (disabled, with_reason) = match action.as_str() {
        "enable" => (false, false),
        "disable" => (true, false),
        "disable-log-reason" => (true, true),
        _ => {
            return Err(CinderError::NotFound(format!(
                "Unknown os-services action {action}: this cloud serves enable, disable, disable-log-reason, freeze and thaw."
            )))
        }
    };
    let change = bodies::service::change(&parse(&body)?, with_reason)?;
    cinder
        .set_service_disabled(
            &caller,
            &change.host,
            &change.binary,
            disabled,
            change.reason.as_deref(),
        )
        .await?;
    let mut answer = json!({
        "host": change.host,
        "binary": change.named.0,
        "service": change.named.1,
        "status": if disabled { "disabled" } else { "enabled" },
        "disabled": disabled,
    });
    if !disabled || with_reason {
        answer["disabled_reason"] = json!(change.reason);
    }
    Ok(axum::Json(answer).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(update))
}
