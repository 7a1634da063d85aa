//! `/v2/images`: create, list, show, patch, delete, deactivate/reactivate and tags.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::render::{ImageList, ImageView};
use super::AppState;
use crate::domain::patch::{self, MEDIA_TYPE_V20, MEDIA_TYPE_V21};
use crate::domain::query::ListQuery;
use crate::domain::{Caller, ImageError, Result};

/// Parses a JSON request body as Glance does: empty → "Body expected", bad JSON
/// → "Malformed JSON".
pub fn json_body(body: &[u8]) -> Result<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ImageError::BadRequest("Body expected in request.".into()));
    }
    serde_json::from_slice(body)
        .map_err(|_| ImageError::BadRequest("Malformed JSON in request body.".into()))
}

/// The request's media type, without parameters.
pub fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// 415 for a media type the operation does not take.
pub fn unsupported(media: &str) -> ImageError {
    ImageError::UnsupportedMediaType(format!(
        "The request media type {media} is not supported by this server."
    ))
}

fn json(status: StatusCode, body: impl serde::Serialize) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Create an image.
#[utoipa::path(post, path = "/v2/images", tag = "images", operation_id = "create_image",
    request_body(content = Object, content_type = "application/json", description = "Image attributes and extra properties"),
    responses((status = 201, description = "The queued image"), (status = 400), (status = 403), (status = 409), (status = 413)))]
async fn create(
    State(glance): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let Value::Object(fields) = json_body(&body)? else {
        return Err(ImageError::BadRequest(
            "The request body must be a JSON object.".into(),
        ));
    };
    let image = glance.create_image(&caller, fields).await?;
    let base = ferrostack_api::base_url(&headers, &glance.cfg.service);
    let mut response = json(StatusCode::CREATED, ImageView::new(&image));
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("{base}/v2/images/{}", image.id)) {
        headers.insert(header::LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&glance.cfg.import_methods.join(",")) {
        headers.insert("openstack-image-import-methods", v);
    }
    let stores: Vec<&str> = glance.stores.all().map(|s| s.id()).collect();
    if let Ok(v) = HeaderValue::from_str(&stores.join(",")) {
        headers.insert("openstack-image-store-ids", v);
    }
    Ok(response)
}

/// List images.
///
/// Filters: name, status, visibility, owner, tag, member_status, os_hidden,
/// size_min/size_max, created_at/updated_at with operators, `in:` lists and extra
/// properties; sorting with `sort` or `sort_key`/`sort_dir`; marker/limit pages.
#[utoipa::path(get, path = "/v2/images", tag = "images", operation_id = "list_images",
    responses((status = 200, description = "A page of images"), (status = 400)))]
async fn list(
    State(glance): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|_| ImageError::BadRequest("Invalid query string.".into()))?;
    let query = ListQuery::parse(&pairs, glance.cfg.limit_default, glance.cfg.limit_max)?;
    let page = glance.list_images(&caller, &query).await?;
    let kept: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != "marker").collect();
    let encoded = serde_urlencoded::to_string(&kept).unwrap_or_default();
    let first = if encoded.is_empty() {
        "/v2/images".to_string()
    } else {
        format!("/v2/images?{encoded}")
    };
    let next = page.next_marker.as_ref().map(|marker| {
        let separator = if encoded.is_empty() { "?" } else { "&" };
        let marker = serde_urlencoded::to_string([("marker", marker)]).unwrap_or_default();
        format!("{first}{separator}{marker}")
    });
    Ok(json(
        StatusCode::OK,
        ImageList {
            images: page.images.iter().map(ImageView::new).collect(),
            first,
            next,
            schema: "/v2/schemas/images",
        },
    ))
}

/// Show an image.
#[utoipa::path(get, path = "/v2/images/{image_id}", tag = "images", operation_id = "show_image",
    params(("image_id" = String, Path, description = "Image id")),
    responses((status = 200, description = "The image"), (status = 404)))]
