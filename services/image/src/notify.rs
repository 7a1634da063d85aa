//! Glance's notifications (`image.create`, `image.update`, `image.prepare`,
//! `image.upload`, `image.activate`, `image.delete`, `image.send`) with upstream's
//! payloads. Requests only enqueue; the rpc notifier publishes in the background.

use ferrostack_rpc::Priority;
use serde_json::{json, Value};

use crate::domain::model::{format_time, Image, Visibility};

/// Emits image events through the service's notifier.
#[derive(Clone)]
pub struct Notifier {
    inner: ferrostack_rpc::Notifier,
}

impl Notifier {
    pub fn new(inner: ferrostack_rpc::Notifier) -> Self {
        Notifier { inner }
    }

    /// `event_type` about `image`, with `format_image_notification`'s payload.
    pub fn image_event(&self, event_type: &str, image: &Image) {
        if self.inner.enabled() {
            self.inner.emit(event_type, Priority::Info, payload(image));
        }
    }

    /// `image.send`: `bytes_sent` of `image` went to the caller.
    pub fn image_sent(
        &self,
        image: &Image,
        user_id: &str,
        project_id: Option<&str>,
        bytes_sent: u64,
    ) {
        if self.inner.enabled() {
            self.inner.emit(
                "image.send",
                Priority::Info,
                json!({
                    "bytes_sent": bytes_sent,
                    "image_id": image.id,
                    "owner_id": image.owner,
                    "receiver_tenant_id": project_id,
                    "receiver_user_id": user_id,
                    "destination_ip": Value::Null,
                }),
            );
        }
    }
}

fn payload(image: &Image) -> Value {
    json!({
        "id": image.id,
        "name": image.name,
        "status": image.status.as_str(),
        "created_at": format_time(&image.created_at),
        "updated_at": format_time(&image.updated_at),
        "min_disk": image.min_disk,
        "min_ram": image.min_ram,
        "protected": image.protected,
        "checksum": image.checksum,
        "owner": image.owner,
        "disk_format": image.disk_format,
        "container_format": image.container_format,
        "size": image.size,
        "virtual_size": image.virtual_size,
        "is_public": image.visibility == Visibility::Public,
        "visibility": image.visibility.as_str(),
        "properties": image.properties,
        "tags": image.tags,
        "deleted": false,
        "deleted_at": Value::Null,
        "os_hash_algo": image.os_hash_algo,
        "os_hash_value": image.os_hash_value,
        "os_hidden": image.os_hidden,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_reach_the_bus_with_upstream_payloads() {
        let transport = ferrostack_rpc::connect("memory://image-notify", Default::default())
            .await
            .unwrap();
        let mut stream = transport.listen(Priority::Info).await.unwrap();
        let notifier = Notifier::new(ferrostack_rpc::Notifier::start(
            ferrostack_rpc::NotifyDriver::Messaging,
            "image.host1",
            Some(transport),
        ));
        let mut image = Image::new("i1".into(), Some("p1".into()));
        image.properties.insert("os_distro".into(), "debian".into());
        notifier.image_event("image.create", &image);
        let event = stream.next().await.unwrap();
        assert_eq!(event.event_type, "image.create");
        assert_eq!(event.publisher_id, "image.host1");
        assert_eq!(event.payload["id"], "i1");
        assert_eq!(event.payload["is_public"], false);
        assert_eq!(event.payload["properties"]["os_distro"], "debian");
        notifier.image_sent(&image, "u1", Some("p2"), 42);
        let event = stream.next().await.unwrap();
        assert_eq!(event.event_type, "image.send");
        assert_eq!(event.payload["bytes_sent"], 42);
    }
}
