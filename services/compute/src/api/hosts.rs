//! `/v2.1/os-hosts` (admin, to 2.42): hosts by their services, a compute
//! host's resources, enabling or disabling one; maintenance mode and power
//! actions answer 501 (no driver here does them).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::schema::{field_error, only, python_repr};
use super::{parse, AppState};
use crate::domain::hosts::Resources;
use crate::domain::{Caller, Result};

/// After 2.42 the API is gone.
fn require(version: ApiVersion) -> Result<()> {
    super::gone_after(version, 42)
}

/// `enable` or `disable` in any case, as Nova's schema takes them.
fn switch(field: &str, value: &Value) -> Result<bool> {
    const WORDS: &[&str] = &[
        "enable", "disable", "Enable", "Disable", "ENABLE", "DISABLE",
    ];
    match value.as_str() {
        Some(word) if WORDS.contains(&word) => Ok(word.eq_ignore_ascii_case("enable")),
        _ => Err(field_error(
            field,
            value,
            &format!(
                "{} is not one of ['enable', 'disable', 'Enable', 'Disable', 'ENABLE', 'DISABLE']",
                python_repr(value)
            ),
        )),
    }
}

fn resource(host: &str, project: &str, r: &Resources) -> Value {
    json!({"resource": {"host": host, "project": project, "cpu": r.cpu,
        "memory_mb": r.memory_mb, "disk_gb": r.disk_gb}})
}

/// List hosts (of enabled services), in a `zone`.
#[utoipa::path(get, path = "/v2.1/os-hosts", tag = "hosts", operation_id = "list_hosts",
    params(("zone" = Option<String>, Query, description = "Only this availability zone's")),
    responses((status = 200, description = "Hosts"), (status = 403), (status = 404)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    require(version)?;
    let query = Query::parse(raw.as_deref())?;
    let hosts: Vec<Value> = nova
        .list_hosts(&caller, query.get("zone"))
        .await?
        .into_iter()
        .map(|h| json!({"host_name": h.host_name, "service": h.service, "zone": h.zone}))
        .collect();
    Ok(axum::Json(json!({"hosts": hosts})).into_response())
}

/// Show a compute host's resources: total, used now, its servers' sum and by project.
#[utoipa::path(get, path = "/v2.1/os-hosts/{host_name}", tag = "hosts", operation_id = "show_host",
    params(("host_name" = String, Path, description = "Host name")),
    responses((status = 200, description = "The host's resources"), (status = 403), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(host): Path<String>,
) -> Result<Response> {
    require(version)?;
    let r = nova.host_resources(&caller, &host).await?;
    let mut entries = vec![
        resource(&host, "(total)", &r.total),
        resource(&host, "(used_now)", &r.used_now),
        resource(&host, "(used_max)", &r.used_max),
    ];
    entries.extend(
        r.by_project
            .iter()
            .map(|(p, used)| resource(&host, p, used)),
    );
    Ok(axum::Json(json!({"host": entries})).into_response())
}

/// Enable or disable a compute host (`status`); `maintenance_mode` is not supported.
#[utoipa::path(put, path = "/v2.1/os-hosts/{host_name}", tag = "hosts", operation_id = "update_host",
    params(("host_name" = String, Path, description = "Host name")),
    request_body(content = Object, content_type = "application/json", description = "{\"status\": \"enable\"|\"disable\", \"maintenance_mode\": ...}"),
    responses((status = 200, description = "The new status"), (status = 400), (status = 403), (status = 404), (status = 501)))]
async fn update(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(host): Path<String>,
    body: Bytes,
) -> Result<Response> {
    require(version)?;
    let body: Value = parse(&body)?;
    only("", &body, &["status", "maintenance_mode"])?;
    let status = body
        .get("status")
        .map(|v| switch("status", v))
        .transpose()?;
    let maintenance = body
        .get("maintenance_mode")
        .map(|v| switch("maintenance_mode", v))
        .transpose()?;
    if status.is_none() && maintenance.is_none() {
        return Err(field_error(
            "",
            &body,
            &format!(
                "{} is not valid under any of the given schemas",
                python_repr(&body)
            ),
        ));
    }
    let mut answer = json!({"host": host});
    if let Some(enabled) = status {
        answer["status"] = json!(nova.set_host_enabled(&caller, &host, enabled).await?);
    }
    if maintenance.is_some() {
        nova.host_driver_action(
            &caller,
            &host,
            "os_compute_api:os-hosts:update",
            "maintenance mode",
        )
        .await?;
    }
    Ok(axum::Json(answer).into_response())
}

async fn power(
    nova: AppState,
    caller: Caller,
    version: ApiVersion,
    host: String,
    rule: &str,
) -> Result<Response> {
    require(version)?;
    nova.host_driver_action(&caller, &host, rule, "power management")
        .await?;
    Ok(axum::Json(json!({"host": host})).into_response())
}

/// Reboot a host (501: no driver here manages host power).
#[utoipa::path(get, path = "/v2.1/os-hosts/{host_name}/reboot", tag = "hosts", operation_id = "reboot_host",
    params(("host_name" = String, Path, description = "Host name")),
    responses((status = 403), (status = 404), (status = 501, description = "Not supported")))]
async fn reboot(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(host): Path<String>,
) -> Result<Response> {
    power(
        nova,
        caller,
        version,
        host,
        "os_compute_api:os-hosts:reboot",
    )
    .await
}

/// Shut a host down (501: no driver here manages host power).
#[utoipa::path(get, path = "/v2.1/os-hosts/{host_name}/shutdown", tag = "hosts", operation_id = "shutdown_host",
    params(("host_name" = String, Path, description = "Host name")),
    responses((status = 403), (status = 404), (status = 501, description = "Not supported")))]
async fn shutdown(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(host): Path<String>,
) -> Result<Response> {
    power(
        nova,
        caller,
        version,
        host,
        "os_compute_api:os-hosts:shutdown",
    )
    .await
}

/// Start a host up (501: no driver here manages host power).
#[utoipa::path(get, path = "/v2.1/os-hosts/{host_name}/startup", tag = "hosts", operation_id = "startup_host",
    params(("host_name" = String, Path, description = "Host name")),
    responses((status = 403), (status = 404), (status = 501, description = "Not supported")))]
async fn startup(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(host): Path<String>,
) -> Result<Response> {
    power(nova, caller, version, host, "os_compute_api:os-hosts:start").await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show, update))
        .routes(routes!(reboot))
        .routes(routes!(shutdown))
        .routes(routes!(startup))
}
