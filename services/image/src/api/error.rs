//! The HTTP status of each domain failure, rendered in the service's envelope
//! by the shared server.

use axum::http::StatusCode;
use ferrostack_api::Failure;

use crate::domain::ImageError;

impl From<ImageError> for Failure {
    fn from(err: ImageError) -> Failure {
        let status = match &err {
            ImageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ImageError::Forbidden(_) => StatusCode::FORBIDDEN,
            ImageError::NotFound(_) => StatusCode::NOT_FOUND,
            ImageError::Conflict(_) => StatusCode::CONFLICT,
            ImageError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ImageError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ImageError::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            ImageError::Internal(cause) => return Failure::internal(cause),
        };
        Failure::new(status, err.to_string())
    }
}

impl axum::response::IntoResponse for ImageError {
    fn into_response(self) -> axum::response::Response {
        Failure::from(self).into_response()
    }
}
