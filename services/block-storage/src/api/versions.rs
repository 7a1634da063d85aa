//! Version discovery: `GET /` (300) and `GET /v3/` (200).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

fn body(cinder: &AppState, headers: &HeaderMap) -> Value {
    let base = ferrostack_api::base_url(headers, &cinder.cfg.service);
    json!({"versions": [{
        "id": "v3.0",
        "status": "CURRENT",
        "version": super::MICROVERSIONS.max.to_string(),
        "min_version": super::MICROVERSIONS.min.to_string(),
        "updated": "2023-08-31T00:00:00Z",
        "links": [
            {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
            {"rel": "self", "href": format!("{base}/v3/")},
        ],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}],
    }]})
}

/// List the block-storage API versions.
#[utoipa::path(get, path = "/", tag = "versions", operation_id = "list_versions",
    responses((status = 300, description = "The available versions")), security(()))]
async fn root(State(cinder): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    (
        StatusCode::MULTIPLE_CHOICES,
        axum::Json(body(&cinder, &headers)),
    )
}

/// Show the v3 API version and its microversion range.
#[utoipa::path(get, path = "/v3/", tag = "versions", operation_id = "show_version_v3",
    responses((status = 200, description = "The v3 version document")))]
async fn v3(State(cinder): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    axum::Json(body(&cinder, &headers))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(root))
}

/// Show the v3 API version (without the trailing slash, as clients discover it).
#[utoipa::path(get, path = "/v3", tag = "versions", operation_id = "show_version_v3_bare",
    responses((status = 200, description = "The v3 version document")))]
async fn v3_bare(State(cinder): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    axum::Json(body(&cinder, &headers))
}

pub fn v3_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(v3))
        .routes(routes!(v3_bare))
}
