//! `OpenStack-API-Version: volume 3.x` negotiation for every `/v3` request.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ferrostack_api::microversion::{ApiVersion, Microversions};

/// Cinder's range: 3.0 to 3.71.
pub const MICROVERSIONS: Microversions = Microversions {
    service_type: "volume",
    legacy_header: None,
    min: ApiVersion::new(3, 0),
    max: ApiVersion::new(3, 71),
};

/// Rejects versions outside the range (406) or malformed (400); otherwise hands
/// the version to handlers as an extension and echoes it on the response.
pub async fn negotiate(mut request: Request, next: Next) -> Response {
    let version = match MICROVERSIONS.negotiate(request.headers()) {
        Ok(version) => version,
        Err(failure) => return failure.into_response(),
    };
    request.extensions_mut().insert(version);
    let mut response = next.run(request).await;
    for (name, value) in MICROVERSIONS.response_headers(version) {
        response.headers_mut().insert(name, value);
    }
    response
}

/// Below `min`, the method does not exist: Cinder answers 404.
pub fn require(version: ApiVersion, min: ApiVersion) -> crate::domain::Result<()> {
    if version < min {
        return Err(crate::domain::CinderError::NotFound(format!(
            "API version {version} is not supported on this method."
        )));
    }
    Ok(())
}
