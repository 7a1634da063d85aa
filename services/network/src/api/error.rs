//! Domain failures as HTTP: Neutron's status and exception type, rendered in
//! `{"NeutronError": {"type", "message", "detail"}}` by the shared server.

use axum::http::StatusCode;
use ferrostack_api::Failure;

use crate::domain::NeutronError;

impl From<NeutronError> for Failure {
    fn from(err: NeutronError) -> Failure {
        if err.status == 500 {
            return Failure::internal(err.message).with_kind("HTTPInternalServerError");
        }
        let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Failure::new(status, err.message).with_kind(err.kind)
    }
}

impl axum::response::IntoResponse for NeutronError {
    fn into_response(self) -> axum::response::Response {
        Failure::from(self).into_response()
    }
}
