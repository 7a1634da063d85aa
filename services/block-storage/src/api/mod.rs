//! Cinder v3 over HTTP: one file per resource. Handlers parse, call the domain and
//! render; microversions are negotiated once for every `/v3` request.

mod attachments;
mod backends;
mod backups;
mod bodies;
mod caller;
mod encryption;
mod error;
mod extensions;
mod group_snapshots;
mod group_types;
mod groups;
mod hosts;
mod messages;
mod metadata;
mod microversion;
mod qos;
mod query;
mod quota_classes;
mod quotas;
mod render;
mod services;
mod snapshots;
mod transfers;
mod types;
mod versions;
mod volumes;

use std::sync::Arc;

use axum::Router;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::domain::Cinder;

pub use microversion::MICROVERSIONS;

/// Handler state.
pub type AppState = Arc<Cinder>;

/// The public base URL of this API, for links.
fn base_url(cinder: &AppState, headers: &axum::http::HeaderMap) -> String {
    ferrostack_api::base_url(headers, &cinder.cfg.service)
}

/// The `*_links` value of a full page: a `next` link to `/v3/{project}/{path}`
/// with the request's query, its marker replaced by `marker`.
fn next_links(
    cinder: &AppState,
    headers: &axum::http::HeaderMap,
    project: &str,
    path: &str,
    pairs: &[(String, String)],
    marker: &str,
) -> serde_json::Value {
    let query: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "marker")
        .cloned()
        .collect();
    let href = ferrostack_api::pagination::next_link(
        &base_url(cinder, headers),
        &format!("/v3/{project}/{path}"),
        &query,
        marker,
    );
    serde_json::json!([{"rel": "next", "href": href}])
}

/// Parses a JSON request body; failures are Cinder's 400 naming the field.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> crate::domain::Result<T> {
    ferrostack_api::parse_json(body).map_err(|f| crate::domain::CinderError::BadRequest(f.message))
}

/// The authenticated, microversioned routes.
fn v3_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(document())
        .merge(versions::v3_routes())
        .merge(volumes::routes())
        .merge(services::routes())
        .merge(hosts::routes())
        .merge(backends::routes())
        .merge(extensions::routes())
        .merge(transfers::routes())
        .merge(backups::routes())
        .merge(messages::routes())
        .merge(qos::routes())
        .merge(types::routes())
        .merge(encryption::routes())
        .merge(group_types::routes())
        .merge(groups::routes())
        .merge(group_snapshots::routes())
        .merge(snapshots::routes())
        .merge(attachments::routes())
        .merge(quotas::routes())
        .merge(quota_classes::routes())
        .merge(metadata::routes())
}

/// The open routes (version discovery), the microversioned routes under `/v3`
/// (which need authentication), and the OpenAPI document describing them.
pub fn router_and_openapi(cinder: AppState) -> (Router, Router, OpenApi) {
    let (v3, doc_v3) = v3_routes().split_for_parts();
    let v3 = v3
        .route_layer(axum::middleware::from_fn(caller::project_in_url))
        .layer(axum::middleware::from_fn(microversion::negotiate));
    let (open, mut doc) = OpenApiRouter::with_openapi(document())
        .merge(versions::routes())
        .split_for_parts();
    doc.merge(doc_v3);
    (open.with_state(cinder.clone()), v3.with_state(cinder), doc)
}

fn document() -> OpenApi {
    ferrostack_api::openapi::frame(
        "ferrostack block storage (Cinder v3)",
        "The OpenStack Block Storage API v3, as served by ferrostack.",
    )
}

#[cfg(test)]
mod tests {
    /// The document is consistent and lists every operation.
    #[test]
    fn document_is_consistent() {
        let doc = super::v3_routes()
            .merge(super::versions::routes())
            .split_for_parts()
            .1;
        assert!(ferrostack_api::openapi::check(&doc).unwrap() >= 8);
    }
}
