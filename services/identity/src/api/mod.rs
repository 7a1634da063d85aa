//! Keystone v3 over HTTP: one file per resource. Handlers parse, authorize, call the
//! domain and render; they hold no rules.

mod app_creds;
mod auth;
mod catalog;
mod context;
mod credentials;
mod discovery;
mod domains;
mod error;
mod grants;
mod groups;
mod projects;
mod query;
mod render;
mod role_assignments;
mod roles;
mod users;

use std::sync::Arc;

use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};
use utoipa_axum::router::OpenApiRouter;

use crate::domain::Identity;

pub use context::Caller;

/// Handler state.
pub type AppState = Arc<Identity>;

/// The security scheme of operations that need an `X-Auth-Token`.
const TOKEN_SCHEME: &str = "X-Auth-Token";

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
        .merge(projects::routes())
        .merge(users::routes())
        .merge(groups::routes())
        .merge(roles::routes())
        .merge(grants::routes())
        .merge(role_assignments::routes())
        .merge(app_creds::routes())
        .merge(credentials::routes())
        .merge(catalog::routes())
}

/// The document's frame: info, and the token every operation needs unless it says
/// otherwise (`security: [{}]`).
fn document() -> OpenApi {
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("ferrostack identity (Keystone v3)")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The OpenStack Identity API v3, as served by ferrostack.",
                ))
                .build(),
        )
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme(
                    TOKEN_SCHEME,
                    SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                        "X-Auth-Token",
                        "A token issued by POST /v3/auth/tokens",
                    ))),
                )
                .build(),
        ))
        .security(Some([SecurityRequirement::new(
            TOKEN_SCHEME,
            Vec::<String>::new(),
        )]))
        .build()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use utoipa::openapi::path::{Operation, ParameterIn, PathItem};

    fn operations(item: &PathItem) -> Vec<(&'static str, &Operation)> {
        [
            ("get", &item.get),
            ("put", &item.put),
            ("post", &item.post),
            ("delete", &item.delete),
            ("options", &item.options),
            ("head", &item.head),
            ("patch", &item.patch),
            ("trace", &item.trace),
        ]
        .into_iter()
        .filter_map(|(method, op)| op.as_ref().map(|op| (method, op)))
        .collect()
    }

    /// Operation ids are unique, every path parameter is declared (and only those),
    /// and every operation has a tag, a summary and responses.
    #[test]
    fn document_is_consistent() {
        let doc = super::documented_routes().split_for_parts().1;
        let mut ids = BTreeSet::new();
        let mut count = 0;
        for (path, item) in &doc.paths.paths {
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            for (method, op) in operations(item) {
                count += 1;
                let id = op.operation_id.clone().unwrap_or_default();
                assert!(!id.is_empty(), "{method} {path}: no operation id");
                assert!(ids.insert(id.clone()), "{method} {path}: duplicate id {id}");
                assert!(
                    op.tags.as_ref().is_some_and(|t| !t.is_empty()),
                    "{id}: no tag"
                );
                assert!(op.summary.is_some(), "{id}: no summary");
                assert!(!op.responses.responses.is_empty(), "{id}: no responses");
                let declared: BTreeSet<&str> = op
                    .parameters
                    .iter()
                    .flatten()
                    .filter(|p| p.parameter_in == ParameterIn::Path)
                    .map(|p| p.name.as_str())
                    .collect();
                assert_eq!(declared, in_path, "{id}: path parameters");
            }
        }
        assert_eq!(count, 132, "operations in the document");
    }
}
