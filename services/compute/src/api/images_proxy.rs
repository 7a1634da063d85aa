//! The deprecated image proxy, up to 2.35: `/images` (list, detail, show,
//! delete) and `/images/{id}/metadata`, answered from the image API on the
//! caller's token in Nova's views (status and progress from Glance's status,
//! the custom properties as metadata, the server a snapshot was made of).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use ferrostack_auth::image_api::ImageApiError;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::server_body::metadata;
use super::{base_url, gone_after, parse, AppState};
use crate::domain::{Caller, NovaError, Result};

/// The last version with the proxy.
const LAST: u16 = 35;

/// Glance's own fields; every other one is a property (Nova's metadata).
const CORE: &[&str] = &[
    "id",
    "name",
    "status",
    "container_format",
    "disk_format",
    "visibility",
    "size",
    "virtual_size",
    "checksum",
    "protected",
    "min_ram",
    "min_disk",
    "owner",
    "os_hidden",
    "os_hash_algo",
    "os_hash_value",
    "created_at",
    "updated_at",
    "tags",
    "self",
    "file",
    "schema",
    "direct_url",
    "locations",
    "stores",
];

fn image_error(e: ImageApiError) -> NovaError {
    match e {
        ImageApiError::NotFound => NovaError::NotFound("Image not found.".into()),
        ImageApiError::Unavailable(_) => NovaError::Unavailable(e.to_string()),
        other => NovaError::BadRequest(other.to_string()),
    }
}

/// An image's properties.
fn properties(image: &Value) -> BTreeMap<String, String> {
    image
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .filter(|(k, _)| !CORE.contains(&k.as_str()) && !k.starts_with("os_glance"))
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn links(base: &str, id: &str) -> Value {
    json!([
        {"rel": "self", "href": format!("{base}/v2.1/images/{id}")},
        {"rel": "bookmark", "href": format!("{base}/images/{id}")},
    ])
}

/// Nova's status and progress of a Glance status.
fn status(glance: &str) -> (&'static str, i64) {
    match glance {
        "active" => ("ACTIVE", 100),
        "saving" => ("SAVING", 50),
        "queued" | "importing" | "uploading" => ("SAVING", 25),
        "deleted" | "pending_delete" => ("DELETED", 0),
        "killed" => ("ERROR", 0),
        _ => ("UNKNOWN", 0),
    }
}

fn detail(base: &str, image: &Value) -> Value {
    let id = image["id"].as_str().unwrap_or_default();
    let (state, progress) = status(image["status"].as_str().unwrap_or_default());
    let props = properties(image);
    let mut view = Map::new();
    view.insert("id".into(), json!(id));
    view.insert("name".into(), image["name"].clone());
    view.insert(
        "minRam".into(),
        json!(image["min_ram"].as_i64().unwrap_or(0)),
    );
    view.insert(
        "minDisk".into(),
        json!(image["min_disk"].as_i64().unwrap_or(0)),
    );
    view.insert("created".into(), image["created_at"].clone());
    view.insert("updated".into(), image["updated_at"].clone());
    view.insert("status".into(), json!(state));
    view.insert("progress".into(), json!(progress));
    view.insert("OS-EXT-IMG-SIZE:size".into(), image["size"].clone());
    view.insert("links".into(), links(base, id));
    if let Some(server) = props.get("instance_uuid") {
        view.insert(
            "server".into(),
            json!({"id": server, "links": [
                {"rel": "self", "href": format!("{base}/v2.1/servers/{server}")},
                {"rel": "bookmark", "href": format!("{base}/servers/{server}")}]}),
        );
    }
    view.insert("metadata".into(), json!(props));
    Value::Object(view)
}

/// The images matching Nova's filters, as Glance lists them for the caller.
async fn matching(nova: &AppState, caller: &Caller, query: &Query) -> Result<Vec<Value>> {
    let mut glance: Vec<(&str, String)> = Vec::new();
    for (from, to) in [("name", "name"), ("marker", "marker"), ("limit", "limit")] {
        if let Some(value) = query.get(from) {
            glance.push((to, value.to_string()));
        }
    }
    if let Some(status) = query.get("status") {
        glance.push(("status", status.to_ascii_lowercase()));
    }
    let encoded = serde_urlencoded::to_string(&glance).unwrap_or_default();
    let found = nova
        .images
        .list(&caller.ctx.token.0, &encoded)
        .await
        .map_err(image_error)?;
    let number = |name: &str| query.get(name).and_then(|v| v.parse::<i64>().ok());
    let (min_ram, min_disk) = (number("minRam"), number("minDisk"));
    let server = query
        .get("server")
        .map(|s| s.rsplit('/').next().unwrap_or(s).to_string());
    let kind = query.get("type");
    let since = query.get("changes-since");
    Ok(found["images"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|image| {
            let props = properties(image);
            min_ram.is_none_or(|m| image["min_ram"].as_i64().unwrap_or(0) >= m)
                && min_disk.is_none_or(|m| image["min_disk"].as_i64().unwrap_or(0) >= m)
                && server
                    .as_ref()
                    .is_none_or(|s| props.get("instance_uuid") == Some(s))
                && kind.is_none_or(|k| props.get("image_type").map(String::as_str) == Some(k))
                && since.is_none_or(|t| image["updated_at"].as_str().unwrap_or_default() >= t)
        })
        .collect())
}

/// List images (proxied, to 2.35).
#[utoipa::path(get, path = "/v2.1/images", tag = "images", operation_id = "list_proxied_images",
    responses((status = 200, description = "Images"), (status = 400), (status = 404)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let base = base_url(&nova, &headers);
    let query = Query::parse(raw.as_deref())?;
    let items: Vec<Value> = matching(&nova, &caller, &query)
        .await?
        .iter()
        .map(|i| {
            let id = i["id"].as_str().unwrap_or_default();
            json!({"id": id, "name": i["name"], "links": links(&base, id)})
        })
        .collect();
    Ok(axum::Json(json!({"images": items})).into_response())
}

/// List images with details (proxied, to 2.35).
#[utoipa::path(get, path = "/v2.1/images/detail", tag = "images", operation_id = "list_proxied_images_detail",
    responses((status = 200, description = "Images"), (status = 400), (status = 404)))]
