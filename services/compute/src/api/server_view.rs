//! How a server reads at each microversion: the list item (id, name, links)
//! and the full view of show and detail, with the `OS-EXT-*` attributes,
//! admin-only fields, and the fields later versions add.

use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha224};

use crate::domain::servers::{status, InstanceFlavor, Server};
use crate::domain::Caller;

const fn v(minor: u16) -> ApiVersion {
    ApiVersion::new(2, minor)
}

/// Nova's `created`/`updated` format.
fn stamp(t: &chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Nova's `OS-SRV-USG:*` format.
fn usage_stamp(t: &Option<chrono::NaiveDateTime>) -> Value {
    t.map_or(Value::Null, |t| {
        json!(t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string())
    })
}

/// A server's self and bookmark links.
pub fn links(base: &str, id: &str) -> Value {
    json!([
        {"rel": "self", "href": format!("{base}/v2.1/servers/{id}")},
        {"rel": "bookmark", "href": format!("{base}/servers/{id}")},
    ])
}

/// The list item.
pub fn summary(base: &str, server: &Server) -> Value {
    json!({
        "id": server.row.uuid,
        "name": server.row.display_name,
        "links": links(base, &server.row.uuid),
    })
}

/// `hostId`: the host hashed with the project, so projects cannot compare hosts.
fn host_id(project: &str, host: Option<&str>) -> String {
    match host {
        Some(host) if !host.is_empty() => {
            format!(
                "{:x}",
                Sha224::digest(format!("{project}{host}").as_bytes())
            )
        }
        _ => String::new(),
    }
}

fn flavor_view(base: &str, flavor: &InstanceFlavor, version: ApiVersion) -> Value {
    if version >= v(47) {
        json!({
            "vcpus": flavor.vcpus,
            "ram": flavor.memory_mb,
            "disk": flavor.root_gb,
            "ephemeral": flavor.ephemeral_gb,
            "swap": flavor.swap,
            "original_name": flavor.name,
            "extra_specs": flavor.extra_specs,
        })
    } else {
        json!({
            "id": flavor.flavorid,
            "links": [{"rel": "bookmark", "href": format!("{base}/flavors/{}", flavor.flavorid)}],
        })
    }
}

/// What a full view shows besides the server: who looks, and the host's state.
pub struct ViewContext<'a> {
    pub base: &'a str,
    pub version: ApiVersion,
    pub caller: &'a Caller,
    /// `os-extended-server-attributes` holds for the caller.
    pub extended: bool,
    /// `host_status` (2.16) when the caller may see it.
    pub host_status: Option<&'a str>,
    pub kind: ViewKind,
    /// The hosts' zones, for the zone each server is in.
    pub zones: &'a crate::domain::servers::zones::HostZones,
}

/// Which response a full view is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    /// `GET /servers/detail`.
    Detail,
    /// `GET /servers/{id}`.
    Show,
    /// The reply of update: before 2.75 without the extended attributes
    /// (`OS-EXT-*`, `OS-SRV-USG:*`, key_name, config_drive...).
    Changed,
    /// The reply of rebuild: as update's, with `key_name` from 2.54 and
    /// `user_data` from 2.57.
    Rebuilt,
}

