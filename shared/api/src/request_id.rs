use axum::http::HeaderMap;

/// Inbound header carrying the caller's global request id.
pub const INBOUND_HEADER: &str = "x-openstack-request-id";

/// The ids of one request: `local` is minted here and returned in
/// `x-openstack-request-id`; `global` is the caller's, when it sent a valid one, and
/// is what downstream calls and RPC messages carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId {
    pub local: String,
    pub global: Option<String>,
}

impl RequestId {
    /// Mints a local id and accepts a well-formed inbound one as the global id.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let global = headers
            .get(INBOUND_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| is_request_id(v))
            .map(str::to_string);
        RequestId {
            local: new_request_id(),
            global,
        }
    }

    /// The id to propagate downstream: the global one if any, else ours.
    pub fn propagated(&self) -> &str {
        self.global.as_deref().unwrap_or(&self.local)
    }
}

/// A fresh `req-<uuid>` (version 4, from the thread's CSPRNG: no system call per
/// request).
pub fn new_request_id() -> String {
    let uuid = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    format!("req-{uuid}")
}

/// oslo.middleware accepts only `req-` followed by a UUID as a global request id.
fn is_request_id(value: &str) -> bool {
    value
        .strip_prefix("req-")
        .is_some_and(|rest| uuid::Uuid::parse_str(rest).is_ok() && rest.len() == 36)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_wellformed_global_ids() {
        let mut headers = HeaderMap::new();
        headers.insert(
            INBOUND_HEADER,
            "req-0d9f2c3e-8b1a-4c5d-9e6f-7a8b9c0d1e2f".parse().unwrap(),
        );
        let id = RequestId::from_headers(&headers);
        assert_eq!(
            id.global.as_deref(),
            Some("req-0d9f2c3e-8b1a-4c5d-9e6f-7a8b9c0d1e2f")
        );
        assert_eq!(id.propagated(), "req-0d9f2c3e-8b1a-4c5d-9e6f-7a8b9c0d1e2f");
        assert!(id.local.starts_with("req-") && id.local != id.propagated());

        headers.insert(INBOUND_HEADER, "req-<script>".parse().unwrap());
        let id = RequestId::from_headers(&headers);
        assert_eq!(id.global, None);
        assert_eq!(id.propagated(), id.local);
    }
}
