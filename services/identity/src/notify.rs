//! CADF-shaped notifications (`identity.<resource>.<operation>`), as Keystone emits
//! with `notification_format = cadf`. Requests only enqueue; a background task
//! publishes, so a slow bus never slows the API.

use chrono::Utc;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// Events waiting to be published before new ones are dropped (with a warning).
const QUEUE_DEPTH: usize = 1024;

/// One notification: event type and payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub event_type: String,
    pub payload: Value,
}

/// Enqueues notifications; disabled when notifications are off.
#[derive(Clone)]
pub struct Notifier {
    publisher_id: String,
    tx: Option<mpsc::Sender<Notification>>,
}

impl Notifier {
    /// A notifier that publishes nothing.
    pub fn disabled() -> Self {
        Notifier {
            publisher_id: String::new(),
            tx: None,
        }
    }

    /// A notifier and the receiving end the publisher task drains.
    pub fn channel(host: &str) -> (Self, mpsc::Receiver<Notification>) {
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        (
            Notifier {
                publisher_id: format!("identity.{host}"),
                tx: Some(tx),
            },
            rx,
        )
    }

    /// The publisher id (`identity.<host>`).
    pub fn publisher_id(&self) -> &str {
        &self.publisher_id
    }

    /// `operation` is created, updated or deleted.
    pub fn resource_event(&self, operation: &str, resource_type: &str, resource_id: &str) {
        let Some(tx) = &self.tx else { return };
        let notification = Notification {
            event_type: format!("identity.{resource_type}.{operation}"),
            payload: cadf_payload(operation, resource_type, resource_id),
        };
        if tx.try_send(notification).is_err() {
            tracing::warn!(
                resource_type,
                operation,
                "notification queue full, event dropped"
            );
        }
    }
}

fn cadf_payload(operation: &str, resource_type: &str, resource_id: &str) -> Value {
    json!({
        "typeURI": "http://schemas.dmtf.org/cloud/audit/1.0/event",
        "id": uuid::Uuid::new_v4().to_string(),
        "eventType": "activity",
        "eventTime": Utc::now().format("%Y-%m-%dT%H:%M:%S%.6f+0000").to_string(),
        "action": format!("{operation}.{resource_type}"),
        "outcome": "success",
        "observer": {"typeURI": "service/security", "id": "openstack:identity"},
        "initiator": {"typeURI": "service/security/account/user", "id": "openstack:identity"},
        "target": {"typeURI": format!("data/security/{resource_type}"), "id": resource_id},
        "resource_info": resource_id,
    })
}

/// Drains queued notifications into the log, as oslo.messaging's `log` driver does.
/// Publishing on the message bus (`messagingv2`) arrives with the RPC transports.
pub fn spawn_log_publisher(publisher_id: String, mut rx: mpsc::Receiver<Notification>) {
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            tracing::info!(target: "notifications", publisher_id, event_type = event.event_type, payload = %event.payload, "notification");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_are_cadf_shaped() {
        let (notifier, mut rx) = Notifier::channel("host1");
        notifier.resource_event("created", "project", "p1");
        let event = rx.recv().await.unwrap();
        assert_eq!(event.event_type, "identity.project.created");
        assert_eq!(event.payload["action"], "created.project");
        assert_eq!(event.payload["target"]["id"], "p1");
        assert_eq!(event.payload["resource_info"], "p1");
        assert_eq!(notifier.publisher_id(), "identity.host1");
        Notifier::disabled().resource_event("created", "project", "p2");
    }
}
