//! Keystone v3 over HTTP: one file per resource. Handlers parse, authorize, call the
//! domain and render; they hold no rules.

mod access_rules;
mod app_creds;
mod auth;
mod catalog;
mod context;
mod credentials;
mod discovery;
mod domain_config;
mod domains;
mod ec2;
mod ec2_tokens;
mod endpoint_filter;
mod error;
mod grants;
mod groups;
mod limits;
mod oauth1;
mod oauth_consumers;
mod policy_blobs;
mod projects;
mod query;
mod render;
mod role_assignments;
mod roles;
mod trusts;
mod users;

use std::sync::Arc;

use axum::Router;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::domain::Identity;

pub use context::Caller;

/// Handler state.
pub type AppState = Arc<Identity>;

/// Every identity route.
pub fn router(identity: AppState) -> Router {
    router_and_openapi(identity).0
}

/// Every identity route, and the OpenAPI document describing them; both come from
/// the same registrations, so the document lists exactly the routes served.
pub fn router_and_openapi(identity: AppState) -> (Router, OpenApi) {
    let (router, doc) = documented_routes().split_for_parts();
    let router = router
        .layer(axum::middleware::from_fn_with_state(
            identity.clone(),
            error::www_authenticate,
        ))
        .with_state(identity);
    (router, doc)
}

/// The routes of every module, each registered with its OpenAPI operations.
fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(document())
        .merge(discovery::routes())
        .merge(auth::routes())
        .merge(domains::routes())
        .merge(domain_config::routes())
        .merge(projects::routes())
        .merge(users::routes())
        .merge(groups::routes())
        .merge(roles::routes())
        .merge(grants::routes())
        .merge(role_assignments::routes())
        .merge(app_creds::routes())
        .merge(access_rules::routes())
        .merge(credentials::routes())
        .merge(ec2::routes())
        .merge(ec2_tokens::routes())
        .merge(endpoint_filter::routes())
        .merge(oauth_consumers::routes())
        .merge(oauth1::routes())
        .merge(policy_blobs::routes())
        .merge(trusts::routes())
        .merge(limits::routes())
        .merge(catalog::routes())
}

/// The document's frame: info, and the token every operation needs unless it says
/// otherwise.
fn document() -> OpenApi {
    ferrostack_api::openapi::frame(
        "ferrostack identity (Keystone v3)",
        "The OpenStack Identity API v3, as served by ferrostack.",
    )
}

#[cfg(test)]
mod tests {
    /// The document is consistent and lists every operation.
    #[test]
    fn document_is_consistent() {
        let doc = super::documented_routes().split_for_parts().1;
        assert_eq!(ferrostack_api::openapi::check(&doc), Ok(204));
    }
}