async fn show(
    State(glance): State<AppState>,
    caller: Caller,
    Path(image_id): Path<String>,
) -> Result<Response> {
    let image = glance.show_image(&caller, &image_id).await?;
    Ok(json(StatusCode::OK, ImageView::new(&image)))
}

/// Update an image with a JSON patch.
///
/// Media type `application/openstack-images-v2.1-json-patch` (or v2.0).
#[utoipa::path(patch, path = "/v2/images/{image_id}", tag = "images", operation_id = "update_image",
    request_body(content = Object, content_type = "application/openstack-images-v2.1-json-patch", description = "JSON patch operations"),
    params(("image_id" = String, Path, description = "Image id")),
    responses((status = 200, description = "The updated image"), (status = 400), (status = 403), (status = 404), (status = 409), (status = 415)))]
async fn update(
    State(glance): State<AppState>,
    caller: Caller,
    Path(image_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let media = media_type(&headers);
    if media != MEDIA_TYPE_V21 && media != MEDIA_TYPE_V20 {
        return Err(unsupported(&media));
    }
    let changes = patch::parse(&body, &media)?;
    let image = glance.update_image(&caller, &image_id, &changes).await?;
    Ok(json(StatusCode::OK, ImageView::new(&image)))
}

/// Delete an image and its data.
#[utoipa::path(delete, path = "/v2/images/{image_id}", tag = "images", operation_id = "delete_image",
    params(("image_id" = String, Path, description = "Image id")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete(
    State(glance): State<AppState>,
    caller: Caller,
    Path(image_id): Path<String>,
) -> Result<StatusCode> {
    glance.delete_image(&caller, &image_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deactivate an image: its data can no longer be downloaded by non-admins.
#[utoipa::path(post, path = "/v2/images/{image_id}/actions/deactivate", tag = "images", operation_id = "deactivate_image",
    params(("image_id" = String, Path, description = "Image id")),
    responses((status = 204, description = "Deactivated"), (status = 403), (status = 404)))]
async fn deactivate(
    State(glance): State<AppState>,
    caller: Caller,
    Path(image_id): Path<String>,
) -> Result<StatusCode> {
    glance.set_active(&caller, &image_id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reactivate a deactivated image.
#[utoipa::path(post, path = "/v2/images/{image_id}/actions/reactivate", tag = "images", operation_id = "reactivate_image",
    params(("image_id" = String, Path, description = "Image id")),
    responses((status = 204, description = "Reactivated"), (status = 403), (status = 404)))]
async fn reactivate(
    State(glance): State<AppState>,
    caller: Caller,
    Path(image_id): Path<String>,
) -> Result<StatusCode> {
    glance.set_active(&caller, &image_id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a tag to an image.
#[utoipa::path(put, path = "/v2/images/{image_id}/tags/{tag}", tag = "images", operation_id = "add_image_tag",
    params(("image_id" = String, Path, description = "Image id"), ("tag" = String, Path, description = "Tag")),
    responses((status = 204, description = "Tagged"), (status = 400), (status = 404), (status = 413)))]
async fn add_tag(
    State(glance): State<AppState>,
    caller: Caller,
    Path((image_id, tag)): Path<(String, String)>,
) -> Result<StatusCode> {
    glance.tag(&caller, &image_id, &tag, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a tag from an image.
#[utoipa::path(delete, path = "/v2/images/{image_id}/tags/{tag}", tag = "images", operation_id = "delete_image_tag",
    params(("image_id" = String, Path, description = "Image id"), ("tag" = String, Path, description = "Tag")),
    responses((status = 204, description = "Untagged"), (status = 404)))]
async fn delete_tag(
    State(glance): State<AppState>,
    caller: Caller,
    Path((image_id, tag)): Path<(String, String)>,
) -> Result<StatusCode> {
    glance.tag(&caller, &image_id, &tag, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, update, delete))
        .routes(routes!(deactivate))
        .routes(routes!(reactivate))
        .routes(routes!(add_tag, delete_tag))
}
