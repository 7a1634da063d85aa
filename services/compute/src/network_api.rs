//! The network API as compute calls it (Neutron v2.0): networks and ports
//! looked up on the user's token, a server's ports created on it and bound to
//! the server's host on the service user's token (binding is admin-only), and
//! deleted or released with the server.

use std::sync::Arc;

use ferrostack_auth::service_endpoint::ServiceEndpoint;
use ferrostack_auth::{service_http, Authenticator};
use reqwest::Method;
use serde_json::{json, Value};

/// Why a call to the network API failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkApiError {
    /// The API cannot be reached, answered unexpectedly, or there is no
    /// service user to bind ports with.
    #[error("The network service is unavailable: {0}")]
    Unavailable(String),
    /// No such resource is visible to the caller.
    #[error("not found")]
    NotFound,
    /// Neutron refused the request (400, 403, 409, 413): the status, and
    /// the error's type and message.
    #[error("{message}")]
    Refused {
        status: u16,
        kind: String,
        message: String,
    },
}

type Result<T> = std::result::Result<T, NetworkApiError>;

/// Where the network API is and how to reach it.
pub struct NetworkApi {
    http: reqwest::Client,
    endpoint: ServiceEndpoint,
    auth: Option<Arc<Authenticator>>,
}

/// The type and message of a `{"NeutronError": {"type", "message"}}` body.
fn neutron_error(body: &Value) -> (String, String) {
    let error = &body["NeutronError"];
    (
        error["type"].as_str().unwrap_or_default().to_string(),
        error["message"]
            .as_str()
            .unwrap_or("the network service refused the request")
            .to_string(),
    )
}

/// `key=value&...` with each value form-encoded.
pub fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

impl NetworkApi {
    /// `endpoint_override` when configured, else the public `network`
    /// endpoint of the service user's catalog.
    pub fn new(
        endpoint_override: Option<String>,
        auth: Option<Arc<Authenticator>>,
        timeouts: service_http::Timeouts,
    ) -> Self {
        NetworkApi {
            http: service_http::client(timeouts),
            endpoint: ServiceEndpoint::new(
                endpoint_override.into_iter().collect(),
                ("network".into(), "public".into()),
                auth.clone(),
            ),
            auth,
        }
    }

    /// Whether a network service is deployed: configured, or in the catalog.
    pub async fn deployed(&self) -> Result<bool> {
        self.endpoint
            .url_if_any()
            .await
            .map(|url| url.is_some())
            .map_err(NetworkApiError::Unavailable)
    }

    /// The service user's token, for what only an admin may do.
    pub async fn service_token(&self) -> Result<String> {
        let auth = self.auth.as_ref().ok_or_else(|| {
            NetworkApiError::Unavailable("compute has no service user to bind ports with".into())
        })?;
        auth.service_token()
            .await
            .map_err(NetworkApiError::Unavailable)
    }

    async fn send(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let base = self
            .endpoint
            .url()
            .await
            .map_err(NetworkApiError::Unavailable)?;
        let base = base.trim_end_matches("/v2.0");
        let url = format!("{base}/v2.0{path}");
        let (status, body) =
            service_http::send_json(&self.http, method, &url, token, &[], body.as_ref())
                .await
                .map_err(|e| NetworkApiError::Unavailable(e.to_string()))?;
        match status {
            200..=299 => Ok(body),
            404 => Err(NetworkApiError::NotFound),
            400 | 403 | 409 | 413 => {
                let (kind, message) = neutron_error(&body);
                Err(NetworkApiError::Refused {
                    status,
                    kind,
                    message,
                })
            }
            other => Err(NetworkApiError::Unavailable(format!("it answered {other}"))),
        }
    }

    /// One `kind` resource as the token's user sees it. An id that is not
    /// one path segment of id characters is not found without asking.
    pub async fn show(&self, token: &str, kind: &Resource, id: &str) -> Result<Value> {
        let path = kind.item(id).ok_or(NetworkApiError::NotFound)?;
        let body = self.send(token, Method::GET, &path, None).await?;
        Ok(body[kind.one].clone())
    }

    /// The `kind` resources of a query (`query` is `key=value&...`).
    pub async fn list(&self, token: &str, kind: &Resource, query: &str) -> Result<Vec<Value>> {
        let path = format!("/{}?{query}", kind.path);
        let body = self.send(token, Method::GET, &path, None).await?;
        Ok(body[kind.many].as_array().cloned().unwrap_or_default())
    }

    /// Creates a `kind` resource from its fields: the resource.
    pub async fn create(&self, token: &str, kind: &Resource, fields: Value) -> Result<Value> {
        let path = format!("/{}", kind.path);
        let body = json!({ kind.one: fields });
        let body = self.send(token, Method::POST, &path, Some(body)).await?;
        Ok(body[kind.one].clone())
    }

