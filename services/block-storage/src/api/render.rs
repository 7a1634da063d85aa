//! Volume bodies as Cinder's views build them, version-gated fields included.

use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Map, Value};

use crate::db::entity::{attachment, volume};

/// Cinder's timestamp format.
pub(super) fn time(t: &chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Cinder's `self` and `bookmark` links of `id` in `collection` of `project`.
pub(super) fn links(base: &str, project: &str, collection: &str, id: &str) -> Value {
    json!([
        {"rel": "self", "href": format!("{base}/v3/{project}/{collection}/{id}")},
        {"rel": "bookmark", "href": format!("{base}/{project}/{collection}/{id}")},
    ])
}

/// Adds `volume_image_metadata` (show and the detail list only) when the
/// volume came from an image.
pub fn add_image_metadata(body: &mut Value, v: &volume::Model) {
    let metadata = v
        .image_metadata
        .as_deref()
        .and_then(|text| serde_json::from_str::<Value>(text).ok());
    if let (Some(metadata), Some(body)) = (metadata, body.as_object_mut()) {
        body.insert("volume_image_metadata".into(), metadata);
    }
}

/// The summary view (`GET /volumes`).
pub fn summary(base: &str, v: &volume::Model) -> Value {
    json!({"id": v.id, "name": v.name, "links": links(base, &v.project_id, "volumes", &v.id)})
}

/// The attributes Cinder's extensions add to a volume that is shown or listed
/// in detail (not to create and update answers): its project, and for admins
/// its host and migration state.
pub fn add_extended_attributes(body: &mut Value, v: &volume::Model, admin: bool) {
    let Some(body) = body.as_object_mut() else {
        return;
    };
    body.insert("os-vol-tenant-attr:tenant_id".into(), json!(v.project_id));
    if admin {
        let host = match (&v.host, &v.pool) {
            (Some(host), Some(pool)) => Some(format!("{host}#{pool}")),
            (host, _) => host.clone(),
        };
        body.insert("os-vol-host-attr:host".into(), json!(host));
        body.insert(
            "os-vol-mig-status-attr:migstat".into(),
            json!(v.migration_status),
        );
        body.insert("os-vol-mig-status-attr:name_id".into(), Value::Null);
    }
}

/// The detailed view (`GET /volumes/detail`, show, create, update); `type_name`
/// is the volume type's name, admin-only fields only for admins.
/// `attached` are the volume's attached attachments. Show and list add
/// [`add_extended_attributes`] too, as Cinder's extensions do.
pub fn detail(
    base: &str,
    v: &volume::Model,
    type_name: &str,
    attached: &[&attachment::Model],
    version: ApiVersion,
    admin: bool,
) -> Value {
    let mut metadata: Value = serde_json::from_str(&v.metadata).unwrap_or_else(|_| json!({}));
    if let (Some(readonly), Some(shown)) = (&v.readonly, metadata.as_object_mut()) {
        shown.insert("readonly".into(), json!(readonly));
    }
    let mut body = Map::new();
    let mut put = |k: &str, value: Value| {
        body.insert(k.to_string(), value);
    };
    put("id", json!(v.id));
    put("name", json!(v.name));
    put("description", json!(v.description));
    put("status", json!(v.status));
    put("size", json!(v.size));
    put("availability_zone", json!(v.availability_zone));
    put("created_at", json!(time(&v.created_at)));
    put("updated_at", json!(time(&v.updated_at)));
    put("volume_type", json!(type_name));
    put("snapshot_id", json!(v.snapshot_id));
    put("source_volid", json!(v.source_volid));
    put("metadata", metadata);
    put("links", links(base, &v.project_id, "volumes", &v.id));
    put("user_id", json!(v.user_id));
    put("bootable", json!(if v.bootable { "true" } else { "false" }));
    put("encrypted", json!(false));
    put("replication_status", Value::Null);
    put("consistencygroup_id", Value::Null);
    put("multiattach", json!(v.multiattach));
    let attachments: Vec<Value> = attached
        .iter()
        .map(|a| {
            json!({
                "id": v.id,
                "attachment_id": a.id,
                "volume_id": v.id,
                "server_id": a.instance_uuid,
                "host_name": null,
                "device": a.mountpoint,
                "attached_at": a.attached_at.map(|t| time(&t)),
            })
        })
        .collect();
    put("attachments", json!(attachments));
    if admin {
        put("migration_status", json!(v.migration_status));
    }
    if version >= ApiVersion::new(3, 13) {
        put("group_id", json!(v.group_id));
    }
    if version >= ApiVersion::new(3, 21) && admin {
        put("provider_id", Value::Null);
    }
    if version >= ApiVersion::new(3, 48) {
        put("shared_targets", json!(false));
        put("service_uuid", Value::Null);
    }
    if version >= ApiVersion::new(3, 61) && admin {
        put("cluster_name", Value::Null);
    }
    if version >= ApiVersion::new(3, 63) {
        put("volume_type_id", json!(v.volume_type_id));
    }
    if version >= ApiVersion::new(3, 64) {
        put("encryption_key_id", Value::Null);
    }
    if version >= ApiVersion::new(3, 65) {
        put("consumes_quota", json!(true));
    }
    Value::Object(body)
}
