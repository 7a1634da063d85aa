//! `/v2.1/os-availability-zone`: the zones, and (admin, `/detail`) the hosts
//! and services in each.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::services::time;
use super::AppState;
use crate::domain::{Caller, Result};

async fn zones(
    nova: AppState,
    caller: Caller,
    version: ApiVersion,
    raw: Option<String>,
    detail: bool,
) -> Result<Response> {
    if version >= ApiVersion::new(2, 102) {
        Query::parse(raw.as_deref())?.only(&[])?;
    }
    let zones: Vec<Value> = nova
        .zones(&caller, detail)
        .await?
        .into_iter()
        .map(|zone| {
            let hosts = zone.hosts.map(|hosts| {
                let mut by_host = Map::new();
                for (host, services) in hosts {
                    let mut by_binary = Map::new();
                    for (binary, service) in services {
                        by_binary.insert(
                            binary,
                            json!({"available": service.up, "active": true, "updated_at": time(&service.updated_at)}),
                        );
                    }
                    by_host.insert(host, Value::Object(by_binary));
                }
                Value::Object(by_host)
            });
            json!({"zoneName": zone.name, "zoneState": {"available": zone.available}, "hosts": hosts})
        })
        .collect();
    Ok(axum::Json(json!({"availabilityZoneInfo": zones})).into_response())
}

/// List the availability zones.
#[utoipa::path(get, path = "/v2.1/os-availability-zone", tag = "availability zones", operation_id = "list_availability_zones",
    responses((status = 200, description = "Zones")))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    zones(nova, caller, version, raw, false).await
}

/// List the availability zones with their hosts and services (admin).
#[utoipa::path(get, path = "/v2.1/os-availability-zone/detail", tag = "availability zones", operation_id = "list_availability_zones_detail",
    responses((status = 200, description = "Zones with hosts"), (status = 403)))]
async fn detail(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    zones(nova, caller, version, raw, true).await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(detail))
}
