//! `/v3/{project_id}/os-quota-class-sets/{class}` (admin): quota classes, whose
//! `default` sets every project's default limits.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{bodies, parse, AppState};
use crate::domain::{Caller, Result};

fn class_set(limits: BTreeMap<String, i64>, id: Option<&str>) -> Value {
    let mut set: Map<String, Value> = limits.into_iter().map(|(k, v)| (k, json!(v))).collect();
    if let Some(id) = id {
        set.insert("id".into(), json!(id));
    }
    json!({"quota_class_set": set})
}

/// Show a quota class's limits.
#[utoipa::path(get, path = "/v3/{project_id}/os-quota-class-sets/{quota_class_name}", tag = "quotas", operation_id = "show_quota_class",
    params(("project_id" = String, Path, description = "Project id"), ("quota_class_name" = String, Path, description = "Quota class (default)")),
    responses((status = 200, description = "The quota class set"), (status = 403)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, class)): Path<(String, String)>,
) -> Result<Response> {
    let limits = cinder.show_quota_class(&caller, &class).await?;
    Ok(axum::Json(class_set(limits, Some(&class))).into_response())
}

/// Set a quota class's limits (the `default` class's are every project's
/// defaults).
#[utoipa::path(put, path = "/v3/{project_id}/os-quota-class-sets/{quota_class_name}", tag = "quotas", operation_id = "update_quota_class",
    params(("project_id" = String, Path, description = "Project id"), ("quota_class_name" = String, Path, description = "Quota class (default)")),
    request_body(content = Object, content_type = "application/json", description = "{\"quota_class_set\": {resource: limit}}"),
    responses((status = 200, description = "The quota class set"), (status = 400), (status = 403)))]
async fn update(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, class)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let values = bodies::quota::limits(&parse(&body)?, "quota_class_set")?;
    let limits = cinder.set_quota_class(&caller, &class, &values).await?;
    Ok(axum::Json(class_set(limits, None)).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show, update))
}
