use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

/// The identity API version this service implements.
const VERSION: &str = "v3.14";
const UPDATED: &str = "2020-04-07T00:00:00Z";

fn version(identity: &AppState, headers: &HeaderMap) -> Value {
    let base = ferrostack_api::base_url(headers, identity.cfg.service.public_endpoint.as_deref());
    json!({
        "id": VERSION,
        "status": "stable",
        "updated": UPDATED,
        "links": [{"rel": "self", "href": format!("{base}/v3/")}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
    })
}

/// List the identity API versions.
///
/// Answers 300 Multiple Choices with the one version served, v3.
#[utoipa::path(
    get,
    path = "/",
    tag = "discovery",
    operation_id = "list_versions",
    responses(
        (status = 300, description = "The available versions"),
    ),
    security(()),
)]
async fn versions(State(identity): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    let body = json!({"versions": {"values": [version(&identity, &headers)]}});
    (StatusCode::MULTIPLE_CHOICES, axum::Json(body))
}

/// Show the v3 API version.
#[utoipa::path(
    get,
    path = "/v3",
    tag = "discovery",
    operation_id = "get_version_v3",
    responses(
        (status = 200, description = "The v3 version document"),
    ),
    security(()),
)]
async fn v3(State(identity): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    axum::Json(json!({"version": version(&identity, &headers)}))
}

/// Show the v3 API version (trailing slash).
#[utoipa::path(
    get,
    path = "/v3/",
    tag = "discovery",
    operation_id = "get_version_v3_slash",
    responses((status = 200, description = "The v3 version document")),
    security(()),
)]
async fn v3_slash(state: State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    v3(state, headers).await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(versions))
        .routes(routes!(v3))
        .routes(routes!(v3_slash))
}
