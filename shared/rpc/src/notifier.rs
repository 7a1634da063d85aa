//! A service's notifier: requests only enqueue; a background task publishes, so a
//! slow or absent bus never slows the API.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;

use crate::{Notification, Priority, Transport};

/// Events waiting to be published before new ones are dropped (with a warning).
const QUEUE_DEPTH: usize = 4096;

/// Where notifications go (`[oslo_messaging_notifications] driver`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyDriver {
    /// `messagingv2`: oslo's v2 envelope on `notifications.<priority>`.
    Messaging,
    /// `log`: one log line per notification.
    Log,
    /// `noop`: nothing.
    Noop,
}

impl NotifyDriver {
    /// Parses an upstream driver name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "messagingv2" => Some(NotifyDriver::Messaging),
            "log" => Some(NotifyDriver::Log),
            "noop" | "" => Some(NotifyDriver::Noop),
            _ => None,
        }
    }
}

/// Emits notifications; cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    publisher_id: Arc<str>,
    tx: Option<mpsc::Sender<Notification>>,
}

impl Notifier {
    /// A notifier that emits nothing.
    pub fn disabled() -> Self {
        Notifier {
            publisher_id: Arc::from(""),
            tx: None,
        }
    }

    /// Starts the background publisher for `driver`; `transport` is required for
    /// [`NotifyDriver::Messaging`].
    pub fn start(
        driver: NotifyDriver,
        publisher_id: &str,
        transport: Option<Arc<dyn Transport>>,
    ) -> Self {
        if driver == NotifyDriver::Noop {
            return Notifier::disabled();
        }
        let (tx, mut rx) = mpsc::channel::<Notification>(QUEUE_DEPTH);
        tokio::spawn(async move {
            while let Some(n) = rx.recv().await {
                match &transport {
                    Some(transport) => {
                        if let Err(e) = transport.notify(&n).await {
                            tracing::warn!(event_type = n.event_type, "notification lost: {e}");
                        }
                    }
                    None => tracing::info!(
                        target: "notifications",
                        publisher_id = n.publisher_id,
                        event_type = n.event_type,
                        payload = %n.payload,
                        "notification"
                    ),
                }
            }
        });
        Notifier {
            publisher_id: Arc::from(publisher_id),
            tx: Some(tx),
        }
    }

    /// Whether notifications are emitted at all.
    pub fn enabled(&self) -> bool {
        self.tx.is_some()
    }

    /// The publisher id, e.g. `identity.host1`.
    pub fn publisher_id(&self) -> &str {
        &self.publisher_id
    }

    /// Queues `event_type` with `payload` at `priority`.
    pub fn emit(&self, event_type: &str, priority: Priority, payload: Value) {
        let Some(tx) = &self.tx else { return };
        let n = Notification::new(&self.publisher_id, event_type, priority, payload);
        if tx.try_send(n).is_err() {
            tracing::warn!(event_type, "notification queue full, event dropped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messaging_driver_publishes_on_the_bus() {
        let transport = crate::connect("memory://notifier-test", Default::default())
            .await
            .unwrap();
        let mut stream = transport.listen(Priority::Info).await.unwrap();
        let notifier = Notifier::start(NotifyDriver::Messaging, "svc.host", Some(transport));
        notifier.emit(
            "svc.thing.created",
            Priority::Info,
            serde_json::json!({"id": 1}),
        );
        let got = stream.next().await.unwrap();
        assert_eq!(got.event_type, "svc.thing.created");
        assert_eq!(got.publisher_id, "svc.host");
    }

    #[test]
    fn drivers_parse_upstream_names() {
        assert_eq!(
            NotifyDriver::parse("messagingv2"),
            Some(NotifyDriver::Messaging)
        );
        assert_eq!(NotifyDriver::parse("noop"), Some(NotifyDriver::Noop));
        assert_eq!(NotifyDriver::parse("kafka"), None);
        assert!(!Notifier::disabled().enabled());
    }
}
