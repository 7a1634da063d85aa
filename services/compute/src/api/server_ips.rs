//! `/v2.1/servers/{id}/ips`: a server's addresses by network, and one
//! network's (Nova's `ips` API: version and address only).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::domain::servers::networks::Vif;
use crate::domain::{Caller, NovaError, Result};

/// Each network's addresses: fixed, then floating, version and address only.
fn by_network(vifs: &[Vif]) -> Map<String, Value> {
    match crate::domain::servers::networks::addresses(vifs, false) {
        Value::Object(networks) => networks,
        _ => Map::new(),
    }
}

/// List a server's IP addresses.
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/ips", tag = "servers", operation_id = "list_server_ips",
    params(("server_id" = String, Path, description = "Server id")),
    responses((status = 200, description = "{\"addresses\": {network: [{version, addr}]}}"), (status = 404)))]
async fn index(
    State(nova): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let vifs = nova
        .server_vifs(&caller, &id, "os_compute_api:ips:index")
        .await?;
    Ok(axum::Json(json!({ "addresses": by_network(&vifs) })).into_response())
}

/// Show a server's IP addresses on one network.
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/ips/{network_label}", tag = "servers", operation_id = "show_server_ips",
    params(("server_id" = String, Path, description = "Server id"),
        ("network_label" = String, Path, description = "Network name")),
    responses((status = 200, description = "{network: [{version, addr}]}"), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Path((id, label)): Path<(String, String)>,
) -> Result<Response> {
    let vifs = nova
        .server_vifs(&caller, &id, "os_compute_api:ips:show")
        .await?;
    let mut networks = by_network(&vifs);
    let addresses = networks.remove(&label).ok_or_else(|| {
        NovaError::NotFound("Instance is not a member of specified network".into())
    })?;
    Ok(axum::Json(json!({ label: addresses })).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(index))
        .routes(routes!(show))
}
