//! Version discovery: `GET /`, `GET /v2.1` and the legacy `GET /v2` (open,
//! unauthenticated).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, MICROVERSIONS};

fn v21(base: &str) -> Value {
    json!({
        "id": "v2.1",
        "status": "CURRENT",
        "version": MICROVERSIONS.max.to_string(),
        "min_version": MICROVERSIONS.min.to_string(),
        "updated": "2013-07-23T11:33:21Z",
        "links": [{"href": format!("{base}/v2.1/"), "rel": "self"}],
    })
}

/// The legacy v2 API: the v2.1 routes at 2.1, without microversions.
fn v20(base: &str) -> Value {
    json!({
        "id": "v2.0",
        "status": "SUPPORTED",
        "version": "",
        "min_version": "",
        "updated": "2011-01-21T11:33:21Z",
        "links": [{"href": format!("{base}/v2/"), "rel": "self"}],
    })
}

/// List the compute API versions: the legacy v2.0 and v2.1.
#[utoipa::path(get, path = "/", tag = "versions", operation_id = "list_versions",
    responses((status = 200, description = "The available versions")), security(()))]
async fn root(State(nova): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    let base = ferrostack_api::base_url(&headers, &nova.cfg.service);
    axum::Json(json!({"versions": [v20(&base), v21(&base)]}))
}

/// One version's document: its entry with the documentation link and media type.
fn show(nova: &AppState, headers: &HeaderMap, v2: bool) -> Value {
    let base = ferrostack_api::base_url(headers, &nova.cfg.service);
    let (mut version, path, media) = if v2 {
        (v20(&base), "v2", "2")
    } else {
        (v21(&base), "v2.1", "2.1")
    };
    version["links"] = json!([
        {"href": format!("{base}/{path}/"), "rel": "self"},
        {"href": "http://docs.openstack.org/", "rel": "describedby", "type": "text/html"},
    ]);
    version["media-types"] = json!([{
        "base": "application/json",
        "type": format!("application/vnd.openstack.compute+json;version={media}"),
    }]);
    json!({"version": version})
}

/// Show the legacy v2.0 API version.
#[utoipa::path(get, path = "/v2/", tag = "versions", operation_id = "show_version_v2",
    responses((status = 200, description = "The v2.0 version document")), security(()))]
async fn v2_slash(State(nova): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    axum::Json(show(&nova, &headers, true))
}

/// Show the legacy v2.0 API version (without the trailing slash).
#[utoipa::path(get, path = "/v2", tag = "versions", operation_id = "show_version_v2_bare",
    responses((status = 200, description = "The v2.0 version document")), security(()))]
async fn v2_bare(State(nova): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    axum::Json(show(&nova, &headers, true))
}

/// Show the v2.1 API version and its microversion range.
#[utoipa::path(get, path = "/v2.1/", tag = "versions", operation_id = "show_version_v21",
    responses((status = 200, description = "The v2.1 version document")), security(()))]
async fn v21_slash(State(nova): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    axum::Json(show(&nova, &headers, false))
}

/// Show the v2.1 API version (without the trailing slash, as clients discover it).
#[utoipa::path(get, path = "/v2.1", tag = "versions", operation_id = "show_version_v21_bare",
    responses((status = 200, description = "The v2.1 version document")), security(()))]
async fn v21_bare(State(nova): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    axum::Json(show(&nova, &headers, false))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(v21_slash))
        .routes(routes!(v21_bare))
        .routes(routes!(v2_slash))
        .routes(routes!(v2_bare))
}
