//! `/v3/{project_id}/volumes/{volume_id}/metadata` and
//! `/v3/{project_id}/snapshots/{snapshot_id}/metadata`: list, merge, replace, and
//! one key at a time.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{parse, AppState};
use crate::domain::metadata::Owner;
use crate::domain::{Caller, CinderError, Result};

#[derive(Deserialize)]
struct MetadataBody {
    metadata: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct MetaBody {
    meta: BTreeMap<String, String>,
}

async fn list_of(cinder: &AppState, caller: &Caller, owner: Owner, id: &str) -> Result<Response> {
    let metadata = cinder.metadata(caller, owner, id).await?;
    Ok(axum::Json(json!({"metadata": metadata})).into_response())
}

async fn set_of(
    cinder: &AppState,
    caller: &Caller,
    owner: Owner,
    id: &str,
    body: &[u8],
    replace: bool,
) -> Result<Response> {
    let request: MetadataBody = parse(body)?;
    let metadata = cinder
        .set_metadata(caller, owner, id, request.metadata, replace)
        .await?;
    Ok(axum::Json(json!({"metadata": metadata})).into_response())
}

async fn show_key_of(
    cinder: &AppState,
    caller: &Caller,
    owner: Owner,
    id: &str,
    key: &str,
) -> Result<Response> {
    let metadata = cinder.metadata(caller, owner, id).await?;
    let value = metadata.get(key).ok_or_else(|| owner.no_key(id, key))?;
    Ok(axum::Json(json!({"meta": {key: value}})).into_response())
}

async fn update_key_of(
    cinder: &AppState,
    caller: &Caller,
    owner: Owner,
    id: &str,
    key: &str,
    body: &[u8],
) -> Result<Response> {
    let request: MetaBody = parse(body)?;
    if request.meta.len() != 1 || !request.meta.contains_key(key) {
        return Err(CinderError::BadRequest(
            "Request body and URI mismatch".into(),
        ));
    }
    cinder
        .set_metadata(caller, owner, id, request.meta.clone(), false)
        .await?;
    Ok(axum::Json(json!({"meta": request.meta})).into_response())
}

async fn delete_key_of(
    cinder: &AppState,
    caller: &Caller,
    owner: Owner,
    id: &str,
    key: &str,
) -> Result<Response> {
    cinder.delete_metadata(caller, owner, id, key).await?;
    Ok(axum::http::StatusCode::OK.into_response())
}

/// Show a volume's metadata.
#[utoipa::path(get, path = "/v3/{project_id}/volumes/{volume_id}/metadata", tag = "volumes", operation_id = "list_volume_metadata",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id")),
    responses((status = 200, description = "Metadata"), (status = 404)))]
async fn list_volume(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<Response> {
    list_of(&cinder, &caller, Owner::Volume, &id).await
}

/// Add or change a volume's metadata keys.
#[utoipa::path(post, path = "/v3/{project_id}/volumes/{volume_id}/metadata", tag = "volumes", operation_id = "create_volume_metadata",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id")),
    request_body(content = Object, content_type = "application/json", description = "{\"metadata\": {key: value}}"),
    responses((status = 200, description = "Metadata"), (status = 400), (status = 404)))]
async fn merge_volume(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    set_of(&cinder, &caller, Owner::Volume, &id, &body, false).await
}

/// Replace all of a volume's metadata.
#[utoipa::path(put, path = "/v3/{project_id}/volumes/{volume_id}/metadata", tag = "volumes", operation_id = "replace_volume_metadata",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id")),
    request_body(content = Object, content_type = "application/json", description = "{\"metadata\": {key: value}}"),
    responses((status = 200, description = "Metadata"), (status = 400), (status = 404)))]
async fn replace_volume(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    set_of(&cinder, &caller, Owner::Volume, &id, &body, true).await
}

/// Show one of a volume's metadata keys.
#[utoipa::path(get, path = "/v3/{project_id}/volumes/{volume_id}/metadata/{key}", tag = "volumes", operation_id = "show_volume_metadata_key",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id"), ("key" = String, Path, description = "Key")),
    responses((status = 200, description = "The key"), (status = 404)))]
async fn show_volume_key(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id, key)): Path<(String, String, String)>,
) -> Result<Response> {
    show_key_of(&cinder, &caller, Owner::Volume, &id, &key).await
}

/// Set one of a volume's metadata keys.
#[utoipa::path(put, path = "/v3/{project_id}/volumes/{volume_id}/metadata/{key}", tag = "volumes", operation_id = "update_volume_metadata_key",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id"), ("key" = String, Path, description = "Key")),
    request_body(content = Object, content_type = "application/json", description = "{\"meta\": {key: value}}"),
    responses((status = 200, description = "The key"), (status = 400), (status = 404)))]
async fn update_volume_key(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id, key)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response> {
    update_key_of(&cinder, &caller, Owner::Volume, &id, &key, &body).await
}

