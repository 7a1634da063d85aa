//! Volume backups at `/v3/{project_id}/backups`: create, list, show, update
//! (3.9), delete, restore, export/import of records and the admin actions.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::bodies::backup as bodies;
use super::render::{links, time};
use super::AppState;
use crate::db::entity::backup;
use crate::domain::{Caller, CinderError, Result};

fn summary(base: &str, b: &backup::Model) -> Value {
    json!({"id": b.id, "name": b.name, "links": links(base, &b.project_id, "backups", &b.id)})
}

/// The detail view; `admin`: the caller may see project attributes.
fn detail(
    base: &str,
    b: &backup::Model,
    version: ApiVersion,
    dependents: bool,
    admin: bool,
) -> Value {
    let mut body = json!({
        "id": b.id,
        "status": b.status,
        "size": b.size,
        "object_count": b.object_count,
        "availability_zone": b.availability_zone,
        "container": b.container,
        "created_at": time(&b.created_at),
        "updated_at": time(&b.updated_at),
        "name": b.name,
        "description": b.description,
        "fail_reason": b.fail_reason,
        "volume_id": b.volume_id,
        "links": links(base, &b.project_id, "backups", &b.id),
        "is_incremental": b.parent_id.is_some(),
        "has_dependent_backups": dependents,
        "snapshot_id": b.snapshot_id,
        "data_timestamp": time(&b.data_timestamp),
    });
    if version >= ApiVersion::new(3, 43) {
        body["metadata"] = serde_json::from_str(&b.metadata).unwrap_or_else(|_| json!({}));
    }
    if admin && version >= ApiVersion::new(3, 18) {
        body["os-backup-project-attr:project_id"] = json!(b.project_id);
    }
    if admin && version >= ApiVersion::new(3, 56) {
        body["user_id"] = json!(b.user_id);
    }
    body
}

/// Whether the caller sees a backup's project and user.
fn sees_owners(cinder: &AppState, caller: &Caller) -> bool {
    cinder
        .authorize(caller, "backup:backup_project_attribute", caller.project())
        .is_ok()
}

async fn detail_of(
    cinder: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    b: &backup::Model,
    version: ApiVersion,
) -> Result<Value> {
    let dependents = cinder.has_dependents(&b.id, false).await?;
    Ok(detail(
        &super::base_url(cinder, headers),
        b,
        version,
        dependents,
        sees_owners(cinder, caller),
    ))
}

/// Back a volume (or a snapshot of it) up.
#[utoipa::path(post, path = "/v3/{project_id}/backups", tag = "backups", operation_id = "create_backup",
    params(("project_id" = String, Path, description = "Project id")),
    request_body(content = Object, content_type = "application/json", description = "{\"backup\": {\"volume_id\", \"name\", \"description\", \"container\", \"incremental\", \"force\", \"snapshot_id\", \"metadata\" (3.43), \"availability_zone\" (3.51)}}"),
    responses((status = 202, description = "The backup (id, name, links)"), (status = 400), (status = 404), (status = 413)))]
async fn create(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let request = bodies::create(&super::parse(&body)?, version)?;
    let made = cinder.create_backup(&caller, request).await?;
    let view = summary(&super::base_url(&cinder, &headers), &made);
    Ok((StatusCode::ACCEPTED, axum::Json(json!({"backup": view}))).into_response())
}

async fn listing(
    cinder: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    raw: Option<String>,
    version: ApiVersion,
    detailed: bool,
) -> Result<Response> {
    let pairs = super::query::pairs(raw.as_deref())?;
    let listing = cinder.list_backups(caller, &pairs, version).await?;
    let base = super::base_url(cinder, headers);
    let admin = sees_owners(cinder, caller);
    let mut backups = Vec::with_capacity(listing.page.rows.len());
    for b in &listing.page.rows {
        backups.push(if detailed {
            let dependents = cinder.has_dependents(&b.id, false).await?;
            detail(&base, b, version, dependents, admin)
        } else {
            summary(&base, b)
        });
    }
    let mut body = json!({"backups": backups});
    if let Some(marker) = listing.page.next_marker {
        let path = if detailed {
            "backups/detail"
        } else {
            "backups"
        };
        body["backups_links"] =
            super::next_links(cinder, headers, caller.project(), path, &pairs, &marker);
    }
    if let Some(count) = listing.count {
        body["count"] = json!(count);
    }
    Ok(axum::Json(body).into_response())
}

/// List backups.
#[utoipa::path(get, path = "/v3/{project_id}/backups", tag = "backups", operation_id = "list_backups",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Backups")))]
async fn list(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(&cinder, &caller, &headers, raw, version, false).await
}

/// List backups with details.
#[utoipa::path(get, path = "/v3/{project_id}/backups/detail", tag = "backups", operation_id = "list_backups_detail",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Backups with details")))]
async fn list_detail(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(&cinder, &caller, &headers, raw, version, true).await
}

