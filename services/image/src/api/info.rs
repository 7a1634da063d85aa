//! `/v2/info/*` (import methods, stores, quota usage) and `/v2/stores/*`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::domain::{Caller, ImageError, Result};

/// Show the import methods this cloud offers.
#[utoipa::path(get, path = "/v2/info/import", tag = "info", operation_id = "show_import_info",
    responses((status = 200, description = "Import methods")))]
async fn import(State(glance): State<AppState>) -> impl IntoResponse {
    axum::Json(json!({"import-methods": {
        "description": "Import methods available.",
        "type": "array",
        "value": glance.cfg.import_methods,
    }}))
}

/// List the stores images can be uploaded to.
#[utoipa::path(get, path = "/v2/info/stores", tag = "info", operation_id = "list_stores",
    responses((status = 200, description = "Stores")))]
async fn stores(State(glance): State<AppState>) -> impl IntoResponse {
    let stores: Vec<Value> = glance
        .stores
        .all()
        .map(|s| {
            let mut store = json!({"id": s.id(), "description": s.description()});
            if s.id() == glance.stores.default_id() {
                store["default"] = Value::String("true".into());
            }
            store
        })
        .collect();
    axum::Json(json!({"stores": stores}))
}

/// List the stores with their types (admin only).
#[utoipa::path(get, path = "/v2/info/stores/detail", tag = "info", operation_id = "list_stores_detail",
    responses((status = 200, description = "Stores with details"), (status = 403)))]
async fn stores_detail(
    State(glance): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse> {
    glance.enforce(
        &caller,
        "stores_info_detail",
        &json!({"project_id": caller.project()}),
    )?;
    let stores: Vec<Value> = glance
        .stores
        .all()
        .map(|s| {
            let mut store = json!({
                "id": s.id(),
                "description": s.description(),
                "type": s.kind(),
                "weight": 0,
                "properties": {},
            });
            if s.id() == glance.stores.default_id() {
                store["default"] = Value::String("true".into());
            }
            store
        })
        .collect();
    Ok(axum::Json(json!({"stores": stores})))
}

/// Show the caller's quota usage.
#[utoipa::path(get, path = "/v2/info/usage", tag = "info", operation_id = "show_usage",
    responses((status = 200, description = "Limits and usage")))]
async fn usage(State(glance): State<AppState>, caller: Caller) -> Result<impl IntoResponse> {
    let project = caller
        .project()
        .ok_or_else(|| ImageError::Forbidden("A project-scoped token is required.".into()))?;
    let usage = glance.repo.usage(project).await?;
    let q = &glance.cfg.quotas;
    let entry = |limit: Option<u64>, used: u64, mib: bool| {
        let scale = |v: u64| if mib { v.div_ceil(1024 * 1024) } else { v };
        json!({"limit": limit.map(|l| scale(l) as i64).unwrap_or(-1), "usage": scale(used)})
    };
    Ok(axum::Json(json!({"usage": {
        "image_size_total": entry(q.image_size_total, usage.stored, true),
        "image_stage_total": entry(q.image_stage_total, usage.staged, true),
        "image_count_total": entry(q.image_count_total, usage.count, false),
        "image_count_uploading": entry(q.image_count_uploading, usage.uploading, false),
    }})))
}

/// Remove an image's data from one store (admin only).
#[utoipa::path(delete, path = "/v2/stores/{store_id}/{image_id}", tag = "info", operation_id = "delete_image_from_store",
    params(("store_id" = String, Path, description = "Store id"), ("image_id" = String, Path, description = "Image id")),
    responses((status = 204, description = "Removed from the store"), (status = 403), (status = 404), (status = 409)))]
async fn delete_from_store(
    State(glance): State<AppState>,
    caller: Caller,
    Path((store_id, image_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    glance
        .delete_from_store(&caller, &store_id, &image_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(stores))
        .routes(routes!(stores_detail))
        .routes(routes!(usage))
        .routes(routes!(delete_from_store))
}
