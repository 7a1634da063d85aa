//! The caller of a request, checked against the project in the URL.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use ferrostack_api::Failure;
use ferrostack_auth::AuthContext;

use super::AppState;
use crate::domain::Caller;

impl FromRequestParts<AppState> for Caller {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let ctx = AuthContext::from_request_parts(parts, state).await?;
        let is_admin = state.is_admin(&ctx);
        let mut caller = Caller::new(ctx, is_admin);
        caller.request_id = parts.extensions.get::<ferrostack_api::RequestId>().cloned();
        let params: Path<std::collections::HashMap<String, String>> =
            Path::from_request_parts(parts, state)
                .await
                .map_err(|_| Failure::bad_request("Malformed request url"))?;
        if let Some(project) = params.get("project_id") {
            if project != caller.project() {
                return Err(Failure::bad_request("Malformed request url"));
            }
        }
        Ok(caller)
    }
}
