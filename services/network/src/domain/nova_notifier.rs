//! Compute told about its servers' ports (Neutron's nova notifier): a port
//! of a server going up or down (`network-vif-plugged`/`unplugged`), deleted
//! (`network-vif-deleted`), or its addresses or floating IPs changed
//! (`network-changed`), as `os-server-external-events` on the service user's
//! token. Sent in the background: a compute that is away delays nothing here.

use std::sync::Arc;
use std::time::Duration;

use ferrostack_auth::service_endpoint::ServiceEndpoint;
use ferrostack_auth::{service_http, Authenticator};
use serde_json::{json, Value};

use crate::config::NovaNotifications;
use crate::db::entity::port;

/// Where compute is and which events it wants.
pub struct NovaNotifier {
    options: NovaNotifications,
    http: reqwest::Client,
    endpoint: ServiceEndpoint,
    auth: Option<Arc<Authenticator>>,
}

/// The server a port belongs to, when a server owns it (`compute:*`).
pub fn server_of(port: &port::Model) -> Option<&str> {
    (port.device_owner.starts_with("compute:") && !port.device_id.is_empty())
        .then_some(port.device_id.as_str())
}

/// One event about `port` of `server`.
pub fn event(name: &str, server: &str, port: &str, status: &str) -> Value {
    json!({"name": name, "server_uuid": server, "tag": port, "status": status})
}

impl NovaNotifier {
    pub fn new(options: NovaNotifications, auth: Option<Arc<Authenticator>>) -> Self {
        NovaNotifier {
            http: service_http::client(service_http::Timeouts {
                connect: Duration::from_secs(10),
                read: Duration::from_secs(30),
            }),
            endpoint: ServiceEndpoint::new(
                options.endpoint_override.iter().cloned().collect(),
                ("compute".into(), "public".into()),
                auth.clone(),
            ),
            options,
            auth,
        }
    }

    /// `port` went up or down.
    pub fn status_changed(self: &Arc<Self>, port: &port::Model, up: bool) {
        if let (true, Some(server)) = (self.options.status_changes, server_of(port)) {
            let name = if up {
                "network-vif-plugged"
            } else {
                "network-vif-unplugged"
            };
            self.send(vec![event(name, server, &port.id, "completed")]);
        }
    }

    /// `port` is gone.
    pub fn deleted(self: &Arc<Self>, port: &port::Model) {
        if let (true, Some(server)) = (self.options.status_changes, server_of(port)) {
            self.send(vec![event(
                "network-vif-deleted",
                server,
                &port.id,
                "completed",
            )]);
        }
    }

    /// The addresses of `port` (fixed or floating) changed.
    pub fn data_changed(self: &Arc<Self>, port: &port::Model) {
        if let (true, Some(server)) = (self.options.data_changes, server_of(port)) {
            self.send(vec![event(
                "network-changed",
                server,
                &port.id,
                "completed",
            )]);
        }
    }

    fn send(self: &Arc<Self>, events: Vec<Value>) {
        let notifier = self.clone();
        tokio::spawn(async move {
            if let Err(e) = notifier.post(&events).await {
                tracing::warn!("compute not told of {events:?}: {e}");
            }
        });
    }

    async fn post(&self, events: &[Value]) -> Result<(), String> {
        let Some(auth) = &self.auth else {
            return Ok(());
        };
        let Some(base) = self.endpoint.url_if_any().await? else {
            return Ok(());
        };
        let token = auth.service_token().await?;
        let url = format!("{base}/os-server-external-events");
        let (status, body) = service_http::send_json(
            &self.http,
            reqwest::Method::POST,
            &url,
            &token,
            &[],
            Some(&json!({ "events": events })),
        )
        .await
        .map_err(|e| e.to_string())?;
        match status {
            200 | 207 => Ok(()),
            // No such server (any more): nobody to tell.
            404 => Ok(()),
            other => Err(format!("compute answered {other}: {body}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(owner: &str, device: &str) -> port::Model {
        port::Model {
            device_owner: owner.into(),
            device_id: device.into(),
            ..crate::db::entity::port::Model::default()
        }
    }

    #[test]
    fn only_servers_ports_are_told() {
        assert_eq!(server_of(&port("compute:nova", "s1")), Some("s1"));
        assert_eq!(server_of(&port("compute:nova", "")), None);
        assert_eq!(server_of(&port("network:dhcp", "d")), None);
    }
}
