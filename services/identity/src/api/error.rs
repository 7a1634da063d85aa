use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ferrostack_api::Failure;

use super::AppState;
use crate::domain::Error;

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        let status = match &err {
            Error::NotFound { .. } | Error::NotFoundDetail(_) => StatusCode::NOT_FOUND,
            Error::Validation(_) => StatusCode::BAD_REQUEST,
            Error::Conflict { .. } => StatusCode::CONFLICT,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::Internal(cause) => return Failure::internal(cause),
        };
        Failure::new(status, err.to_string())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        Failure::from(self).into_response()
    }
}

/// Adds `WWW-Authenticate: Keystone uri="<public endpoint>"` to every 401.
pub async fn www_authenticate(
    State(identity): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let base = ferrostack_api::base_url(req.headers(), &identity.cfg.service);
    let mut response = next.run(req).await;
    if response.status() == StatusCode::UNAUTHORIZED {
        if let Ok(value) = HeaderValue::from_str(&format!("Keystone uri=\"{base}\"")) {
            response.headers_mut().insert("www-authenticate", value);
        }
    }
    response
}