    /// Updates `kind` resource `id` with `fields`: the resource.
    pub async fn update(
        &self,
        token: &str,
        kind: &Resource,
        id: &str,
        fields: Value,
    ) -> Result<Value> {
        let path = kind.item(id).ok_or(NetworkApiError::NotFound)?;
        let body = json!({ kind.one: fields });
        let body = self.send(token, Method::PUT, &path, Some(body)).await?;
        Ok(body[kind.one].clone())
    }

    /// Deletes `kind` resource `id`.
    pub async fn delete(&self, token: &str, kind: &Resource, id: &str) -> Result<()> {
        let path = kind.item(id).ok_or(NetworkApiError::NotFound)?;
        self.send(token, Method::DELETE, &path, None).await?;
        Ok(())
    }

    /// Network `id` as the token's user sees it.
    pub async fn network(&self, token: &str, id: &str) -> Result<Value> {
        self.show(token, &NETWORKS, id).await
    }

    /// The networks of a query (`query` is `key=value&...`).
    pub async fn networks(&self, token: &str, query: &str) -> Result<Vec<Value>> {
        self.list(token, &NETWORKS, query).await
    }

    /// Port `id` as the token's user sees it.
    pub async fn port(&self, token: &str, id: &str) -> Result<Value> {
        self.show(token, &PORTS, id).await
    }

    /// The ports of a query (`query` is `key=value&...`).
    pub async fn ports(&self, token: &str, query: &str) -> Result<Vec<Value>> {
        self.list(token, &PORTS, query).await
    }

    /// The floating IPs of a query.
    pub async fn floating_ips(&self, token: &str, query: &str) -> Result<Vec<Value>> {
        self.list(token, &FLOATING_IPS, query).await
    }

    /// The security groups of a query.
    pub async fn security_groups(&self, token: &str, query: &str) -> Result<Vec<Value>> {
        self.list(token, &SECURITY_GROUPS, query).await
    }

    /// Creates a port: the port.
    pub async fn create_port(&self, token: &str, port: Value) -> Result<Value> {
        self.create(token, &PORTS, port).await
    }

    /// Updates port `id`: the port.
    pub async fn update_port(&self, token: &str, id: &str, port: Value) -> Result<Value> {
        self.update(token, &PORTS, id, port).await
    }

    /// Deletes port `id`; one already gone is deleted.
    pub async fn delete_port(&self, token: &str, id: &str) -> Result<()> {
        match self.delete(token, &PORTS, id).await {
            Ok(()) | Err(NetworkApiError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// A kind of Neutron resource: its collection's path and its body keys.
pub struct Resource {
    path: &'static str,
    one: &'static str,
    many: &'static str,
}

/// `/v2.0/networks`.
pub const NETWORKS: Resource = Resource {
    path: "networks",
    one: "network",
    many: "networks",
};
/// `/v2.0/ports`.
pub const PORTS: Resource = Resource {
    path: "ports",
    one: "port",
    many: "ports",
};
/// `/v2.0/floatingips`.
pub const FLOATING_IPS: Resource = Resource {
    path: "floatingips",
    one: "floatingip",
    many: "floatingips",
};
/// `/v2.0/security-groups`.
pub const SECURITY_GROUPS: Resource = Resource {
    path: "security-groups",
    one: "security_group",
    many: "security_groups",
};
/// `/v2.0/security-group-rules`.
pub const SECURITY_GROUP_RULES: Resource = Resource {
    path: "security-group-rules",
    one: "security_group_rule",
    many: "security_group_rules",
};

impl Resource {
    /// The path of item `id`, when `id` is one segment of id characters.
    fn item(&self, id: &str) -> Option<String> {
        let safe = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        safe.then(|| format!("/{}/{id}", self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutron_errors_give_their_type_and_message() {
        let body = json!({"NeutronError": {"type": "PortInUse", "message": "Port p is in use.", "detail": ""}});
        assert_eq!(
            neutron_error(&body),
            ("PortInUse".to_string(), "Port p is in use.".to_string())
        );
        assert_eq!(neutron_error(&Value::Null).0, "");
    }

    #[test]
    fn only_plain_ids_make_item_paths() {
        assert_eq!(PORTS.item("a-1_b").as_deref(), Some("/ports/a-1_b"));
        for bad in ["", "..", "a/b", "a?b", "a%2f"] {
            assert_eq!(PORTS.item(bad), None, "{bad}");
        }
    }

    #[test]
    fn queries_are_encoded() {
        assert_eq!(
            query(&[("device_id", "a b"), ("fields", "id")]),
            "device_id=a+b&fields=id"
        );
    }
}