/// Remove one of a volume's metadata keys.
#[utoipa::path(delete, path = "/v3/{project_id}/volumes/{volume_id}/metadata/{key}", tag = "volumes", operation_id = "delete_volume_metadata_key",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id"), ("key" = String, Path, description = "Key")),
    responses((status = 200, description = "Removed"), (status = 404)))]
async fn delete_volume_key(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id, key)): Path<(String, String, String)>,
) -> Result<Response> {
    delete_key_of(&cinder, &caller, Owner::Volume, &id, &key).await
}

/// Show a snapshot's metadata.
#[utoipa::path(get, path = "/v3/{project_id}/snapshots/{snapshot_id}/metadata", tag = "snapshots", operation_id = "list_snapshot_metadata",
    params(("project_id" = String, Path, description = "Project id"), ("snapshot_id" = String, Path, description = "Snapshot id")),
    responses((status = 200, description = "Metadata"), (status = 404)))]
async fn list_snapshot(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<Response> {
    list_of(&cinder, &caller, Owner::Snapshot, &id).await
}

/// Add or change a snapshot's metadata keys.
#[utoipa::path(post, path = "/v3/{project_id}/snapshots/{snapshot_id}/metadata", tag = "snapshots", operation_id = "create_snapshot_metadata",
    params(("project_id" = String, Path, description = "Project id"), ("snapshot_id" = String, Path, description = "Snapshot id")),
    request_body(content = Object, content_type = "application/json", description = "{\"metadata\": {key: value}}"),
    responses((status = 200, description = "Metadata"), (status = 400), (status = 404)))]
async fn merge_snapshot(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    set_of(&cinder, &caller, Owner::Snapshot, &id, &body, false).await
}

/// Replace all of a snapshot's metadata.
#[utoipa::path(put, path = "/v3/{project_id}/snapshots/{snapshot_id}/metadata", tag = "snapshots", operation_id = "replace_snapshot_metadata",
    params(("project_id" = String, Path, description = "Project id"), ("snapshot_id" = String, Path, description = "Snapshot id")),
    request_body(content = Object, content_type = "application/json", description = "{\"metadata\": {key: value}}"),
    responses((status = 200, description = "Metadata"), (status = 400), (status = 404)))]
async fn replace_snapshot(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    set_of(&cinder, &caller, Owner::Snapshot, &id, &body, true).await
}

/// Show one of a snapshot's metadata keys.
#[utoipa::path(get, path = "/v3/{project_id}/snapshots/{snapshot_id}/metadata/{key}", tag = "snapshots", operation_id = "show_snapshot_metadata_key",
    params(("project_id" = String, Path, description = "Project id"), ("snapshot_id" = String, Path, description = "Snapshot id"), ("key" = String, Path, description = "Key")),
    responses((status = 200, description = "The key"), (status = 404)))]
async fn show_snapshot_key(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id, key)): Path<(String, String, String)>,
) -> Result<Response> {
    show_key_of(&cinder, &caller, Owner::Snapshot, &id, &key).await
}

/// Set one of a snapshot's metadata keys.
#[utoipa::path(put, path = "/v3/{project_id}/snapshots/{snapshot_id}/metadata/{key}", tag = "snapshots", operation_id = "update_snapshot_metadata_key",
    params(("project_id" = String, Path, description = "Project id"), ("snapshot_id" = String, Path, description = "Snapshot id"), ("key" = String, Path, description = "Key")),
    request_body(content = Object, content_type = "application/json", description = "{\"meta\": {key: value}}"),
    responses((status = 200, description = "The key"), (status = 400), (status = 404)))]
async fn update_snapshot_key(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id, key)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response> {
    update_key_of(&cinder, &caller, Owner::Snapshot, &id, &key, &body).await
}

/// Remove one of a snapshot's metadata keys.
#[utoipa::path(delete, path = "/v3/{project_id}/snapshots/{snapshot_id}/metadata/{key}", tag = "snapshots", operation_id = "delete_snapshot_metadata_key",
    params(("project_id" = String, Path, description = "Project id"), ("snapshot_id" = String, Path, description = "Snapshot id"), ("key" = String, Path, description = "Key")),
    responses((status = 200, description = "Removed"), (status = 404)))]
async fn delete_snapshot_key(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id, key)): Path<(String, String, String)>,
) -> Result<Response> {
    delete_key_of(&cinder, &caller, Owner::Snapshot, &id, &key).await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_volume, merge_volume, replace_volume))
        .routes(routes!(
            show_volume_key,
            update_volume_key,
            delete_volume_key
        ))
        .routes(routes!(list_snapshot, merge_snapshot, replace_snapshot))
        .routes(routes!(
            show_snapshot_key,
            update_snapshot_key,
            delete_snapshot_key
        ))
}
