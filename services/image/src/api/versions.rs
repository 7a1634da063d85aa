//! Version discovery: `GET /` (300) and `GET /versions` (200), listing the v2.x
//! versions Glance lists with multiple stores enabled.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

/// `(id, status)` in upstream's order.
const VERSIONS: &[(&str, &str)] = &[
    ("v2.15", "SUPPORTED"),
    ("v2.13", "SUPPORTED"),
    ("v2.12", "SUPPORTED"),
    ("v2.11", "SUPPORTED"),
    ("v2.10", "SUPPORTED"),
    ("v2.9", "SUPPORTED"),
    ("v2.8", "SUPPORTED"),
    ("v2.17", "CURRENT"),
    ("v2.7", "SUPPORTED"),
    ("v2.6", "SUPPORTED"),
    ("v2.5", "SUPPORTED"),
    ("v2.4", "SUPPORTED"),
    ("v2.3", "SUPPORTED"),
    ("v2.2", "SUPPORTED"),
    ("v2.1", "SUPPORTED"),
    ("v2.0", "SUPPORTED"),
];

fn body(glance: &AppState, headers: &HeaderMap) -> Value {
    let base = ferrostack_api::base_url(headers, &glance.cfg.service);
    let href = format!("{base}/v2/");
    json!({"versions": VERSIONS.iter().map(|(id, status)| json!({
        "id": id,
        "status": status,
        "links": [{"rel": "self", "href": href}],
    })).collect::<Vec<_>>()})
}

/// List the image API versions.
///
/// Answers 300 Multiple Choices, as Glance does for the root.
#[utoipa::path(get, path = "/", tag = "versions", operation_id = "list_versions_root",
    responses((status = 300, description = "The available versions")), security(()))]
async fn root(State(glance): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    (
        StatusCode::MULTIPLE_CHOICES,
        axum::Json(body(&glance, &headers)),
    )
}

/// List the image API versions.
#[utoipa::path(get, path = "/versions", tag = "versions", operation_id = "list_versions",
    responses((status = 200, description = "The available versions")), security(()))]
async fn versions(State(glance): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    axum::Json(body(&glance, &headers))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(versions))
}
