//! `/v2.1/os-simple-tenant-usage`: every project's usage in a period (admin)
//! and one project's, with each server's hours (what the dashboard's overview
//! shows).

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::AppState;
use crate::domain::usage::TenantUsage;
use crate::domain::{Caller, NovaError, Result};

fn stamp(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// A period bound as Nova parses it.
fn parse_time(raw: &str) -> Result<NaiveDateTime> {
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
    .ok_or_else(|| NovaError::BadRequest(format!("Invalid datetime string: {raw}")))
}

/// The period of a query: `start` and `end`, both now by default.
fn period(query: &Query) -> Result<(NaiveDateTime, NaiveDateTime)> {
    let now = chrono::Utc::now().naive_utc();
    let start = query
        .get("start")
        .map(parse_time)
        .transpose()?
        .unwrap_or(now);
    let end = query.get("end").map(parse_time).transpose()?.unwrap_or(now);
    if start > end {
        return Err(NovaError::BadRequest(
            "Invalid start time. The start time cannot occur after the end time.".into(),
        ));
    }
    Ok((start, end))
}

fn view(usage: &TenantUsage, start: &NaiveDateTime, stop: &NaiveDateTime, detailed: bool) -> Value {
    let mut body = json!({
        "tenant_id": usage.project_id,
        "total_hours": usage.total_hours(),
        "total_vcpus_usage": usage.total(|f| f.vcpus),
        "total_memory_mb_usage": usage.total(|f| f.memory_mb),
        "total_local_gb_usage": usage.total(|f| f.root_gb + f.ephemeral_gb),
        "start": stamp(start),
        "stop": stamp(stop),
    });
    if detailed {
        let now = chrono::Utc::now().naive_utc();
        let servers: Vec<Value> = usage
            .servers
            .iter()
            .map(|s| {
                let row = &s.row;
                let started = row.launched_at.unwrap_or(row.created_at);
                let ended = row.terminated_at.unwrap_or(now);
                json!({
                    "instance_id": row.uuid,
                    "name": row.display_name,
                    "hours": s.hours,
                    "memory_mb": s.flavor.memory_mb,
                    "local_gb": s.flavor.root_gb + s.flavor.ephemeral_gb,
                    "vcpus": s.flavor.vcpus,
                    "tenant_id": row.project_id,
                    "flavor": s.flavor.name,
                    "started_at": stamp(&started),
                    "ended_at": row.terminated_at.as_ref().map(stamp),
                    "state": if row.deleted { "terminated" } else { row.vm_state.as_str() },
                    "uptime": (ended - started).num_seconds().max(0),
                })
            })
            .collect();
        body["server_usages"] = json!(servers);
    }
    body
}

/// Every project's usage in a period (admin).
#[utoipa::path(get, path = "/v2.1/os-simple-tenant-usage", tag = "usage",
    operation_id = "list_tenant_usage",
    responses((status = 200, description = "Usage per project"), (status = 400), (status = 403)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let query = Query::parse(raw.as_deref())?;
    let (start, stop) = period(&query)?;
    let detailed = query
        .get("detailed")
        .is_some_and(|d| d == "1" || d.eq_ignore_ascii_case("true"));
    let usages = nova.tenant_usages(&caller, None, start, stop).await?;
    let items: Vec<Value> = usages
        .iter()
        .map(|u| view(u, &start, &stop, detailed))
        .collect();
    Ok(axum::Json(json!({"tenant_usages": items})).into_response())
}

/// One project's usage in a period.
#[utoipa::path(get, path = "/v2.1/os-simple-tenant-usage/{project_id}", tag = "usage",
    operation_id = "show_tenant_usage", params(("project_id" = String, Path)),
    responses((status = 200, description = "The project's usage"), (status = 400), (status = 403)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let query = Query::parse(raw.as_deref())?;
    let (start, stop) = period(&query)?;
    let usage = nova
        .tenant_usages(&caller, Some(&project), start, stop)
        .await?
        .pop();
    let body = match usage {
        Some(usage) => view(&usage, &start, &stop, true),
        None => json!({}),
    };
    Ok(axum::Json(json!({"tenant_usage": body})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
}
