//! `OpenStack-API-Version: compute 2.x` (or the legacy
//! `X-OpenStack-Nova-API-Version`) negotiation for every `/v2.1` request.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ferrostack_api::microversion::{ApiVersion, Microversions};

use super::legacy_urls::LegacyV2;

/// Nova's range: 2.1 to 2.104.
pub const MICROVERSIONS: Microversions = Microversions {
    service_type: "compute",
    legacy_header: Some("X-OpenStack-Nova-API-Version"),
    min: ApiVersion::new(2, 1),
    max: ApiVersion::new(2, 104),
};

/// Rejects versions outside the range (406) or malformed (400); otherwise hands
/// the version to handlers as an extension and echoes it on the response. The
/// legacy v2 API has no microversions: always 2.1, and no version headers.
pub async fn negotiate(mut request: Request, next: Next) -> Response {
    if request.extensions().get::<LegacyV2>().is_some() {
        request.extensions_mut().insert(MICROVERSIONS.min);
        return next.run(request).await;
    }
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
