//! `/v2.0/availability_zones`: the zones the agents report.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::listing::{self, ListQuery, Listable};
use super::AppState;
use crate::domain::{Caller, NeutronError, Result};

pub const LISTABLE: Listable = Listable {
    filters: &["name", "resource", "state"],
    sort_keys: &["name", "resource", "state"],
    taggable: false,
};

/// List availability zones.
#[utoipa::path(get, path = "/v2.0/availability_zones", tag = "availability-zones", operation_id = "list_availability_zones",
    responses((status = 200, description = "Zones"), (status = 400)))]
async fn list(
    State(neutron): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let query = ListQuery::parse(
        query.as_deref().unwrap_or_default(),
        &LISTABLE,
        neutron.cfg.max_limit,
    )?;
    let items = neutron
        .list_availability_zones(&caller)
        .await?
        .into_iter()
        .map(|z| {
            json!({
                "name": z.name,
                "resource": z.resource,
                "state": if z.available { "available" } else { "unavailable" },
            })
        })
        .collect();
    let base = super::base_url(&neutron, &headers);
    let page = listing::page(
        items,
        &query,
        &base,
        "/v2.0/availability_zones",
        "availability_zones",
        |name| {
            NeutronError::not_found(
                "AvailabilityZoneNotFound",
                format!("AvailabilityZone {name} could not be found."),
            )
        },
    )?;
    Ok(axum::Json(page).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}
