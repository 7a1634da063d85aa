//! `/v3/{project_id}/types/{type_id}/encryption`: volume type encryption (admin).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::render::time;
use super::{bodies, parse, AppState};
use crate::db::entity::encryption;
use crate::domain::encryption::EncryptionSpecs;
use crate::domain::{Caller, CinderError, Result};

/// The specs as Cinder shows its `Encryption` row.
fn view(row: &encryption::Model) -> Value {
    json!({
        "volume_type_id": row.volume_type_id,
        "encryption_id": row.encryption_id,
        "provider": row.provider,
        "cipher": row.cipher,
        "key_size": row.key_size,
        "control_location": row.control_location,
        "created_at": time(&row.created_at),
        "updated_at": row.updated_at.as_ref().map(time),
        "deleted": false,
        "deleted_at": null,
    })
}

/// The fields a request gave, as Cinder answers them back.
fn echo(specs: &EncryptionSpecs) -> Map<String, Value> {
    let mut body = Map::new();
    if let Some(provider) = &specs.provider {
        body.insert("provider".into(), json!(provider));
    }
    if let Some(cipher) = &specs.cipher {
        body.insert("cipher".into(), json!(cipher));
    }
    if let Some(key_size) = &specs.key_size {
        body.insert("key_size".into(), json!(key_size));
    }
    if let Some(location) = &specs.control_location {
        body.insert("control_location".into(), json!(location));
    }
    body
}

/// Show a type's encryption specs (`{}` when it is not encrypted).
#[utoipa::path(get, path = "/v3/{project_id}/types/{type_id}/encryption", tag = "volume types", operation_id = "show_type_encryption",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id")),
    responses((status = 200, description = "The encryption specs, or {}"), (status = 403), (status = 404)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id)): Path<(String, String)>,
) -> Result<Response> {
    let found = cinder.show_encryption(&caller, &type_id).await?;
    Ok(axum::Json(found.as_ref().map_or_else(|| json!({}), view)).into_response())
}

/// Make a type encrypted.
#[utoipa::path(post, path = "/v3/{project_id}/types/{type_id}/encryption", tag = "volume types", operation_id = "create_type_encryption",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id")),
    request_body(content = Object, content_type = "application/json", description = "{\"encryption\": {\"provider\", \"control_location\", \"cipher\", \"key_size\"}}"),
    responses((status = 200, description = "The encryption specs"), (status = 400), (status = 403), (status = 404)))]
async fn create(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let specs = bodies::encryption::specs(&parse(&body)?, true)?;
    let mut answer = echo(&specs);
    let made = cinder.create_encryption(&caller, &type_id, specs).await?;
    answer.insert("volume_type_id".into(), json!(made.volume_type_id));
    answer.insert("encryption_id".into(), json!(made.encryption_id));
    Ok(axum::Json(json!({"encryption": answer})).into_response())
}

/// Show one encryption spec (`provider`, `cipher`, ...).
#[utoipa::path(get, path = "/v3/{project_id}/types/{type_id}/encryption/{encryption_id}", tag = "volume types", operation_id = "show_type_encryption_spec",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id"), ("encryption_id" = String, Path, description = "The spec's name (provider, cipher, key_size, ...)")),
    responses((status = 200, description = "{key: value}"), (status = 403), (status = 404)))]
async fn show_spec(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id, key)): Path<(String, String, String)>,
) -> Result<Response> {
    let found = cinder.show_encryption(&caller, &type_id).await?;
    let value = found.as_ref().map(view).and_then(|v| v.get(&key).cloned());
    let value = value.ok_or_else(|| {
        CinderError::NotFound(format!(
            "Volume type encryption for type {type_id} does not exist."
        ))
    })?;
    Ok(axum::Json(json!({ key: value })).into_response())
}

/// Change a type's encryption specs (while no volume uses the type).
#[utoipa::path(put, path = "/v3/{project_id}/types/{type_id}/encryption/{encryption_id}", tag = "volume types", operation_id = "update_type_encryption",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id"), ("encryption_id" = String, Path, description = "Encryption id")),
    request_body(content = Object, content_type = "application/json", description = "{\"encryption\": {...}}"),
    responses((status = 200, description = "What was set"), (status = 400), (status = 403), (status = 404)))]
async fn update(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id, _encryption_id)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response> {
    let specs = bodies::encryption::specs(&parse(&body)?, false)?;
    let answer = echo(&specs);
    cinder.update_encryption(&caller, &type_id, specs).await?;
    Ok(axum::Json(json!({"encryption": answer})).into_response())
}

/// Make a type unencrypted (while no volume uses it).
#[utoipa::path(delete, path = "/v3/{project_id}/types/{type_id}/encryption/{encryption_id}", tag = "volume types", operation_id = "delete_type_encryption",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id"), ("encryption_id" = String, Path, description = "Encryption id")),
    responses((status = 202, description = "Deleted"), (status = 400), (status = 403), (status = 404)))]
async fn delete(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id, _encryption_id)): Path<(String, String, String)>,
) -> Result<StatusCode> {
    cinder.delete_encryption(&caller, &type_id).await?;
    Ok(StatusCode::ACCEPTED)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show, create))
        .routes(routes!(show_spec, update, delete))
}
