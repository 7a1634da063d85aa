//! Cinder's view of what a backend reports: the capability names and JSON
//! types the scheduler's filters match extra specs against, and that
//! `scheduler-stats/get_pools` and `capabilities/{host}` show.

use crate::rpc::messages::Capabilities;
use serde_json::{json, Map, Value};

/// The pool of a backend: each backend here is one pool named after its
/// `volume_backend_name`, as Cinder's LVM driver names its single pool.
pub fn pool_name(c: &Capabilities) -> String {
    format!("{}#{}", c.host, c.volume_backend_name)
}

/// The reported capabilities by Cinder's names.
pub fn as_map(c: &Capabilities) -> Map<String, Value> {
    let timestamp = chrono::DateTime::from_timestamp(c.reported_at, 0)
        .map(|t| t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string());
    let value = json!({
        "pool_name": c.volume_backend_name,
        "volume_backend_name": c.volume_backend_name,
        "vendor_name": c.vendor_name,
        "driver_version": c.driver_version,
        "storage_protocol": c.storage_protocol,
        "total_capacity_gb": c.total_capacity_gb,
        "free_capacity_gb": c.free_capacity_gb,
        "reserved_percentage": c.reserved_percentage,
        "provisioned_capacity_gb": c.provisioned_capacity_gb,
        "max_over_subscription_ratio": c.max_over_subscription_ratio,
        "multiattach": c.multiattach,
        "thin_provisioning_support": c.thin_provisioning_support,
        "thick_provisioning_support": c.thick_provisioning_support,
        "QoS_support": false,
        "timestamp": timestamp,
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The body of `GET /capabilities/{host}`: Cinder's summary view with the
/// standard properties every driver declares.
pub fn summary(c: &Capabilities) -> Value {
    let property = |title: &str, description: &str| json!({"title": title, "description": description, "type": "boolean"});
    json!({
        "namespace": format!("OS::Storage::Capabilities::{}", c.host),
        "vendor_name": c.vendor_name,
        "volume_backend_name": c.volume_backend_name,
        "pool_name": c.volume_backend_name,
        "driver_version": c.driver_version,
        "storage_protocol": c.storage_protocol,
        "display_name": null,
        "description": null,
        "visibility": null,
        "replication_targets": [],
        "properties": {
            "thin_provisioning": property("Thin Provisioning", "Sets thin provisioning."),
            "compression": property("Compression", "Enables compression."),
            "qos": property("QoS", "Enables QoS."),
            "replication_enabled": property("Replication", "Enables replication."),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types() {
        let c = Capabilities {
            host: "node1@gold".into(),
            volume_backend_name: "gold".into(),
            multiattach: true,
            free_capacity_gb: 9.5,
            reported_at: 86_400,
            ..Capabilities::default()
        };
        assert_eq!(pool_name(&c), "node1@gold#gold");
        let map = as_map(&c);
        assert_eq!(map["multiattach"], json!(true));
        assert_eq!(map["free_capacity_gb"], json!(9.5));
        assert_eq!(map["timestamp"], json!("1970-01-02T00:00:00.000000"));
        assert_eq!(
            summary(&c)["namespace"],
            "OS::Storage::Capabilities::node1@gold"
        );
    }
}
