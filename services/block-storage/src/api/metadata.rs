//! `/v3/{project_id}/volumes/{volume_id}/metadata`: list, merge, replace, and one
//! key at a time.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{parse, AppState};
use crate::domain::{Caller, CinderError, Result};

#[derive(Deserialize)]
struct MetadataBody {
    metadata: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct MetaBody {
    meta: BTreeMap<String, String>,
}

/// Show a volume's metadata.
#[utoipa::path(get, path = "/v3/{project_id}/volumes/{volume_id}/metadata", tag = "volumes", operation_id = "list_volume_metadata",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id")),
    responses((status = 200, description = "Metadata"), (status = 404)))]
async fn list(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, volume_id)): Path<(String, String)>,
) -> Result<Response> {
    let metadata = cinder.volume_metadata(&caller, &volume_id).await?;
    Ok(axum::Json(json!({"metadata": metadata})).into_response())
}

/// Add or change metadata keys.
#[utoipa::path(post, path = "/v3/{project_id}/volumes/{volume_id}/metadata", tag = "volumes", operation_id = "create_volume_metadata",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id")),
    request_body(content = Object, content_type = "application/json", description = "{\"metadata\": {key: value}}"),
    responses((status = 200, description = "Metadata"), (status = 400), (status = 404)))]
async fn merge(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, volume_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let request: MetadataBody = parse(&body)?;
    let metadata = cinder
        .set_volume_metadata(&caller, &volume_id, request.metadata, false)
        .await?;
    Ok(axum::Json(json!({"metadata": metadata})).into_response())
}

/// Replace all metadata.
#[utoipa::path(put, path = "/v3/{project_id}/volumes/{volume_id}/metadata", tag = "volumes", operation_id = "replace_volume_metadata",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id")),
    request_body(content = Object, content_type = "application/json", description = "{\"metadata\": {key: value}}"),
    responses((status = 200, description = "Metadata"), (status = 400), (status = 404)))]
async fn replace(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, volume_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let request: MetadataBody = parse(&body)?;
    let metadata = cinder
        .set_volume_metadata(&caller, &volume_id, request.metadata, true)
        .await?;
    Ok(axum::Json(json!({"metadata": metadata})).into_response())
}

/// Show one metadata key.
#[utoipa::path(get, path = "/v3/{project_id}/volumes/{volume_id}/metadata/{key}", tag = "volumes", operation_id = "show_volume_metadata_key",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id"), ("key" = String, Path, description = "Key")),
    responses((status = 200, description = "The key"), (status = 404)))]
async fn show_key(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, volume_id, key)): Path<(String, String, String)>,
) -> Result<Response> {
    let metadata = cinder.volume_metadata(&caller, &volume_id).await?;
    let value = metadata.get(&key).ok_or_else(|| {
        CinderError::NotFound(format!(
            "Volume {volume_id} has no metadata with key {key}."
        ))
    })?;
    Ok(axum::Json(json!({"meta": {key: value}})).into_response())
}

/// Set one metadata key.
#[utoipa::path(put, path = "/v3/{project_id}/volumes/{volume_id}/metadata/{key}", tag = "volumes", operation_id = "update_volume_metadata_key",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id"), ("key" = String, Path, description = "Key")),
    request_body(content = Object, content_type = "application/json", description = "{\"meta\": {key: value}}"),
    responses((status = 200, description = "The key"), (status = 400), (status = 404)))]
async fn update_key(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, volume_id, key)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response> {
    let request: MetaBody = parse(&body)?;
    if request.meta.len() != 1 || !request.meta.contains_key(&key) {
        return Err(CinderError::BadRequest(
            "Request body and URI mismatch".into(),
        ));
    }
    cinder
        .set_volume_metadata(&caller, &volume_id, request.meta.clone(), false)
        .await?;
    Ok(axum::Json(json!({"meta": request.meta})).into_response())
}

/// Remove one metadata key.
#[utoipa::path(delete, path = "/v3/{project_id}/volumes/{volume_id}/metadata/{key}", tag = "volumes", operation_id = "delete_volume_metadata_key",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id"), ("key" = String, Path, description = "Key")),
    responses((status = 200, description = "Removed"), (status = 404)))]
async fn delete_key(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, volume_id, key)): Path<(String, String, String)>,
) -> Result<Response> {
    cinder
        .delete_volume_metadata(&caller, &volume_id, &key)
        .await?;
    Ok(axum::Json(json!({})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, merge, replace))
        .routes(routes!(show_key, update_key, delete_key))
}
