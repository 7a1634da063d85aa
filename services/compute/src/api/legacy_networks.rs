//! `/v2.1/os-networks` and `/v2.1/os-tenant-networks` (removed after 2.35):
//! the networks the caller sees, in nova-network's shapes. Creating,
//! deleting and associating networks went with nova-network: 410.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{gone_after, AppState};
use crate::domain::legacy_networks::NetworkProxy;
use crate::domain::{Caller, NovaError, Result};

/// The last microversion with these proxies.
const LAST: u16 = 35;

async fn list_of(
    nova: &AppState,
    caller: &Caller,
    version: ApiVersion,
    proxy: NetworkProxy,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let networks: Vec<Value> = nova
        .proxied_networks(caller, proxy)
        .await?
        .iter()
        .map(|n| proxy.view(n, caller.is_admin))
        .collect();
    Ok(axum::Json(json!({ "networks": networks })).into_response())
}

async fn show_of(
    nova: &AppState,
    caller: &Caller,
    version: ApiVersion,
    proxy: NetworkProxy,
    id: &str,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let network = nova.proxied_network(caller, proxy, id).await?;
    Ok(axum::Json(json!({ "network": proxy.view(&network, caller.is_admin) })).into_response())
}

/// List the networks the caller sees (nova-network's fields).
#[utoipa::path(get, path = "/v2.1/os-networks", tag = "networks", operation_id = "list_networks",
    responses((status = 200, description = "{\"networks\": [...]}"), (status = 404)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
) -> Result<Response> {
    list_of(&nova, &caller, version, NetworkProxy::Networks).await
}

/// Show a network (nova-network's fields).
#[utoipa::path(get, path = "/v2.1/os-networks/{id}", tag = "networks", operation_id = "show_network",
    params(("id" = String, Path, description = "Network id")),
    responses((status = 200, description = "{\"network\": {...}}"), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    show_of(&nova, &caller, version, NetworkProxy::Networks, &id).await
}

/// List the project's networks (id, label, cidr).
#[utoipa::path(get, path = "/v2.1/os-tenant-networks", tag = "networks", operation_id = "list_tenant_networks",
    responses((status = 200, description = "{\"networks\": [...]}"), (status = 404)))]
async fn list_tenant(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
) -> Result<Response> {
    list_of(&nova, &caller, version, NetworkProxy::TenantNetworks).await
}

/// Show a project network (id, label, cidr).
#[utoipa::path(get, path = "/v2.1/os-tenant-networks/{id}", tag = "networks", operation_id = "show_tenant_network",
    params(("id" = String, Path, description = "Network id")),
    responses((status = 200, description = "{\"network\": {...}}"), (status = 404)))]
async fn show_tenant(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    show_of(&nova, &caller, version, NetworkProxy::TenantNetworks, &id).await
}

fn removed() -> Result<Response> {
    Err(NovaError::Gone(
        "This resource is no longer available. No forwarding address is given.".into(),
    ))
}

/// Create a network: removed with nova-network.
#[utoipa::path(post, path = "/v2.1/os-networks", tag = "networks", operation_id = "create_network",
    responses((status = 410, description = "Removed with nova-network")))]
async fn create() -> Result<Response> {
    removed()
}

/// Delete a network: removed with nova-network.
#[utoipa::path(delete, path = "/v2.1/os-networks/{id}", tag = "networks", operation_id = "delete_network",
    params(("id" = String, Path, description = "Network id")),
    responses((status = 410, description = "Removed with nova-network")))]
async fn delete() -> Result<Response> {
    removed()
}

/// Create a project network: removed with nova-network.
#[utoipa::path(post, path = "/v2.1/os-tenant-networks", tag = "networks", operation_id = "create_tenant_network",
    responses((status = 410, description = "Removed with nova-network")))]
async fn create_tenant() -> Result<Response> {
    removed()
}

/// Delete a project network: removed with nova-network.
#[utoipa::path(delete, path = "/v2.1/os-tenant-networks/{id}", tag = "networks", operation_id = "delete_tenant_network",
    params(("id" = String, Path, description = "Network id")),
    responses((status = 410, description = "Removed with nova-network")))]
async fn delete_tenant() -> Result<Response> {
    removed()
}

/// Associate a network with a project: removed with nova-network.
#[utoipa::path(post, path = "/v2.1/os-networks/add", tag = "networks", operation_id = "add_network",
    responses((status = 410, description = "Removed with nova-network")))]
async fn add() -> Result<Response> {
    removed()
}

/// Disassociate a network: removed with nova-network.
#[utoipa::path(post, path = "/v2.1/os-networks/{id}/action", tag = "networks", operation_id = "network_action",
    params(("id" = String, Path, description = "Network id")),
    responses((status = 410, description = "Removed with nova-network")))]
async fn action() -> Result<Response> {
    removed()
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, delete))
        .routes(routes!(list_tenant, create_tenant))
        .routes(routes!(show_tenant, delete_tenant))
        .routes(routes!(add))
        .routes(routes!(action))
}
