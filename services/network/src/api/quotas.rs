//! `/v2.0/quotas`: projects' limits, their defaults and their use
//! (`quota_details`); admins change and reset them.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::{self, python_str};
use super::AppState;
use crate::domain::{Caller, NeutronError, Result};

/// List the projects with limits of their own (admin).
#[utoipa::path(get, path = "/v2.0/quotas", tag = "quotas", operation_id = "list_quotas",
    responses((status = 200, description = "Quotas"), (status = 403)))]
async fn list(State(neutron): State<AppState>, caller: Caller) -> Result<Response> {
    let quotas: Vec<Value> = neutron
        .list_quotas(&caller)
        .await?
        .into_iter()
        .map(|(project, limits)| {
            let mut item = json!(limits);
            item["project_id"] = json!(project);
            item["tenant_id"] = json!(project);
            item
        })
        .collect();
    Ok(axum::Json(json!({"quotas": quotas})).into_response())
}

/// Show a project's limits (`project` and `tenant` name the caller's own).
#[utoipa::path(get, path = "/v2.0/quotas/{project_id}", tag = "quotas", operation_id = "show_quota",
    params(("project_id" = String, Path)), responses((status = 200, description = "The limits"), (status = 403)))]
async fn show(
    State(neutron): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Response> {
    match project.as_str() {
        "project" => {
            return Ok(
                axum::Json(json!({"project": {"project_id": caller.project()}})).into_response(),
            )
        }
        "tenant" => {
            return Ok(
                axum::Json(json!({"tenant": {"tenant_id": caller.project()}})).into_response(),
            )
        }
        _ => {}
    }
    let limits = neutron.quota(&caller, &project).await?;
    Ok(axum::Json(json!({"quota": limits})).into_response())
}

/// Show the default limits.
#[utoipa::path(get, path = "/v2.0/quotas/{project_id}/default", tag = "quotas", operation_id = "show_default_quota",
    params(("project_id" = String, Path)), responses((status = 200, description = "The defaults")))]
async fn defaults(
    State(neutron): State<AppState>,
    _caller: Caller,
    Path(_project): Path<String>,
) -> Response {
    axum::Json(json!({"quota": neutron.default_quota()})).into_response()
}

/// Show a project's limits with what it uses.
#[utoipa::path(get, path = "/v2.0/quotas/{project_id}/details", tag = "quotas", operation_id = "show_quota_details",
    params(("project_id" = String, Path)), responses((status = 200, description = "Limits and use"), (status = 403)))]
async fn details(
    State(neutron): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Response> {
    let details: BTreeMap<&str, Value> = neutron
        .quota_details(&caller, &project)
        .await?
        .into_iter()
        .map(|(resource, usage)| {
            (
                resource,
                json!({"limit": usage.limit, "used": usage.used, "reserved": 0}),
            )
        })
        .collect();
    Ok(axum::Json(json!({"quota": details})).into_response())
}

/// Change a project's limits (admin).
#[utoipa::path(put, path = "/v2.0/quotas/{project_id}", tag = "quotas", operation_id = "update_quota",
    params(("project_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"quota\": {\"port\": 100}}"),
    responses((status = 200, description = "The limits"), (status = 400), (status = 403)))]
async fn update(
    State(neutron): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let object = body::update(&body, "quota")?;
    let force = body::boolean(&object, "force")?.unwrap_or(false);
    let mut limits = BTreeMap::new();
    // `check_limit` asked for what is always done now (Neutron since 2025.1).
    for (resource, value) in object
        .iter()
        .filter(|(k, _)| *k != "force" && *k != "check_limit")
    {
        let number = python_str(value).trim().parse::<i64>().map_err(|_| {
            body::invalid(
                resource,
                format!("'{}' is not an integer", python_str(value)),
            )
        })?;
        limits.insert(resource.clone(), number);
    }
    let limits = neutron
        .update_quota(&caller, &project, &limits, force)
        .await?;
    Ok(axum::Json(json!({"quota": limits})).into_response())
}

/// Give a project the default limits back (admin).
#[utoipa::path(delete, path = "/v2.0/quotas/{project_id}", tag = "quotas", operation_id = "delete_quota",
    params(("project_id" = String, Path)), responses((status = 204, description = "Reset"), (status = 403)))]
async fn reset(
    State(neutron): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<StatusCode> {
    neutron.reset_quota(&caller, &project).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Quotas are not created, only set.
#[utoipa::path(post, path = "/v2.0/quotas", tag = "quotas", operation_id = "create_quota",
    responses((status = 501, description = "Not supported")))]
async fn create(_caller: Caller) -> Result<Response> {
    Err(NeutronError::new(
        501,
        "HTTPNotImplemented",
        "POST requests are not supported on this resource.",
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, reset))
        .routes(routes!(defaults))
        .routes(routes!(details))
}
