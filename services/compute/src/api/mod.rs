//! Nova v2.1 over HTTP: one file per resource. Handlers parse, call the domain
//! and render; microversions are negotiated once for every `/v2.1` request.

mod aggregates;
mod assisted_volume_snapshots;
mod availability_zones;
mod error;
mod extensions;
mod external_events;
mod flavor_access;
mod flavor_extra_specs;
mod flavors;
mod floating_ips;
mod hosts;
mod hypervisors;
mod images_proxy;
mod instance_actions;
mod keypairs;
mod legacy_networks;
mod legacy_urls;
mod microversion;
mod migrations;
mod query;
mod quotas;
mod remote_consoles;
mod schema;
mod security_groups;
mod server_actions;
mod server_body;
mod server_diagnostics;
mod server_groups;
mod server_interfaces;
mod server_ips;
mod server_metadata;
mod server_network_actions;
mod server_password;
mod server_view;
mod servers;
mod services;
mod usage;
mod usage_audit;
mod versions;
mod volume_attachments;
mod volumes_proxy;

use std::sync::Arc;

use axum::Router;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::domain::{Nova, NovaError};

pub use legacy_urls::rewrite as rewrite_legacy_urls;
pub use microversion::MICROVERSIONS;

/// Handler state.
pub type AppState = Arc<Nova>;

/// 404 for an API removed after microversion 2.`last` (Nova's answer to a
/// method a version does not have).
fn gone_after(
    version: ferrostack_api::microversion::ApiVersion,
    last: u16,
) -> crate::domain::Result<()> {
    if version > ferrostack_api::microversion::ApiVersion::new(2, last) {
        return Err(NovaError::NotFound(
            "The resource could not be found.".into(),
        ));
    }
    Ok(())
}

/// 404 for an API that microversion 2.`first` added, asked at an older one.
fn added_in(
    version: ferrostack_api::microversion::ApiVersion,
    first: u16,
) -> crate::domain::Result<()> {
    if version < ferrostack_api::microversion::ApiVersion::new(2, first) {
        return Err(NovaError::NotFound(
            "The resource could not be found.".into(),
        ));
    }
    Ok(())
}

/// The public base URL of this API, for links.
fn base_url(nova: &AppState, headers: &axum::http::HeaderMap) -> String {
    ferrostack_api::base_url(headers, &nova.cfg.service)
}

/// Parses a JSON request body; failures are Nova's 400 naming the field.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> crate::domain::Result<T> {
    ferrostack_api::parse_json(body).map_err(|f| NovaError::BadRequest(f.message))
}

/// The authenticated, microversioned routes.
fn v21_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(document())
        .merge(flavors::routes())
        .merge(flavor_extra_specs::routes())
        .merge(flavor_access::routes())
        .merge(keypairs::routes())
        .merge(services::routes())
        .merge(hosts::routes())
        .merge(hypervisors::routes())
        .merge(availability_zones::routes())
        .merge(aggregates::routes())
        .merge(servers::routes())
        .merge(server_actions::routes())
        .merge(server_diagnostics::routes())
        .merge(server_ips::routes())
        .merge(server_password::routes())
        .merge(server_interfaces::routes())
        .merge(server_metadata::routes())
        .merge(instance_actions::routes())
        .merge(quotas::routes())
        .merge(server_groups::routes())
        .merge(usage::routes())
        .merge(usage_audit::routes())
        .merge(migrations::routes())
        .merge(external_events::routes())
        .merge(extensions::routes())
        .merge(volume_attachments::routes())
        .merge(assisted_volume_snapshots::routes())
        .merge(volumes_proxy::routes())
        .merge(images_proxy::routes())
        .merge(remote_consoles::routes())
        .merge(security_groups::routes())
        .merge(floating_ips::routes())
        .merge(legacy_networks::routes())
}

/// The open routes (version discovery), the microversioned routes under
/// `/v2.1` (which need authentication), and the OpenAPI document of both.
pub fn router_and_openapi(nova: AppState) -> (Router, Router, OpenApi) {
    let (v21, doc_v21) = v21_routes().split_for_parts();
    let v21 = v21
        .layer(axum::middleware::from_fn(microversion::negotiate))
        .layer(axum::middleware::from_fn(legacy_urls::check_project))
        .layer(axum::middleware::from_fn(compute_request_id));
    let (open, mut doc) = OpenApiRouter::with_openapi(document())
        .merge(versions::routes())
        .split_for_parts();
    doc.merge(doc_v21);
    (open.with_state(nova.clone()), v21.with_state(nova), doc)
}

/// Nova's legacy `x-compute-request-id`, beside `x-openstack-request-id`.
async fn compute_request_id(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let id = req
        .extensions()
        .get::<ferrostack_api::RequestId>()
        .map(|r| r.local.clone());
    let mut response = next.run(req).await;
    if let Some(value) = id.and_then(|id| axum::http::HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert("x-compute-request-id", value);
    }
    response
}

fn document() -> OpenApi {
    ferrostack_api::openapi::frame(
        "ferrostack compute (Nova v2.1)",
        "The OpenStack Compute API v2.1, as served by ferrostack.",
    )
}

#[cfg(test)]
mod tests {
    /// The document is consistent and lists every operation.
    #[test]
    fn document_is_consistent() {
        let doc = super::v21_routes()
            .merge(super::versions::routes())
            .split_for_parts()
            .1;
        assert!(ferrostack_api::openapi::check(&doc).unwrap() >= 10);
    }
}
