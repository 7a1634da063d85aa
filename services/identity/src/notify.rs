//! CADF-shaped notifications (`identity.<resource>.<operation>`), as Keystone emits
//! with `notification_format = cadf`. Requests only enqueue; a background task
//! publishes, so a slow bus never slows the API.

use chrono::Utc;
use ferrostack_rpc::Priority;
use serde_json::{json, Value};

/// Emits Keystone's CADF resource events through the service's notifier.
#[derive(Clone)]
pub struct Notifier {
    inner: ferrostack_rpc::Notifier,
}

impl Notifier {
    pub fn new(inner: ferrostack_rpc::Notifier) -> Self {
        Notifier { inner }
    }

    /// A notifier that publishes nothing.
    pub fn disabled() -> Self {
        Notifier::new(ferrostack_rpc::Notifier::disabled())
    }

    /// `operation` is created, updated or deleted.
    pub fn resource_event(&self, operation: &str, resource_type: &str, resource_id: &str) {
        if self.inner.enabled() {
            self.inner.emit(
                &format!("identity.{resource_type}.{operation}"),
                Priority::Info,
                cadf_payload(operation, resource_type, resource_id),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_are_cadf_shaped_on_the_bus() {
        let transport = ferrostack_rpc::connect("memory://identity-notify", Default::default())
            .await
            .unwrap();
        let mut stream = transport.listen(Priority::Info).await.unwrap();
        let notifier = Notifier::new(ferrostack_rpc::Notifier::start(
            ferrostack_rpc::NotifyDriver::Messaging,
            "identity.host1",
            Some(transport),
        ));
        notifier.resource_event("created", "project", "p1");
        let event = stream.next().await.unwrap();
        assert_eq!(event.event_type, "identity.project.created");
        assert_eq!(event.publisher_id, "identity.host1");
        assert_eq!(event.payload["action"], "created.project");
        assert_eq!(event.payload["target"]["id"], "p1");
        assert_eq!(event.payload["resource_info"], "p1");
        Notifier::disabled().resource_event("created", "project", "p2");
    }
}