/// Show a backup.
#[utoipa::path(get, path = "/v3/{project_id}/backups/{backup_id}", tag = "backups", operation_id = "show_backup",
    params(("project_id" = String, Path, description = "Project id"), ("backup_id" = String, Path, description = "Backup id")),
    responses((status = 200, description = "The backup"), (status = 404)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<Response> {
    let found = cinder.show_backup(&caller, &id).await?;
    let view = detail_of(&cinder, &caller, &headers, &found, version).await?;
    Ok(axum::Json(json!({"backup": view})).into_response())
}

/// Rename or describe a backup (3.9), or give it metadata (3.43).
#[utoipa::path(put, path = "/v3/{project_id}/backups/{backup_id}", tag = "backups", operation_id = "update_backup",
    params(("project_id" = String, Path, description = "Project id"), ("backup_id" = String, Path, description = "Backup id")),
    request_body(content = Object, content_type = "application/json", description = "{\"backup\": {\"name\", \"description\", \"metadata\" (3.43)}}"),
    responses((status = 200, description = "The backup (id, name, links)"), (status = 400), (status = 404)))]
async fn update(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    if version < ApiVersion::new(3, 9) {
        return Err(CinderError::NotFound(
            "The resource could not be found.".into(),
        ));
    }
    let (name, description, metadata) = bodies::update(&super::parse(&body)?, version)?;
    let updated = cinder
        .update_backup(&caller, &id, name, description, metadata)
        .await?;
    let view = summary(&super::base_url(&cinder, &headers), &updated);
    Ok(axum::Json(json!({"backup": view})).into_response())
}

/// Delete a backup.
#[utoipa::path(delete, path = "/v3/{project_id}/backups/{backup_id}", tag = "backups", operation_id = "delete_backup",
    params(("project_id" = String, Path, description = "Project id"), ("backup_id" = String, Path, description = "Backup id")),
    responses((status = 202, description = "Deleting"), (status = 400), (status = 404)))]
async fn delete(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    cinder.delete_backup(&caller, &id, false).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Restore a backup into a volume, or into a new one.
#[utoipa::path(post, path = "/v3/{project_id}/backups/{backup_id}/restore", tag = "backups", operation_id = "restore_backup",
    params(("project_id" = String, Path, description = "Project id"), ("backup_id" = String, Path, description = "Backup id")),
    request_body(content = Object, content_type = "application/json", description = "{\"restore\": {\"volume_id\", \"name\"}}"),
    responses((status = 202, description = "Restoring: backup_id, volume_id, volume_name"), (status = 400), (status = 404), (status = 413)))]
async fn restore(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let (volume_id, name) = bodies::restore(&super::parse(&body)?)?;
    let restored = cinder.restore_backup(&caller, &id, volume_id, name).await?;
    let view = json!({
        "backup_id": restored.backup_id,
        "volume_id": restored.volume_id,
        "volume_name": restored.volume_name,
    });
    Ok((StatusCode::ACCEPTED, axum::Json(json!({"restore": view}))).into_response())
}

/// Export a backup's record (admin).
#[utoipa::path(get, path = "/v3/{project_id}/backups/{backup_id}/export_record", tag = "backups", operation_id = "export_backup_record",
    params(("project_id" = String, Path, description = "Project id"), ("backup_id" = String, Path, description = "Backup id")),
    responses((status = 200, description = "backup_service and backup_url"), (status = 400), (status = 404)))]
async fn export_record(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<Response> {
    let (service, url) = cinder.export_backup_record(&caller, &id).await?;
    let record = json!({"backup_service": service, "backup_url": url});
    Ok(axum::Json(json!({"backup-record": record})).into_response())
}

/// Import an exported backup record (admin).
#[utoipa::path(post, path = "/v3/{project_id}/backups/import_record", tag = "backups", operation_id = "import_backup_record",
    params(("project_id" = String, Path, description = "Project id")),
    request_body(content = Object, content_type = "application/json", description = "{\"backup-record\": {\"backup_service\", \"backup_url\"}}"),
    responses((status = 201, description = "The backup (id, name, links)"), (status = 400), (status = 503)))]
async fn import_record(
    State(cinder): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let (service, url) = bodies::import_record(&super::parse(&body)?)?;
    let imported = cinder.import_backup_record(&caller, &service, &url).await?;
    // Cinder answers with the new row, before the record's fields are in.
    let view = summary(
        &super::base_url(&cinder, &headers),
        &backup::Model {
            name: None,
            ..imported
        },
    );
    Ok((StatusCode::CREATED, axum::Json(json!({"backup": view}))).into_response())
}

/// os-reset_status or os-force_delete (admin).
#[utoipa::path(post, path = "/v3/{project_id}/backups/{backup_id}/action", tag = "backups", operation_id = "backup_action",
    params(("project_id" = String, Path, description = "Project id"), ("backup_id" = String, Path, description = "Backup id")),
    request_body(content = Object, content_type = "application/json", description = "{\"os-reset_status\": {\"status\"}} or {\"os-force_delete\": {}}"),
    responses((status = 202, description = "Done"), (status = 400), (status = 403), (status = 404)))]
async fn action(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode> {
    match bodies::action(&super::parse(&body)?)? {
        bodies::Action::ResetStatus(status) => {
            cinder.reset_backup_status(&caller, &id, &status).await?
        }
        bodies::Action::ForceDelete => cinder.delete_backup(&caller, &id, true).await?,
    }
    Ok(StatusCode::ACCEPTED)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(list_detail))
        .routes(routes!(import_record))
        .routes(routes!(show, update, delete))
        .routes(routes!(restore))
        .routes(routes!(export_record))
        .routes(routes!(action))
}
