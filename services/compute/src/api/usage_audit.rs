//! `/v2.1/os-instance_usage_audit_log` (admin): the instance usage audit of
//! the last completed period, now or before a time.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::domain::usage_audit::AuditLog;
use crate::domain::{Caller, NovaError, Result};

fn view(log: &AuditLog) -> Value {
    let format = |t: &NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    json!({
        "period_beginning": format(&log.period_beginning),
        "period_ending": format(&log.period_ending),
        "num_hosts": log.hosts.len(),
        "num_hosts_done": log.done.len(),
        "num_hosts_running": 0,
        "num_hosts_not_run": log.not_run().len(),
        "hosts_not_run": log.not_run(),
        "total_instances": 0,
        "total_errors": 0,
        "overall_status": log.overall_status(),
        "log": {},
    })
}

/// The audit of the last completed period.
#[utoipa::path(get, path = "/v2.1/os-instance_usage_audit_log", tag = "usage audit", operation_id = "list_usage_audit_logs",
    responses((status = 200, description = "The audit report"), (status = 403)))]
async fn list(State(nova): State<AppState>, caller: Caller) -> Result<Response> {
    let log = nova
        .usage_audit_log(
            &caller,
            "os_compute_api:os-instance-usage-audit-log:list",
            None,
        )
        .await?;
    Ok(axum::Json(json!({"instance_usage_audit_logs": view(&log)})).into_response())
}

/// The audit of the last period completed before a time (`YYYY-MM-DD HH:MM:SS[.ffffff]`).
#[utoipa::path(get, path = "/v2.1/os-instance_usage_audit_log/{before_timestamp}", tag = "usage audit", operation_id = "show_usage_audit_log",
    params(("before_timestamp" = String, Path, description = "A time")),
    responses((status = 200, description = "The audit report"), (status = 400), (status = 403)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Path(before): Path<String>,
) -> Result<Response> {
    let format = if before.contains('.') {
        "%Y-%m-%d %H:%M:%S%.f"
    } else {
        "%Y-%m-%d %H:%M:%S"
    };
    let parsed = NaiveDateTime::parse_from_str(&before, format);
    // Policy before the timestamp, as Nova checks it first.
    let rule = "os_compute_api:os-instance-usage-audit-log:show";
    let log = match parsed {
        Ok(at) => nova.usage_audit_log(&caller, rule, Some(at)).await?,
        Err(_) => {
            nova.authorize(&caller, rule, &json!({}))?;
            return Err(NovaError::BadRequest(format!(
                "Invalid timestamp for date {before}"
            )));
        }
    };
    Ok(axum::Json(json!({"instance_usage_audit_log": view(&log)})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
}
