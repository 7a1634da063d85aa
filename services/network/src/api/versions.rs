//! Version discovery: `GET /` (open) and `GET /v2.0/`, the resources the API
//! serves.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::domain::Caller;

/// List the network API versions (only v2.0).
#[utoipa::path(get, path = "/", tag = "versions", operation_id = "list_versions",
    responses((status = 200, description = "The available versions")), security(()))]
async fn root(State(neutron): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    let base = super::base_url(&neutron, &headers);
    axum::Json(json!({"versions": [{
        "id": "v2.0",
        "status": "CURRENT",
        "links": [{"rel": "self", "href": format!("{base}/v2.0/")}],
    }]}))
}

/// List the v2.0 API's core resources.
#[utoipa::path(get, path = "/v2.0/", tag = "versions", operation_id = "show_version_v2",
    responses((status = 200, description = "The v2.0 resources")))]
async fn v2(
    State(neutron): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
) -> impl IntoResponse {
    let base = super::base_url(&neutron, &headers);
    let resources: Vec<_> = [
        ("network", "networks"),
        ("subnet", "subnets"),
        ("port", "ports"),
    ]
    .iter()
    .map(|(name, collection)| {
        json!({
            "name": name,
            "collection": collection,
            "links": [{"rel": "self", "href": format!("{base}/v2.0/{collection}")}],
        })
    })
    .collect();
    axum::Json(json!({"resources": resources}))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(root))
}

pub fn resources() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(v2))
}
