//! The caller of a request, from the authentication context.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use ferrostack_api::Failure;
use ferrostack_auth::AuthContext;

use super::AppState;
use crate::domain::Caller;

impl FromRequestParts<AppState> for Caller {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, glance: &AppState) -> Result<Self, Failure> {
        let ctx = AuthContext::from_request_parts(parts, glance).await?;
        let mut caller = glance.caller(ctx);
        caller.request_id = parts
            .extensions
            .get::<ferrostack_api::RequestId>()
            .map(|ids| ids.local.clone());
        Ok(caller)
    }
}
