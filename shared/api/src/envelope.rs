use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

use crate::Failure;

/// The error body shape of one upstream service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// Keystone: `{"error": {"code", "title", "message"}}`.
    Keystone,
    /// Nova and Cinder: `{"itemNotFound": {"code", "message"}}` and its siblings.
    Fault,
    /// Neutron: `{"NeutronError": {"type", "message", "detail"}}`.
    Neutron,
    /// Glance and Swift: WebOb's plain-text body (`404 Not Found\n\n<message>`).
    Text,
}

impl Envelope {
    /// Replaces the body of `response` with `failure` in this envelope.
    pub fn render(self, failure: &Failure, response: &mut Response) {
        let (content_type, body) = match self {
            Envelope::Keystone => ("application/json", keystone_body(failure)),
            Envelope::Fault => ("application/json", fault_body(failure)),
            Envelope::Neutron => ("application/json", neutron_body(failure)),
            Envelope::Text => ("text/plain; charset=UTF-8", text_body(failure)),
        };
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response.headers_mut().remove(header::CONTENT_LENGTH);
        *response.body_mut() = body.into();
    }
}

fn title(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

fn keystone_body(f: &Failure) -> String {
    json!({"error": {"code": f.status.as_u16(), "title": title(f.status), "message": f.message}})
        .to_string()
}

/// The fault names Nova's and Cinder's WSGI layers use for each status.
fn fault_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "badRequest",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "itemNotFound",
        405 => "badMethod",
        409 => "conflictingRequest",
        413 | 429 => "overLimit",
        415 => "badMediaType",
        501 => "notImplemented",
        503 => "serviceUnavailable",
        _ => "computeFault",
    }
}

fn fault_body(f: &Failure) -> String {
    let mut body = serde_json::Map::new();
    body.insert(
        fault_name(f.status).to_string(),
        json!({"code": f.status.as_u16(), "message": f.message}),
    );
    serde_json::Value::Object(body).to_string()
}

fn neutron_body(f: &Failure) -> String {
    let kind = f
        .kind
        .as_deref()
        .map(str::to_string)
        .unwrap_or_else(|| format!("HTTP{}", title(f.status).replace([' ', '-'], "")));
    json!({"NeutronError": {"type": kind, "message": f.message, "detail": ""}}).to_string()
}

fn text_body(f: &Failure) -> String {
    format!(
        "{} {}\n\n{}\n\n   ",
        f.status.as_u16(),
        title(f.status),
        f.message
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;

    fn rendered(envelope: Envelope, failure: Failure) -> serde_json::Value {
        let mut response = failure.clone().into_response();
        envelope.render(&failure, &mut response);
        let body = response.into_body();
        let bytes = body_bytes(body);
        serde_json::from_slice(&bytes).unwrap()
    }

    fn body_bytes(body: axum::body::Body) -> Vec<u8> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap()
                .to_vec()
        })
    }

    #[test]
    fn keystone_shape() {
        let v = rendered(
            Envelope::Keystone,
            Failure::not_found("Could not find project: x."),
        );
        assert_eq!(
            v,
            json!({"error": {"code": 404, "title": "Not Found", "message": "Could not find project: x."}})
        );
    }

    #[test]
    fn fault_shape_names_by_status() {
        let v = rendered(Envelope::Fault, Failure::bad_request("Invalid input"));
        assert_eq!(
            v,
            json!({"badRequest": {"code": 400, "message": "Invalid input"}})
        );
        let v = rendered(
            Envelope::Fault,
            Failure::not_found("Volume x could not be found."),
        );
        assert_eq!(v["itemNotFound"]["code"], 404);
        let v = rendered(Envelope::Fault, Failure::internal("db down"));
        assert_eq!(v["computeFault"]["code"], 500);
    }

    #[test]
    fn neutron_shape_with_and_without_kind() {
        let v = rendered(
            Envelope::Neutron,
            Failure::not_found("Network x could not be found.").with_kind("NetworkNotFound"),
        );
        assert_eq!(v["NeutronError"]["type"], "NetworkNotFound");
        assert_eq!(v["NeutronError"]["detail"], "");
        let v = rendered(Envelope::Neutron, Failure::conflict("busy"));
        assert_eq!(v["NeutronError"]["type"], "HTTPConflict");
    }

    #[test]
    fn text_shape() {
        let failure = Failure::not_found("No image found with ID x");
        let mut response = failure.clone().into_response();
        Envelope::Text.render(&failure, &mut response);
        let body = body_bytes(response.into_body());
        assert!(String::from_utf8(body)
            .unwrap()
            .starts_with("404 Not Found\n\nNo image found"));
    }
}
