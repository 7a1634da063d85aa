//! `/v2/images/{id}/file`: upload (streamed, sized or chunked) and download (with
//! a single byte range).

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::images::{media_type, unsupported};
use super::AppState;
use crate::domain::data::ByteRange;
use crate::domain::{Caller, Result};

/// Upload the image data.
///
/// `application/octet-stream`, sized or chunked; `X-Image-Meta-Store` names the
/// store. The image goes queued → saving → active.
#[utoipa::path(put, path = "/v2/images/{image_id}/file", tag = "image data", operation_id = "upload_image_data",
    params(("image_id" = String, Path, description = "Image id")),
    responses((status = 204, description = "Stored"), (status = 400), (status = 403), (status = 404), (status = 409), (status = 413), (status = 415)))]
async fn upload(
    State(glance): State<AppState>,
    caller: Caller,
    Path(image_id): Path<String>,
    request: Request,
) -> Result<StatusCode> {
    let media = media_type(request.headers());
    if media != "application/octet-stream" {
        return Err(unsupported(&media));
    }
    let store = request
        .headers()
        .get("x-image-meta-store")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = request.into_body().into_data_stream();
    glance
        .upload(&caller, &image_id, store.as_deref(), body)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Download the image data.
///
/// 200 with the data, 206 for a `Range` (or legacy `Content-Range`) request, 204
/// when the image has no data.
#[utoipa::path(get, path = "/v2/images/{image_id}/file", tag = "image data", operation_id = "download_image_data",
    params(("image_id" = String, Path, description = "Image id")),
    responses((status = 200, description = "The data"), (status = 204, description = "No data"), (status = 206, description = "A range of the data"), (status = 403), (status = 404), (status = 416)))]
async fn download(
    State(glance): State<AppState>,
    caller: Caller,
    Path(image_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let requested = headers
        .get(header::RANGE)
        .or_else(|| headers.get(header::CONTENT_RANGE))
        .and_then(|v| v.to_str().ok());
    let range = requested.map(ByteRange::parse).transpose()?;
    let Some(download) = glance.download(&caller, &image_id, range).await? else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let size = download.image.size.unwrap_or_default().max(0) as u64;
    let (status, length) = match download.range {
        Some((first, last)) => (StatusCode::PARTIAL_CONTENT, last - first + 1),
        None => (StatusCode::OK, size),
    };
    // hyper stops reading the stream once Content-Length bytes went out, so
    // `image.send` is emitted when the last byte is handed over.
    let mut sent = 0u64;
    let mut pending = Some((glance.clone(), download.image.clone(), caller));
    let stream = download.stream.inspect(move |chunk| {
        if let Ok(chunk) = chunk {
            sent += chunk.len() as u64;
            if sent >= length {
                if let Some((glance, image, caller)) = pending.take() {
                    glance.notifier.image_sent(
                        &image,
                        &caller.ctx.user_id,
                        caller.ctx.project_id.as_deref(),
                        sent,
                    );
                }
            }
        }
    });
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Some(md5) = download.image.checksum.as_deref() {
        if let Ok(v) = HeaderValue::from_str(md5) {
            h.insert("content-md5", v);
        }
    }
    if let Some((first, last)) = download.range {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {first}-{last}/{size}")) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(response)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload, download))
}