async fn list_detail(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let base = base_url(&nova, &headers);
    let query = Query::parse(raw.as_deref())?;
    let items: Vec<Value> = matching(&nova, &caller, &query)
        .await?
        .iter()
        .map(|i| detail(&base, i))
        .collect();
    Ok(axum::Json(json!({"images": items})).into_response())
}

async fn image(nova: &AppState, caller: &Caller, id: &str) -> Result<Value> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(NovaError::NotFound("Image not found.".into()));
    }
    nova.images
        .find(&caller.ctx.token.0, id)
        .await
        .map_err(image_error)
}

/// Show an image (proxied, to 2.35).
#[utoipa::path(get, path = "/v2.1/images/{id}", tag = "images", operation_id = "show_proxied_image",
    params(("id" = String, Path)), responses((status = 200, description = "The image"), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let found = image(&nova, &caller, &id).await?;
    Ok(axum::Json(json!({"image": detail(&base_url(&nova, &headers), &found)})).into_response())
}

/// Delete an image (proxied, to 2.35).
#[utoipa::path(delete, path = "/v2.1/images/{id}", tag = "images", operation_id = "delete_proxied_image",
    params(("id" = String, Path)), responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    image(&nova, &caller, &id).await?;
    nova.images
        .remove(&caller.ctx.token.0, &id)
        .await
        .map_err(|e| match e {
            ImageApiError::Refused(_) => {
                NovaError::Forbidden("You are not allowed to delete the image.".into())
            }
            other => image_error(other),
        })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Sets the image's properties to `wanted`: changed and new ones set, the
/// others (when `replace`) removed; the properties after.
async fn write_metadata(
    nova: &AppState,
    caller: &Caller,
    id: &str,
    wanted: BTreeMap<String, String>,
    replace: bool,
) -> Result<BTreeMap<String, String>> {
    let current = properties(&image(nova, caller, id).await?);
    let mut after = if replace {
        BTreeMap::new()
    } else {
        current.clone()
    };
    after.extend(wanted);
    let allowed = nova.project_limits(&nova.db, caller.project()).await?["metadata_items"];
    if allowed >= 0 && after.len() as i64 > allowed {
        return Err(NovaError::OverQuota("Image metadata limit exceeded".into()));
    }
    let mut ops: Vec<Value> = after
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(*v))
        .map(|(k, v)| json!({"op": "add", "path": format!("/{k}"), "value": v}))
        .collect();
    ops.extend(
        current
            .keys()
            .filter(|k| !after.contains_key(*k))
            .map(|k| json!({"op": "remove", "path": format!("/{k}")})),
    );
    if ops.is_empty() {
        return Ok(after);
    }
    let changed = nova
        .images
        .patch(&caller.ctx.token.0, id, &json!(ops))
        .await
        .map_err(|e| match e {
            ImageApiError::Refused(m) => NovaError::Forbidden(m),
            other => image_error(other),
        })?;
    Ok(properties(&changed))
}

