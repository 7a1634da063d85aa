use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Failure;

/// JSON body extractor and responder. Unlike axum's, every failure is an upstream
/// 400 (never 415 or 422) whose message names the offending field, and a body over
/// the limit is a 413.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Failure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Failure::new(StatusCode::PAYLOAD_TOO_LARGE, "Request is too large.")
            } else {
                Failure::bad_request(rejection.body_text())
            }
        })?;
        parse(&bytes).map(Json)
    }
}

/// Deserializes a request body, turning any failure into a 400 naming the field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure::bad_request(
            "Malformed request body: the request body is empty.",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            Failure::bad_request(format!("Malformed request body: {inner}"))
        } else if path == "." {
            Failure::bad_request(format!("Invalid input: {inner}"))
        } else {
            Failure::bad_request(format!("Invalid input for field '{path}': {inner}"))
        }
    })?;
    deserializer
        .end()
        .map_err(|e| Failure::bad_request(format!("Malformed request body: {e}")))?;
    Ok(value)
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        project: Project,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Project {
        name: String,
        enabled: Option<bool>,
    }

    #[test]
    fn malformed_json_is_400() {
        let err = parse::<Body>(b"{not json").unwrap_err();
        assert_eq!(err.status, 400);
        assert!(
            err.message.starts_with("Malformed request body"),
            "{}",
            err.message
        );
        assert_eq!(parse::<Body>(b"").unwrap_err().status, 400);
        assert_eq!(parse::<Body>(b"{} trailing").unwrap_err().status, 400);
    }

    #[test]
    fn wrong_field_is_named() {
        let err = parse::<Body>(br#"{"project": {"name": "x", "enabled": "yes"}}"#).unwrap_err();
        assert!(err.message.contains("project.enabled"), "{}", err.message);
        let err = parse::<Body>(br#"{"project": {}}"#).unwrap_err();
        assert!(err.message.contains("name"), "{}", err.message);
    }
}
