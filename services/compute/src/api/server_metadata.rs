//! `/v2.1/servers/{id}/metadata` and `/v2.1/servers/{id}/tags` (2.26).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::server_body::{metadata, tags};
use super::{parse, AppState};
use crate::domain::servers::MetadataWrite;
use crate::domain::{Caller, NovaError, Result};

/// The `metadata` object of a body.
fn metadata_body(body: &[u8]) -> Result<std::collections::BTreeMap<String, String>> {
    let body: Value = parse(body)?;
    let items = body
        .get("metadata")
        .ok_or_else(|| NovaError::BadRequest("'metadata' is a required property".into()))?;
    metadata("metadata", items)
}

/// List a server's metadata.
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/metadata", tag = "servers",
    operation_id = "list_server_metadata", params(("server_id" = String, Path)),
    responses((status = 200, description = "Metadata"), (status = 404)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let items = nova.server_metadata(&caller, &id).await?;
    Ok(axum::Json(json!({"metadata": items})).into_response())
}

/// Add or overwrite metadata items.
#[utoipa::path(post, path = "/v2.1/servers/{server_id}/metadata", tag = "servers",
    operation_id = "update_server_metadata", params(("server_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"metadata\": {...}}"),
    responses((status = 200, description = "Metadata"), (status = 400), (status = 404), (status = 409)))]
async fn merge(
    State(nova): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let items = metadata_body(&body)?;
    let all = nova
        .write_server_metadata(&caller, &id, items, MetadataWrite::Merge)
        .await?;
    Ok(axum::Json(json!({"metadata": all})).into_response())
}

/// Replace all metadata.
#[utoipa::path(put, path = "/v2.1/servers/{server_id}/metadata", tag = "servers",
    operation_id = "replace_server_metadata", params(("server_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"metadata\": {...}}"),
    responses((status = 200, description = "Metadata"), (status = 400), (status = 404), (status = 409)))]
async fn replace(
    State(nova): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let items = metadata_body(&body)?;
    let all = nova
        .write_server_metadata(&caller, &id, items, MetadataWrite::Replace)
        .await?;
    Ok(axum::Json(json!({"metadata": all})).into_response())
}

/// Show one metadata item.
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/metadata/{key}", tag = "servers",
    operation_id = "show_server_metadata_item", params(("server_id" = String, Path), ("key" = String, Path)),
    responses((status = 200, description = "The item"), (status = 404)))]
async fn show_item(
    State(nova): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
) -> Result<Response> {
    let value = nova.server_metadata_item(&caller, &id, &key).await?;
    Ok(axum::Json(json!({"meta": {key: value}})).into_response())
}

/// Set one metadata item.
#[utoipa::path(put, path = "/v2.1/servers/{server_id}/metadata/{key}", tag = "servers",
    operation_id = "set_server_metadata_item", params(("server_id" = String, Path), ("key" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"meta\": {\"<key>\": \"<value>\"}}"),
    responses((status = 200, description = "The item"), (status = 400), (status = 404), (status = 409)))]
async fn set_item(
    State(nova): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    let meta = body
        .get("meta")
        .ok_or_else(|| NovaError::BadRequest("'meta' is a required property".into()))?;
    let items = metadata("meta", meta)?;
    if items.len() > 1 {
        return Err(NovaError::BadRequest(
            "Request body contains too many items".into(),
        ));
    }
    let Some(value) = items.get(&key).cloned() else {
        return Err(NovaError::BadRequest(
            "Request body and URI mismatch".into(),
        ));
    };
    nova.write_server_metadata(&caller, &id, items, MetadataWrite::Item)
        .await?;
    Ok(axum::Json(json!({"meta": {key: value}})).into_response())
}

/// Delete one metadata item.
#[utoipa::path(delete, path = "/v2.1/servers/{server_id}/metadata/{key}", tag = "servers",
    operation_id = "delete_server_metadata_item", params(("server_id" = String, Path), ("key" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404), (status = 409)))]
async fn delete_item(
    State(nova): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
) -> Result<StatusCode> {
    nova.delete_server_metadata_item(&caller, &id, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn tags_version(version: ApiVersion) -> Result<()> {
    super::added_in(version, 26)
}

/// List a server's tags (2.26).
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/tags", tag = "servers",
    operation_id = "list_server_tags", params(("server_id" = String, Path)),
    responses((status = 200, description = "Tags"), (status = 404)))]
async fn list_tags(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    tags_version(version)?;
    let tags = nova.server_tags(&caller, &id).await?;
    Ok(axum::Json(json!({"tags": tags})).into_response())
}

/// Replace a server's tags (2.26).
#[utoipa::path(put, path = "/v2.1/servers/{server_id}/tags", tag = "servers",
    operation_id = "replace_server_tags", params(("server_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"tags\": [...]}"),
    responses((status = 200, description = "Tags"), (status = 400), (status = 404), (status = 409)))]
async fn replace_tags(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    tags_version(version)?;
    let body: Value = parse(&body)?;
    let list = body
        .get("tags")
        .ok_or_else(|| NovaError::BadRequest("'tags' is a required property".into()))?;
    let tags = nova
        .replace_server_tags(&caller, &id, tags(list)?.into_iter().collect())
        .await?;
    Ok(axum::Json(json!({"tags": tags})).into_response())
}

/// Delete every tag of a server (2.26).
#[utoipa::path(delete, path = "/v2.1/servers/{server_id}/tags", tag = "servers",
    operation_id = "delete_server_tags", params(("server_id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404), (status = 409)))]
async fn delete_tags(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    tags_version(version)?;
    nova.delete_server_tags(&caller, &id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether a server has a tag (2.26).
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/tags/{tag}", tag = "servers",
    operation_id = "check_server_tag", params(("server_id" = String, Path), ("tag" = String, Path)),
    responses((status = 204, description = "It has"), (status = 404)))]
async fn check_tag(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((id, tag)): Path<(String, String)>,
) -> Result<StatusCode> {
    tags_version(version)?;
    nova.check_server_tag(&caller, &id, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a tag (2.26): 201 when new, 204 when the server had it.
#[utoipa::path(put, path = "/v2.1/servers/{server_id}/tags/{tag}", tag = "servers",
    operation_id = "add_server_tag", params(("server_id" = String, Path), ("tag" = String, Path)),
    responses((status = 201, description = "Added"), (status = 204, description = "Already there"), (status = 400), (status = 404), (status = 409)))]
async fn add_tag(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    Path((id, tag)): Path<(String, String)>,
) -> Result<Response> {
    tags_version(version)?;
    tags(&json!([tag]))?;
    if !nova.add_server_tag(&caller, &id, &tag).await? {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let base = super::base_url(&nova, &headers);
    let location = format!("{base}/v2.1/servers/{id}/tags/{tag}");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

/// Delete one tag (2.26).
#[utoipa::path(delete, path = "/v2.1/servers/{server_id}/tags/{tag}", tag = "servers",
    operation_id = "delete_server_tag", params(("server_id" = String, Path), ("tag" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404), (status = 409)))]
async fn delete_tag(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((id, tag)): Path<(String, String)>,
) -> Result<StatusCode> {
    tags_version(version)?;
    nova.delete_server_tags(&caller, &id, Some(&tag)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, merge, replace))
        .routes(routes!(show_item, set_item, delete_item))
        .routes(routes!(list_tags, replace_tags, delete_tags))
        .routes(routes!(check_tag, add_tag, delete_tag))
}
