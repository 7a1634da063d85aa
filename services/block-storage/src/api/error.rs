//! The HTTP status of each domain failure, rendered in the service's envelope
//! by the shared server.

use axum::http::StatusCode;
use ferrostack_api::Failure;

use crate::domain::CinderError;

impl From<CinderError> for Failure {
    fn from(err: CinderError) -> Failure {
        let status = match &err {
            CinderError::BadRequest(_) => StatusCode::BAD_REQUEST,
            CinderError::Forbidden(_) => StatusCode::FORBIDDEN,
            CinderError::NotFound(_) => StatusCode::NOT_FOUND,
            CinderError::Conflict(_) => StatusCode::CONFLICT,
            CinderError::OverLimit(_) => StatusCode::PAYLOAD_TOO_LARGE,
            CinderError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            CinderError::Internal(cause) => return Failure::internal(cause),
        };
        Failure::new(status, err.to_string())
    }
}

impl axum::response::IntoResponse for CinderError {
    fn into_response(self) -> axum::response::Response {
        Failure::from(self).into_response()
    }
}
