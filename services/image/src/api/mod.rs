//! Glance v2 over HTTP: one file per resource. Handlers parse, call the domain and
//! render; they hold no rules.

mod caller;
mod data;
mod error;
mod images;
mod import;
mod info;
mod members;
mod metadefs;
mod render;
pub(crate) mod schemas;
mod tasks;
mod versions;

use std::sync::Arc;

use axum::Router;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::domain::Glance;

/// Handler state.
pub type AppState = Arc<Glance>;

/// The open routes (version discovery), the routes under `/v2` (which need
/// authentication), and the OpenAPI document describing them.
pub fn router_and_openapi(glance: AppState) -> (Router, Router, OpenApi) {
    let (v2, doc_v2) = v2_routes().split_for_parts();
    let (open, mut doc) = OpenApiRouter::with_openapi(document())
        .merge(versions::routes())
        .split_for_parts();
    doc.merge(doc_v2);
    (open.with_state(glance.clone()), v2.with_state(glance), doc)
}

/// The authenticated routes, each registered with its OpenAPI operation.
fn v2_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(document())
        .merge(images::routes())
        .merge(data::routes())
        .merge(import::routes())
        .merge(members::routes())
        .merge(schemas::routes())
        .merge(info::routes())
        .merge(metadefs::routes())
        .merge(tasks::routes())
}

fn document() -> OpenApi {
    ferrostack_api::openapi::frame(
        "ferrostack image (Glance v2)",
        "The OpenStack Image API v2, as served by ferrostack.",
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
        assert_eq!(ferrostack_api::openapi::check(&doc), Ok(73));
    }
}
