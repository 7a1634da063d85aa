//! Notifications in oslo.messaging's v2 wire format, so upstream consumers
//! (ceilometer, panko, anything reading `notifications.info`) understand them.

use chrono::Utc;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::RpcError;

/// A notification's priority; it names the queue (`notifications.<priority>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Audit,
    Debug,
    Info,
    Warn,
    Error,
    Critical,
    Sample,
}

impl Priority {
    /// The lower-case name used in the routing key.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Audit => "audit",
            Priority::Debug => "debug",
            Priority::Info => "info",
            Priority::Warn => "warn",
            Priority::Error => "error",
            Priority::Critical => "critical",
            Priority::Sample => "sample",
        }
    }

    /// The routing key and queue name of this priority.
    pub fn queue(self) -> String {
        format!("notifications.{}", self.as_str())
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "audit" => Priority::Audit,
            "debug" => Priority::Debug,
            "info" => Priority::Info,
            "warn" | "warning" => Priority::Warn,
            "error" => Priority::Error,
            "critical" => Priority::Critical,
            "sample" => Priority::Sample,
            _ => return None,
        })
    }
}

/// One notification, e.g. `identity.project.created` from `identity.host1`.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub message_id: String,
    pub publisher_id: String,
    pub event_type: String,
    pub priority: Priority,
    pub payload: Value,
    /// UTC, as oslo writes it: `2026-11-26 01:02:03.456789`.
    pub timestamp: String,
}

impl Notification {
    /// A new notification stamped now with a fresh message id.
    pub fn new(publisher_id: &str, event_type: &str, priority: Priority, payload: Value) -> Self {
        Notification {
            message_id: uuid::Uuid::new_v4().to_string(),
            publisher_id: publisher_id.to_owned(),
            event_type: event_type.to_owned(),
            priority,
            payload,
            timestamp: Utc::now().format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        }
    }

    /// The message body: `{"oslo.version": "2.0", "oslo.message": "<json>"}`.
    pub fn to_wire(&self) -> Vec<u8> {
        let inner = json!({
            "message_id": self.message_id,
            "publisher_id": self.publisher_id,
            "event_type": self.event_type,
            "priority": self.priority.as_str().to_ascii_uppercase(),
            "payload": self.payload,
            "timestamp": self.timestamp,
        });
        json!({"oslo.version": "2.0", "oslo.message": inner.to_string()})
            .to_string()
            .into_bytes()
    }

    /// Parses a message body written by [`Notification::to_wire`] or oslo.messaging.
    pub fn from_wire(body: &[u8]) -> Result<Self, RpcError> {
        let outer: Value =
            serde_json::from_slice(body).map_err(|e| RpcError::Decode(e.to_string()))?;
        let inner: Value = match outer.get("oslo.message").and_then(Value::as_str) {
            Some(s) => serde_json::from_str(s).map_err(|e| RpcError::Decode(e.to_string()))?,
            None => outer,
        };
        let text = |key: &str| {
            inner
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| RpcError::Decode(format!("notification without {key}")))
        };
        let priority = text("priority")?;
        Ok(Notification {
            message_id: text("message_id")?,
            publisher_id: text("publisher_id")?,
            event_type: text("event_type")?,
            priority: Priority::parse(&priority)
                .ok_or_else(|| RpcError::Decode(format!("unknown priority {priority}")))?,
            payload: inner.get("payload").cloned().unwrap_or(Value::Null),
            timestamp: text("timestamp")?,
        })
    }
}

/// Notifications arriving on one priority's queue (competing with other listeners).
pub struct NotificationStream {
    rx: mpsc::Receiver<Notification>,
    _stop: Option<crate::ServerHandle>,
}

impl NotificationStream {
    pub(crate) fn new(rx: mpsc::Receiver<Notification>, stop: Option<crate::ServerHandle>) -> Self {
        NotificationStream { rx, _stop: stop }
    }

    /// The next notification; `None` once the transport is gone.
    pub async fn next(&mut self) -> Option<Notification> {
        self.rx.recv().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_round_trip_uses_oslo_envelope() {
        let n = Notification::new(
            "identity.host",
            "identity.project.created",
            Priority::Info,
            json!({"resource_info": "p1"}),
        );
        let wire: Value = serde_json::from_slice(&n.to_wire()).unwrap();
        assert_eq!(wire["oslo.version"], "2.0");
        let inner: Value = serde_json::from_str(wire["oslo.message"].as_str().unwrap()).unwrap();
        assert_eq!(inner["priority"], "INFO");
        assert_eq!(Notification::from_wire(&n.to_wire()).unwrap(), n);
    }

    #[test]
    fn malformed_body_is_a_decode_error() {
        assert!(matches!(
            Notification::from_wire(b"{\"oslo.message\": \"{}\"}"),
            Err(RpcError::Decode(_))
        ));
        assert!(Notification::from_wire(b"nope").is_err());
    }
}
