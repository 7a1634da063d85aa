//! Neutron v2.0 over HTTP: one file per resource. Handlers parse, call the
//! domain and render; lists go through [`listing`].

mod agents;
mod availability_zones;
mod body;
mod error;
mod extensions;
mod floating_ips;
mod ip_availability;
mod listing;
mod networks;
mod ports;
mod quotas;
mod rbac_policies;
mod resource;
mod routers;
mod security_group_rules;
mod security_groups;
mod subnet_pools;
mod subnets;
mod tags;
mod versions;

use std::sync::Arc;

use axum::Router;
use serde_json::Value;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::domain::{Caller, Neutron};

/// Handler state.
pub type AppState = Arc<Neutron>;

/// The public base URL of this API, for links.
fn base_url(neutron: &AppState, headers: &axum::http::HeaderMap) -> String {
    ferrostack_api::base_url(headers, &neutron.cfg.service)
}

/// A timestamp as Neutron shows it (`2024-05-01T12:34:56Z`).
fn timestamp(at: &chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A JSON list stored as text.
fn stored_list(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::Array(Vec::new()))
}

/// Drops from `view` each of `attributes` whose `<action>:<attribute>` rule
/// the caller fails (admin-only attributes).
fn strip(
    neutron: &Neutron,
    caller: &Caller,
    action: &str,
    target: &Value,
    view: &mut Value,
    attributes: &[&str],
) {
    for attribute in attributes {
        if !neutron.allowed(caller, &format!("{action}:{attribute}"), target) {
            if let Some(map) = view.as_object_mut() {
                map.remove(*attribute);
            }
        }
    }
}

/// The authenticated routes.
fn v2_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(document())
        .merge(versions::resources())
        .merge(extensions::routes())
        .merge(networks::routes())
        .merge(subnets::routes())
        .merge(ports::routes())
        .merge(security_groups::routes())
        .merge(security_group_rules::routes())
        .merge(tags::routes())
        .merge(quotas::routes())
        .merge(rbac_policies::routes())
        .merge(routers::routes())
        .merge(floating_ips::routes())
        .merge(agents::routes())
        .merge(availability_zones::routes())
        .merge(subnet_pools::routes())
        .merge(ip_availability::routes())
}

/// The open routes (version discovery), the authenticated routes under
/// `/v2.0`, and the OpenAPI document of both.
pub fn router_and_openapi(neutron: AppState) -> (Router, Router, OpenApi) {
    let (v2, doc_v2) = v2_routes().split_for_parts();
    let (open, mut doc) = OpenApiRouter::with_openapi(document())
        .merge(versions::routes())
        .split_for_parts();
    doc.merge(doc_v2);
    (
        open.with_state(neutron.clone()),
        v2.with_state(neutron),
        doc,
    )
}

fn document() -> OpenApi {
    ferrostack_api::openapi::frame(
        "ferrostack network (Neutron v2.0)",
        "The OpenStack Networking API v2.0, as served by ferrostack.",
    )
}

#[cfg(test)]
mod tests {
    /// The document is consistent and lists every operation.
    #[test]
    fn document_is_consistent() {
        let doc = super::v2_routes()
            .merge(super::versions::routes())
            .split_for_parts()
            .1;
        assert!(ferrostack_api::openapi::check(&doc).unwrap() >= 20);
    }
}