fn metadata_body(body: &[u8]) -> Result<BTreeMap<String, String>> {
    let body: Value = parse(body)?;
    let items = body
        .get("metadata")
        .ok_or_else(|| NovaError::BadRequest("'metadata' is a required property".into()))?;
    metadata("metadata", items)
}

/// An image's metadata (proxied, to 2.35).
#[utoipa::path(get, path = "/v2.1/images/{id}/metadata", tag = "images", operation_id = "list_proxied_image_metadata",
    params(("id" = String, Path)), responses((status = 200, description = "Metadata"), (status = 404)))]
async fn list_metadata(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let found = image(&nova, &caller, &id).await?;
    Ok(axum::Json(json!({"metadata": properties(&found)})).into_response())
}

/// Add or change image metadata (proxied, to 2.35).
#[utoipa::path(post, path = "/v2.1/images/{id}/metadata", tag = "images", operation_id = "update_proxied_image_metadata",
    params(("id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"metadata\": {...}}"),
    responses((status = 200, description = "Metadata"), (status = 400), (status = 403), (status = 404)))]
async fn merge_metadata(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let wanted = metadata_body(&body)?;
    let all = write_metadata(&nova, &caller, &id, wanted, false).await?;
    Ok(axum::Json(json!({"metadata": all})).into_response())
}

/// Replace image metadata (proxied, to 2.35).
#[utoipa::path(put, path = "/v2.1/images/{id}/metadata", tag = "images", operation_id = "replace_proxied_image_metadata",
    params(("id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"metadata\": {...}}"),
    responses((status = 200, description = "Metadata"), (status = 400), (status = 403), (status = 404)))]
async fn replace_metadata(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let wanted = metadata_body(&body)?;
    let all = write_metadata(&nova, &caller, &id, wanted, true).await?;
    Ok(axum::Json(json!({"metadata": all})).into_response())
}

/// One image metadata item (proxied, to 2.35).
#[utoipa::path(get, path = "/v2.1/images/{id}/metadata/{key}", tag = "images", operation_id = "show_proxied_image_metadata_item",
    params(("id" = String, Path), ("key" = String, Path)), responses((status = 200, description = "The item"), (status = 404)))]
async fn show_item(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((id, key)): Path<(String, String)>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let props = properties(&image(&nova, &caller, &id).await?);
    let value = props
        .get(&key)
        .ok_or_else(|| NovaError::NotFound("Invalid metadata key".into()))?;
    Ok(axum::Json(json!({"meta": {key: value}})).into_response())
}

/// Set one image metadata item (proxied, to 2.35).
#[utoipa::path(put, path = "/v2.1/images/{id}/metadata/{key}", tag = "images", operation_id = "set_proxied_image_metadata_item",
    params(("id" = String, Path), ("key" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"meta\": {\"<key>\": \"<value>\"}}"),
    responses((status = 200, description = "The item"), (status = 400), (status = 403), (status = 404)))]
async fn set_item(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((id, key)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    gone_after(version, LAST)?;
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
    write_metadata(&nova, &caller, &id, items, false).await?;
    Ok(axum::Json(json!({"meta": {key: value}})).into_response())
}

/// Delete one image metadata item (proxied, to 2.35).
#[utoipa::path(delete, path = "/v2.1/images/{id}/metadata/{key}", tag = "images", operation_id = "delete_proxied_image_metadata_item",
    params(("id" = String, Path), ("key" = String, Path)), responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete_item(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((id, key)): Path<(String, String)>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let mut props = properties(&image(&nova, &caller, &id).await?);
    if props.remove(&key).is_none() {
        return Err(NovaError::NotFound("Invalid metadata key".into()));
    }
    write_metadata(&nova, &caller, &id, props, true).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(list_detail))
        .routes(routes!(show, delete))
        .routes(routes!(list_metadata, merge_metadata, replace_metadata))
        .routes(routes!(show_item, set_item, delete_item))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glance_images_read_as_novas() {
        let glance = json!({"id": "i", "name": "snap", "status": "saving", "min_ram": 64,
            "min_disk": 1, "size": 5, "created_at": "c", "updated_at": "u", "visibility": "private",
            "instance_uuid": "s", "image_type": "snapshot", "os_hash_algo": "sha512"});
        let view = detail("http://h", &glance);
        assert_eq!(
            (view["status"].clone(), view["progress"].clone()),
            (json!("SAVING"), json!(50))
        );
        assert_eq!(view["minRam"], 64);
        assert_eq!(view["server"]["id"], "s");
        assert_eq!(
            view["metadata"],
            json!({"instance_uuid": "s", "image_type": "snapshot"})
        );
        assert_eq!(status("killed"), ("ERROR", 0));
    }
}
