use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::AppState;

/// The identity API version this service implements.
const VERSION: &str = "v3.14";
const UPDATED: &str = "2020-04-07T00:00:00Z";

fn version(identity: &AppState, headers: &HeaderMap) -> Value {
    let base = ferrostack_api::base_url(headers, identity.cfg.public_endpoint.as_deref());
    json!({
        "id": VERSION,
        "status": "stable",
        "updated": UPDATED,
        "links": [{"rel": "self", "href": format!("{base}/v3/")}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
    })
}

/// `GET /`: 300 Multiple Choices listing v3.
async fn versions(State(identity): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    let body = json!({"versions": {"values": [version(&identity, &headers)]}});
    (StatusCode::MULTIPLE_CHOICES, axum::Json(body))
}

/// `GET /v3`.
async fn v3(State(identity): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    axum::Json(json!({"version": version(&identity, &headers)}))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(versions))
        .route("/v3", get(v3))
        .route("/v3/", get(v3))
}
