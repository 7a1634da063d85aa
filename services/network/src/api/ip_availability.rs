//! `/v2.0/network-ip-availabilities` (admin): each network's and subnet's
//! pool sizes and allocated addresses; `ip_version` narrows the subnets.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::listing::{self, ListQuery, Listable};
use super::AppState;
use crate::domain::ip_availability::NetworkAvailability;
use crate::domain::{Caller, Result};

pub const LISTABLE: Listable = Listable {
    filters: &["network_id", "network_name", "ip_version"],
    sort_keys: &[
        "network_id",
        "network_name",
        "project_id",
        "tenant_id",
        "total_ips",
        "used_ips",
    ],
    taggable: false,
};

/// A network's availability, with the subnets of `versions` (all when empty).
fn view(found: &NetworkAvailability, versions: &[String]) -> Value {
    let subnets: Vec<_> = found
        .subnets
        .iter()
        .filter(|s| versions.is_empty() || versions.contains(&s.subnet.ip_version.to_string()))
        .collect();
    json!({
        "network_id": found.network.id,
        "network_name": found.network.name,
        "tenant_id": found.network.project_id,
        "project_id": found.network.project_id,
        "total_ips": subnets.iter().map(|s| s.total_ips).fold(0u64, u64::saturating_add),
        "used_ips": subnets.iter().map(|s| s.used_ips).sum::<u64>(),
        "subnet_ip_availability": subnets.iter().map(|s| json!({
            "subnet_id": s.subnet.id,
            "subnet_name": s.subnet.name,
            "cidr": s.subnet.cidr,
            "ip_version": s.subnet.ip_version,
            "total_ips": s.total_ips,
            "used_ips": s.used_ips,
        })).collect::<Vec<_>>(),
    })
}

/// List networks' IP availability.
#[utoipa::path(get, path = "/v2.0/network-ip-availabilities", tag = "network-ip-availability", operation_id = "list_network_ip_availabilities",
    responses((status = 200, description = "Availabilities"), (status = 400), (status = 403)))]
async fn list(
    State(neutron): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let mut query = ListQuery::parse(
        query.as_deref().unwrap_or_default(),
        &LISTABLE,
        neutron.cfg.max_limit,
    )?;
    let mut versions = Vec::new();
    query.filters.retain(|(key, values)| {
        let version = key == "ip_version";
        if version {
            versions.extend(values.iter().cloned());
        }
        !version
    });
    let items = neutron
        .list_ip_availability(&caller)
        .await?
        .iter()
        .filter(|n| {
            versions.is_empty()
                || n.subnets
                    .iter()
                    .any(|s| versions.contains(&s.subnet.ip_version.to_string()))
        })
        .map(|n| view(n, &versions))
        .collect();
    let base = super::base_url(&neutron, &headers);
    let page = listing::page(
        items,
        &query,
        &base,
        "/v2.0/network-ip-availabilities",
        "network_ip_availabilities",
        crate::domain::ip_availability::not_found,
    )?;
    Ok(axum::Json(page).into_response())
}

/// Show a network's IP availability.
#[utoipa::path(get, path = "/v2.0/network-ip-availabilities/{network_id}", tag = "network-ip-availability", operation_id = "show_network_ip_availability",
    params(("network_id" = String, Path)), responses((status = 200, description = "The availability"), (status = 403), (status = 404)))]
async fn show(
    State(neutron): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let found = neutron.show_ip_availability(&caller, &id).await?;
    let item = listing::select(view(&found, &[]), query.as_deref().unwrap_or_default());
    Ok(axum::Json(json!({"network_ip_availability": item})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
}
