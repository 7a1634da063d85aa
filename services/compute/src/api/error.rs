//! The HTTP status of each domain failure, rendered in Nova's fault envelope
//! (`{"itemNotFound": {"code": 404, "message": ...}}`) by the shared server.

use axum::http::StatusCode;
use ferrostack_api::Failure;

use crate::domain::NovaError;

impl From<NovaError> for Failure {
    fn from(err: NovaError) -> Failure {
        let status = match &err {
            NovaError::BadRequest(_) => StatusCode::BAD_REQUEST,
            NovaError::Forbidden(_) | NovaError::OverQuota(_) => StatusCode::FORBIDDEN,
            NovaError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            NovaError::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            NovaError::Gone(_) => StatusCode::GONE,
            NovaError::NotFound(_) => StatusCode::NOT_FOUND,
            NovaError::Conflict(_) => StatusCode::CONFLICT,
            NovaError::Internal(cause) => return Failure::internal(cause),
        };
        Failure::new(status, err.to_string())
    }
}

impl axum::response::IntoResponse for NovaError {
    fn into_response(self) -> axum::response::Response {
        Failure::from(self).into_response()
    }
}
