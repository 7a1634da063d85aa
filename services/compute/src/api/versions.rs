//! Version discovery: `GET /` and `GET /v2.1` (open, unauthenticated).

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

/// List the compute API versions (only v2.1 is served).
#[utoipa::path(get, path = "/", tag = "versions", operation_id = "list_versions",
    responses((status = 200, description = "The available versions")), security(()))]
async fn root(State(nova): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    let base = ferrostack_api::base_url(&headers, &nova.cfg.service);
    axum::Json(json!({"versions": [v21(&base)]}))
}

fn show(nova: &AppState, headers: &HeaderMap) -> Value {
    let base = ferrostack_api::base_url(headers, &nova.cfg.service);
    let mut version = v21(&base);
    version["links"] = json!([
        {"href": format!("{base}/v2.1/"), "rel": "self"},
        {"href": "http://docs.openstack.org/", "rel": "describedby", "type": "text/html"},
    ]);
    version["media-types"] = json!([{
        "base": "application/json",
        "type": "application/vnd.openstack.compute+json;version=2.1",
    }]);
    json!({"version": version})
}

/// Show the v2.1 API version and its microversion range.
#[utoipa::path(get, path = "/v2.1/", tag = "versions", operation_id = "show_version_v21",
    responses((status = 200, description = "The v2.1 version document")), security(()))]
async fn v21_slash(State(nova): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    axum::Json(show(&nova, &headers))
}

/// Show the v2.1 API version (without the trailing slash, as clients discover it).
#[utoipa::path(get, path = "/v2.1", tag = "versions", operation_id = "show_version_v21_bare",
    responses((status = 200, description = "The v2.1 version document")), security(()))]
async fn v21_bare(State(nova): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    axum::Json(show(&nova, &headers))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(v21_slash))
        .routes(routes!(v21_bare))
}
