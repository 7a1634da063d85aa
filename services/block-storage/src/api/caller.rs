//! The caller of a request (the shared `Caller`, judged by this service's
//! policy), and the check that a URL's `{project_id}` is the token's project.

use axum::extract::{RawPathParams, Request};
use axum::middleware::Next;
use axum::response::Response;
use ferrostack_api::Failure;
use ferrostack_auth::AuthContext;
use ferrostack_policy::Enforcer;

use crate::domain::Cinder;

impl ferrostack_service::Guarded for Cinder {
    fn policy(&self) -> &Enforcer {
        &self.policy
    }
}

/// Refuses a request whose URL names another project than the token's, as
/// Cinder does ("Malformed request url").
pub(super) async fn project_in_url(
    params: RawPathParams,
    request: Request,
    next: Next,
) -> Result<Response, Failure> {
    let token_project = request
        .extensions()
        .get::<AuthContext>()
        .and_then(|ctx| ctx.project_id.clone());
    if let Some((_, project)) = params.iter().find(|(name, _)| *name == "project_id") {
        if token_project.as_deref() != Some(project) {
            return Err(Failure::bad_request("Malformed request url"));
        }
    }
    Ok(next.run(request).await)
}
