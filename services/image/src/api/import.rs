//! Interoperable import: `PUT /v2/images/{id}/stage` and `POST /v2/images/{id}/import`.

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::images::{json_body, media_type, unsupported};
use super::AppState;
use crate::domain::{Caller, Result};

/// Stage image data for a later `glance-direct` import.
#[utoipa::path(put, path = "/v2/images/{image_id}/stage", tag = "import", operation_id = "stage_image_data",
    params(("image_id" = String, Path, description = "Image id")),
    responses((status = 204, description = "Staged"), (status = 404), (status = 409), (status = 413), (status = 415)))]
async fn stage(
    State(glance): State<AppState>,
    caller: Caller,
    Path(image_id): Path<String>,
    request: Request,
) -> Result<StatusCode> {
    let media = media_type(request.headers());
    if media != "application/octet-stream" {
        return Err(unsupported(&media));
    }
    let body = request.into_body().into_data_stream();
    glance.stage(&caller, &image_id, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Import image data (`glance-direct`, `web-download` or `copy-image`).
#[utoipa::path(post, path = "/v2/images/{image_id}/import", tag = "import", operation_id = "import_image",
    request_body(content = Object, content_type = "application/json", description = "The import method and target stores"),
    params(("image_id" = String, Path, description = "Image id")),
    responses((status = 202, description = "Import started"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn import(
    State(glance): State<AppState>,
    caller: Caller,
    Path(image_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    let body = json_body(&body)?;
    let store = headers
        .get("x-image-meta-store")
        .and_then(|v| v.to_str().ok());
    glance.import(&caller, &image_id, &body, store).await?;
    Ok(StatusCode::ACCEPTED)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(stage))
        .routes(routes!(import))
}
