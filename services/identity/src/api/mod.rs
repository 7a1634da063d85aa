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

use crate::domain::Identity;

pub use context::Caller;

/// Handler state.
pub type AppState = Arc<Identity>;

/// Every identity route.
pub fn router(identity: AppState) -> Router {
    Router::new()
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
        .layer(axum::middleware::from_fn_with_state(
            identity.clone(),
            error::www_authenticate,
        ))
        .with_state(identity)
}