/// The full view (show, detail, update, rebuild).
pub fn full(server: &Server, ctx: &ViewContext<'_>) -> Value {
    let row = &server.row;
    let version = ctx.version;
    let changed = matches!(ctx.kind, ViewKind::Changed | ViewKind::Rebuilt);
    let extended = !(changed && version < v(75));
    let flavor = InstanceFlavor::parse(&row.flavor);
    let mut body = Map::new();
    body.insert("id".into(), json!(row.uuid));
    body.insert("name".into(), json!(row.display_name));
    body.insert(
        "status".into(),
        json!(status(&row.vm_state, row.task_state.as_deref())),
    );
    body.insert("tenant_id".into(), json!(row.project_id));
    body.insert("user_id".into(), json!(row.user_id));
    body.insert("metadata".into(), json!(server.metadata));
    body.insert(
        "hostId".into(),
        json!(host_id(&row.project_id, row.host.as_deref())),
    );
    body.insert(
        "image".into(),
        if row.image_ref.is_empty() {
            json!("")
        } else {
            json!({"id": row.image_ref, "links": [{"rel": "bookmark",
                "href": format!("{}/images/{}", ctx.base, row.image_ref)}]})
        },
    );
    body.insert("flavor".into(), flavor_view(ctx.base, &flavor, version));
    body.insert("created".into(), json!(stamp(&row.created_at)));
    body.insert("updated".into(), json!(stamp(&row.updated_at)));
    body.insert(
        "addresses".into(),
        crate::domain::servers::networks::addresses(
            &server.vifs,
            matches!(ctx.kind, ViewKind::Show | ViewKind::Detail),
        ),
    );
    // Shown by show and detail only (Nova's security groups extension).
    let groups = crate::domain::servers::networks::security_groups(&server.vifs);
    if !groups.is_empty() && matches!(ctx.kind, ViewKind::Show | ViewKind::Detail) {
        let groups: Vec<Value> = groups.iter().map(|name| json!({ "name": name })).collect();
        body.insert("security_groups".into(), json!(groups));
    }
    body.insert(
        "accessIPv4".into(),
        json!(row.access_ip_v4.clone().unwrap_or_default()),
    );
    body.insert(
        "accessIPv6".into(),
        json!(row.access_ip_v6.clone().unwrap_or_default()),
    );
    body.insert("links".into(), links(ctx.base, &row.uuid));
    body.insert(
        "OS-DCF:diskConfig".into(),
        json!(if row.auto_disk_config {
            "AUTO"
        } else {
            "MANUAL"
        }),
    );
    if matches!(row.vm_state.as_str(), "building" | "active") {
        body.insert("progress".into(), json!(row.progress));
    }
    if extended {
        body.insert(
            "OS-EXT-AZ:availability_zone".into(),
            json!(ctx.zones.current(row).unwrap_or_default()),
        );
        body.insert(
            "config_drive".into(),
            json!(if row.config_drive { "True" } else { "" }),
        );
        body.insert("key_name".into(), json!(row.key_name));
        body.insert(
            "OS-SRV-USG:launched_at".into(),
            usage_stamp(&row.launched_at),
        );
        body.insert(
            "OS-SRV-USG:terminated_at".into(),
            usage_stamp(&row.terminated_at),
        );
        body.insert("OS-EXT-STS:task_state".into(), json!(row.task_state));
        body.insert("OS-EXT-STS:vm_state".into(), json!(row.vm_state));
        body.insert("OS-EXT-STS:power_state".into(), json!(row.power_state));
        let volumes: Vec<Value> = server
            .volumes
            .iter()
            .map(|(id, delete_on_termination)| {
                if version >= v(3) {
                    json!({"id": id, "delete_on_termination": delete_on_termination})
                } else {
                    json!({"id": id})
                }
            })
            .collect();
        body.insert(
            "os-extended-volumes:volumes_attached".into(),
            json!(volumes),
        );
    }
    if ctx.extended && extended {
        body.insert("OS-EXT-SRV-ATTR:host".into(), json!(row.host));
        body.insert(
            "OS-EXT-SRV-ATTR:hypervisor_hostname".into(),
            json!(row.node),
        );
        body.insert(
            "OS-EXT-SRV-ATTR:instance_name".into(),
            json!(crate::domain::servers::instance_name(&row.uuid)),
        );
        if version >= v(3) {
            body.insert(
                "OS-EXT-SRV-ATTR:reservation_id".into(),
                json!(row.reservation_id),
            );
            body.insert(
                "OS-EXT-SRV-ATTR:launch_index".into(),
                json!(row.launch_index),
            );
            body.insert("OS-EXT-SRV-ATTR:kernel_id".into(), json!(""));
            body.insert("OS-EXT-SRV-ATTR:ramdisk_id".into(), json!(""));
            body.insert("OS-EXT-SRV-ATTR:root_device_name".into(), json!("/dev/vda"));
            // A rebuild's reply carries `user_data` itself (2.57), not here.
            if ctx.kind != ViewKind::Rebuilt {
                body.insert("OS-EXT-SRV-ATTR:user_data".into(), json!(row.user_data));
            }
        }
    }
    if ctx.extended && extended && version >= v(3) || version >= v(90) {
        body.insert("OS-EXT-SRV-ATTR:hostname".into(), json!(row.hostname));
    }
    if let Some(fault) = &server.fault {
        let mut view = json!({
            "code": fault.code,
            "created": stamp(&fault.created_at),
            "message": fault.message,
        });
        if ctx.caller.is_admin || fault.code != 500 {
            view["details"] = json!(fault.details.clone().unwrap_or_default());
        }
        body.insert("fault".into(), view);
    }
    if version >= v(9) {
        body.insert("locked".into(), json!(row.locked));
    }
    if let (true, Some(host_status)) = (version >= v(16) && extended, ctx.host_status) {
        body.insert("host_status".into(), json!(host_status));
    }
    if version >= v(19) {
        body.insert("description".into(), json!(row.description));
    }
    if version >= v(26) {
        body.insert("tags".into(), json!(server.tags));
    }
    if version >= v(63) {
        body.insert("trusted_image_certificates".into(), Value::Null);
    }
    if version >= v(71) && ctx.kind != ViewKind::Detail {
        body.insert("server_groups".into(), json!(server.groups));
    }
    if version >= v(73) {
        body.insert("locked_reason".into(), json!(row.locked_reason));
    }
    if ctx.kind == ViewKind::Rebuilt && version >= v(54) {
        body.insert("key_name".into(), json!(row.key_name));
    }
    if ctx.kind == ViewKind::Rebuilt && version >= v(57) {
        body.insert("user_data".into(), json!(row.user_data));
    }
    if version >= v(96) {
        body.insert(
            "pinned_availability_zone".into(),
            json!(row.availability_zone),
        );
    }
    if version >= v(100) {
        body.insert("scheduler_hints".into(), json!({}));
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::host_id;

    #[test]
    fn host_ids_hide_hosts() {
        assert_eq!(host_id("p", None), "");
        let a = host_id("p", Some("h"));
        assert_eq!(a.len(), 56);
        assert_ne!(a, host_id("q", Some("h")));
    }
}
