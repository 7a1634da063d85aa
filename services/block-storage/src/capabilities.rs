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

/// Cinder's names of what a backend reports.
const NAMES: &[&str] = &[
    "pool_name",
    "volume_backend_name",
    "vendor_name",
    "driver_version",
    "storage_protocol",
    "total_capacity_gb",
    "free_capacity_gb",
    "reserved_percentage",
    "provisioned_capacity_gb",
    "max_over_subscription_ratio",
    "multiattach",
    "thin_provisioning_support",
    "thick_provisioning_support",
    "QoS_support",
    "timestamp",
];

/// A reported value as the scheduler's filters compare it, borrowed from the
/// report (the filters read it for each backend of each decision).
#[derive(Debug, Clone, PartialEq)]
pub enum Reported<'a> {
    Text(std::borrow::Cow<'a, str>),
    Int(i64),
    Number(f64),
    Flag(bool),
    Null,
}

impl Reported<'_> {
    fn to_json(&self) -> Value {
        match self {
            Reported::Text(t) => json!(t),
            Reported::Int(n) => json!(n),
            Reported::Number(n) => json!(n),
            Reported::Flag(b) => json!(b),
            Reported::Null => Value::Null,
        }
    }
}

/// One reported capability by its Cinder name.
pub fn capability<'a>(c: &'a Capabilities, name: &str) -> Option<Reported<'a>> {
    let text = |t: &'a str| Reported::Text(std::borrow::Cow::Borrowed(t));
    Some(match name {
        "pool_name" | "volume_backend_name" => text(&c.volume_backend_name),
        "vendor_name" => text(&c.vendor_name),
        "driver_version" => text(&c.driver_version),
        "storage_protocol" => text(&c.storage_protocol),
        "total_capacity_gb" => Reported::Number(c.total_capacity_gb),
        "free_capacity_gb" => Reported::Number(c.free_capacity_gb),
        "reserved_percentage" => Reported::Int(i64::from(c.reserved_percentage)),
        "provisioned_capacity_gb" => Reported::Number(c.provisioned_capacity_gb),
        "max_over_subscription_ratio" => Reported::Number(c.max_over_subscription_ratio),
        "multiattach" => Reported::Flag(c.multiattach),
        "thin_provisioning_support" => Reported::Flag(c.thin_provisioning_support),
        "thick_provisioning_support" => Reported::Flag(c.thick_provisioning_support),
        "QoS_support" => Reported::Flag(false),
        "timestamp" => match chrono::DateTime::from_timestamp(c.reported_at, 0) {
            Some(t) => Reported::Text(std::borrow::Cow::Owned(
                t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            )),
            None => Reported::Null,
        },
        _ => return None,
    })
}

/// The reported capabilities by Cinder's names.
pub fn as_map(c: &Capabilities) -> Map<String, Value> {
    NAMES
        .iter()
        .filter_map(|name| capability(c, name).map(|value| (name.to_string(), value.to_json())))
        .collect()
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
