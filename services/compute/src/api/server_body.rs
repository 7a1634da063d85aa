//! The bodies of `POST /servers` and `PUT /servers/{id}` as Nova's schemas take
//! them at each microversion, into the domain's requests.

use std::collections::BTreeMap;

use base64::Engine;
use ferrostack_api::microversion::ApiVersion;
use serde_json::Value;

use super::schema::{boolean, bounded_integer, check_name, field_error, only, python_repr};
use crate::domain::servers::networks::NetworkRequest;
use crate::domain::servers::{BlockDevice, Networks, NewServer, RebuildRequest, ServerUpdate};
use crate::domain::{NovaError, Result};

const fn v(minor: u16) -> ApiVersion {
    ApiVersion::new(2, minor)
}

/// A body that must be an object of only `allowed` keys.
fn top_level(body: &Value, allowed: &[&str]) -> Result<()> {
    let Some(map) = body.as_object() else {
        return Err(NovaError::BadRequest(format!(
            "{} is not of type 'object'",
            python_repr(body)
        )));
    };
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(extra) => Err(NovaError::BadRequest(format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        ))),
        None => Ok(()),
    }
}

fn required(field: &str) -> NovaError {
    NovaError::BadRequest(format!("'{field}' is a required property"))
}

/// A string field of at most `max` characters.
fn string(field: &str, value: &Value, min: usize, max: usize) -> Result<String> {
    let Some(text) = value.as_str() else {
        return Err(field_error(
            field,
            value,
            &format!("{} is not of type 'string'", python_repr(value)),
        ));
    };
    let len = text.chars().count();
    if len < min {
        return Err(field_error(
            field,
            value,
            &format!("{} is too short", python_repr(value)),
        ));
    }
    if len > max {
        return Err(field_error(
            field,
            value,
            &format!("{} is too long", python_repr(value)),
        ));
    }
    Ok(text.to_string())
}

fn name(field: &str, value: &Value) -> Result<String> {
    let text = string(field, value, 1, 255)?;
    check_name(&text)?;
    Ok(text)
}

/// `metadata`: string keys (1-255) to string values (at most 255).
pub fn metadata(field: &str, value: &Value) -> Result<BTreeMap<String, String>> {
    let Some(map) = value.as_object() else {
        return Err(field_error(
            field,
            value,
            &format!("{} is not of type 'object'", python_repr(value)),
        ));
    };
    let mut out = BTreeMap::new();
    for (key, item) in map {
        if key.is_empty() || key.chars().count() > 255 {
            return Err(field_error(
                field,
                value,
                &format!(
                    "'{key}' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{{1,255}}$'"
                ),
            ));
        }
        out.insert(key.clone(), string(field, item, 0, 255)?);
    }
    Ok(out)
}

fn string_list(field: &str, value: &Value) -> Result<Vec<String>> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items.iter().map(|i| string(field, i, 0, 255)).collect(),
        other => Err(field_error(
            field,
            other,
            &format!("{} is not of type 'string', 'array'", python_repr(other)),
        )),
    }
}

fn networks(value: &Value, version: ApiVersion) -> Result<Networks> {
    match value {
        Value::String(s) if version >= v(37) && s == "auto" => Ok(Networks::Auto),
        Value::String(s) if version >= v(37) && s == "none" => Ok(Networks::None),
        Value::Array(items) => {
            let mut ids = Vec::new();
            for item in items {
                only("networks", item, &["uuid", "port", "fixed_ip", "tag"])?;
                ids.push(network_request(item)?);
            }
            Ok(Networks::Requested(ids))
        }
        other => Err(field_error(
            "networks",
            other,
            &format!(
                "{} is not valid under any of the given schemas",
                python_repr(other)
            ),
        )),
    }
}

/// `security_groups`: `[{"name": name or id}]`, each once.
fn security_groups(value: &Value) -> Result<Vec<String>> {
    let Some(items) = value.as_array() else {
        return Err(field_error(
            "security_groups",
            value,
            &format!("{} is not of type 'array'", python_repr(value)),
        ));
    };
    let mut names: Vec<String> = Vec::new();
    for item in items {
        only("security_groups", item, &["name"])?;
        if let Some(group) = item.get("name") {
            let group = string("name", group, 1, 255)?;
            if !names.contains(&group) {
                names.push(group);
            }
        }
    }
    Ok(names)
}

/// One entry of `networks`, as Nova's `_get_requested_networks` reads it.
fn network_request(item: &Value) -> Result<NetworkRequest> {
    let text = |key: &str| -> Result<Option<String>> {
        match item.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(field_error(
                key,
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            )),
        }
    };
    let request = NetworkRequest {
        network_id: text("uuid")?,
        port_id: text("port")?,
        fixed_ip: text("fixed_ip")?,
        tag: text("tag")?,
        ..NetworkRequest::default()
    };
    if let Some(ip) = &request.fixed_ip {
        if ip.parse::<std::net::IpAddr>().is_err() {
            return Err(NovaError::BadRequest(format!(
                "Invalid input for field/attribute fixed_ip. Value: {ip}. '{ip}' is not a 'ipv4' or 'ipv6'"
            )));
        }
    }
    match (&request.port_id, &request.network_id) {
        (Some(port), _) if uuid::Uuid::parse_str(port).is_err() => Err(NovaError::BadRequest(
            format!("Bad networks format: port uuid is not in proper format ({port})"),
        )),
        (Some(port), _) if request.fixed_ip.is_some() => Err(NovaError::BadRequest(format!(
            "Specified Fixed IP '{}' cannot be used with port '{port}': the two cannot be specified together.",
            request.fixed_ip.as_deref().unwrap_or_default()
        ))),
        (Some(_), _) => Ok(request),
        (None, None) => Err(NovaError::BadRequest(
            "Bad network format: missing 'uuid'".into(),
        )),
        (None, Some(network)) if uuid::Uuid::parse_str(network).is_err() => {
            Err(NovaError::BadRequest(format!(
                "Bad networks format: network uuid is not in proper format ({network})"
            )))
        }
        (None, Some(_)) => Ok(request),
    }
}

/// Tags (2.52): at most 50, each 1-60 characters without `/` or `,`.
pub fn tags(value: &Value) -> Result<Vec<String>> {
    let Some(items) = value.as_array() else {
        return Err(field_error(
            "tags",
            value,
            &format!("{} is not of type 'array'", python_repr(value)),
        ));
    };
    if items.len() > 50 {
        return Err(field_error("tags", value, "is too long"));
    }
    items
        .iter()
        .map(|t| {
            let tag = string("tags", t, 1, 60)?;
            if tag.contains('/') || tag.contains(',') {
                return Err(field_error(
                    "tags",
                    t,
                    &format!("{} does not match '^[^,/]*$'", python_repr(t)),
                ));
            }
            Ok(tag)
        })
        .collect()
}

/// The keys a create's `server` takes at `version`.
fn create_keys(version: ApiVersion) -> Vec<&'static str> {
    let mut keys = vec![
        "name",
        "imageRef",
        "flavorRef",
        "adminPass",
        "metadata",
        "networks",
        "key_name",
        "user_data",
        "availability_zone",
        "config_drive",
        "min_count",
        "max_count",
        "return_reservation_id",
        "security_groups",
        "accessIPv4",
        "accessIPv6",
        "OS-DCF:diskConfig",
        "block_device_mapping",
        "block_device_mapping_v2",
    ];
    if version < v(57) {
        keys.push("personality");
    }
    if version >= v(19) {
        keys.push("description");
    }
    if version >= v(52) {
        keys.push("tags");
    }
    if version >= v(63) {
        keys.push("trusted_image_certificates");
    }
    if version >= v(74) {
        keys.extend(["host", "hypervisor_hostname"]);
    }
    if version >= v(90) {
        keys.push("hostname");
    }
    keys
}

/// The create request (`{"server": {...}, "os:scheduler_hints": {...}}`).
pub fn new_server(body: &Value, version: ApiVersion) -> Result<(NewServer, bool)> {
    top_level(
        body,
        &["server", "os:scheduler_hints", "OS-SCH-HNT:scheduler_hints"],
    )?;
    let server = body.get("server").ok_or_else(|| required("server"))?;
    only("server", server, &create_keys(version))?;
    let get = |k: &str| server.get(k).filter(|v| !v.is_null());
    if get("block_device_mapping").is_some() {
        return Err(NovaError::BadRequest(
            "Legacy block device mappings are not supported by this cloud.".into(),
        ));
    }
    let (bdm_image, devices) = match get("block_device_mapping_v2") {
        Some(value) => block_devices(value)?,
        None => (None, Vec::new()),
    };
    let volume_root = devices.iter().any(|d| d.boot_index == Some(0));
    let mut new = NewServer {
        name: name("name", server.get("name").ok_or_else(|| required("name"))?)?,
        flavor_ref: string(
            "flavorRef",
            server
                .get("flavorRef")
                .ok_or_else(|| required("flavorRef"))?,
            1,
            255,
        )?,
        image_ref: match (server.get("imageRef"), &bdm_image) {
            (Some(value), _) => string("imageRef", value, 0, 255)?,
            (None, Some(image)) => image.clone(),
            (None, None) if volume_root => String::new(),
            (None, None) => return Err(required("imageRef")),
        },
        block_devices: devices,
        min_count: 1,
        max_count: 1,
        ..NewServer::default()
    };
    if new.image_ref.is_empty() {
        new.image_ref = bdm_image.unwrap_or_default();
    }
    if volume_root {
        // A volume is the root disk: no image is.
        new.image_ref.clear();
    } else if new.image_ref.is_empty() {
        return Err(NovaError::BadRequest(
            "Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.".into(),
        ));
    }
    new.networks = match server.get("networks") {
        Some(value) => Some(networks(value, version)?),
        None if version >= v(37) => return Err(required("networks")),
        None => None,
    };
    new.auto_disk_config = super::schema::disk_config(server)?;
    if let Some(value) = get("security_groups") {
        new.security_groups = security_groups(value)?;
    }
    if let Some(value) = get("key_name") {
        new.key_name = Some(string("key_name", value, 1, 255)?);
    }
    if let Some(value) = get("user_data") {
        let data = string("user_data", value, 0, 65535)?;
        if base64::engine::general_purpose::STANDARD
            .decode(&data)
            .is_err()
        {
            return Err(field_error(
                "user_data",
                value,
                &format!("{} is not a 'base64'", python_repr(value)),
            ));
        }
        new.user_data = Some(data);
    }
    if let Some(value) = get("metadata") {
        new.metadata = metadata("metadata", value)?;
    }
    if let Some(value) = get("availability_zone") {
        new.availability_zone = Some(string("availability_zone", value, 1, 255)?);
    }
    if let Some(value) = get("config_drive") {
        new.config_drive = value.as_str() != Some("") && boolean("config_drive", value)?;
    }
    if let Some(value) = get("min_count") {
        new.min_count = bounded_integer("min_count", value, 1)?;
    }
    if let Some(value) = get("max_count") {
        new.max_count = bounded_integer("max_count", value, 1)?;
    } else {
        new.max_count = new.min_count;
    }
    if new.min_count > new.max_count {
        return Err(NovaError::BadRequest(
            "min_count must be <= max_count".into(),
        ));
    }
    let reservation = match get("return_reservation_id") {
        Some(value) => boolean("return_reservation_id", value)?,
        None => false,
    };
    if let Some(value) = get("adminPass") {
        new.admin_pass = Some(string("adminPass", value, 0, 255)?);
    }
    if let Some(value) = get("accessIPv4") {
        new.access_ip_v4 = Some(ipv4("accessIPv4", value)?);
    }
    if let Some(value) = get("accessIPv6") {
        new.access_ip_v6 = Some(ipv6("accessIPv6", value)?);
    }
    if let Some(value) = get("description") {
        new.description = Some(string("description", value, 0, 255)?);
    }
    if let Some(value) = get("tags") {
        new.tags = tags(value)?;
    }
    if let Some(value) = get("hostname") {
        new.hostname = Some(hostname(value, version)?);
    }
    let hints = body
        .get("os:scheduler_hints")
        .or_else(|| body.get("OS-SCH-HNT:scheduler_hints"));
    if let Some(hints) = hints {
        if !hints.is_object() {
            return Err(field_error(
                "os:scheduler_hints",
                hints,
                &format!("{} is not of type 'object'", python_repr(hints)),
            ));
        }
        if let Some(value) = hints.get("same_host") {
            new.same_host = string_list("same_host", value)?;
        }
        if let Some(value) = hints.get("different_host") {
            new.different_host = string_list("different_host", value)?;
        }
        if let Some(value) = hints.get("group") {
            let group = string("group", value, 1, 255)?;
            if uuid::Uuid::parse_str(&group).is_err() {
                return Err(field_error(
                    "group",
                    value,
                    &format!("{} is not a 'uuid'", python_repr(value)),
                ));
            }
            new.group = Some(group);
        }
    }
    Ok((new, reservation))
}

/// An `accessIPv4` value.
fn ipv4(field: &str, value: &Value) -> Result<String> {
    let text = string(field, value, 0, 64)?;
    text.parse::<std::net::Ipv4Addr>()
        .map(|ip| ip.to_string())
        .map_err(|_| {
            field_error(
                field,
                value,
                &format!("{} is not a 'ipv4'", python_repr(value)),
            )
        })
}

/// An `accessIPv6` value, in its compressed form as Nova stores it.
fn ipv6(field: &str, value: &Value) -> Result<String> {
    let text = string(field, value, 0, 64)?;
    text.parse::<std::net::Ipv6Addr>()
        .map(|ip| ip.to_string())
        .map_err(|_| {
            field_error(
                field,
                value,
                &format!("{} is not a 'ipv6'", python_repr(value)),
            )
        })
}

/// A hostname (2.90): 1-63 (from 2.94, 255) of letters, digits, `-` and `.`,
/// not starting or ending with `-` or `.`.
fn hostname(value: &Value, version: ApiVersion) -> Result<String> {
    // From 2.94 a hostname may be a fully qualified domain name.
    let max = if version >= v(94) { 255 } else { 63 };
    let text = string("hostname", value, 1, max)?;
    let ok = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !text.starts_with(['-', '.'])
        && !text.ends_with(['-', '.']);
    if !ok {
        return Err(field_error(
            "hostname",
            value,
            &format!(
                "{} does not match '^[a-zA-Z0-9]+[a-zA-Z0-9-._]*[a-zA-Z0-9]+$'",
                python_repr(value)
            ),
        ));
    }
    Ok(text)
}

fn invalid_bdm(why: &str) -> NovaError {
    NovaError::BadRequest(format!("Block Device Mapping is Invalid: {why}"))
}

/// A mapping's `uuid`, which must be one.
fn bdm_uuid(item: &Value) -> Result<String> {
    match item.get("uuid") {
        Some(Value::String(id)) if uuid::Uuid::parse_str(id).is_ok() => Ok(id.clone()),
        Some(other) => Err(field_error(
            "uuid",
            other,
            &format!("{} does not match '^[a-zA-Z0-9._-]*$'", python_repr(other)),
        )),
        None => Err(invalid_bdm(
            "a mapping of a volume, snapshot or image needs its uuid.",
        )),
    }
}

/// An optional integer that may come as a string of one.
fn bdm_integer(item: &Value, field: &str) -> Result<Option<i64>> {
    match item.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            let parsed = match value {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.parse::<i64>().ok(),
                _ => None,
            };
            parsed.map(Some).ok_or_else(|| {
                field_error(
                    field,
                    value,
                    &format!(
                        "{} is not of type 'integer', 'string', 'null'",
                        python_repr(value)
                    ),
                )
            })
        }
    }
}

/// `block_device_mapping_v2`: the image of a root disk on local disk (what
/// clients send beside `imageRef`), and the volumes — existing ones, or
/// ones the build makes from an image, a snapshot or nothing.
fn block_devices(value: &Value) -> Result<(Option<String>, Vec<BlockDevice>)> {
    let Some(items) = value.as_array() else {
        return Err(field_error(
            "block_device_mapping_v2",
            value,
            &format!("{} is not of type 'array'", python_repr(value)),
        ));
    };
    let mut image = None;
    let mut devices = Vec::new();
    for item in items {
        only(
            "block_device_mapping_v2",
            item,
            &[
                "uuid",
                "source_type",
                "destination_type",
                "boot_index",
                "volume_size",
                "delete_on_termination",
                "device_name",
                "tag",
                "disk_bus",
                "device_type",
                "guest_format",
                "no_device",
                "connection_info",
                "snapshot_id",
                "volume_id",
                "image_id",
                "volume_type",
                "encrypted",
                "encryption_secret_uuid",
                "encryption_format",
                "encryption_options",
            ],
        )?;
        let source = match item.get("source_type") {
            Some(Value::String(s))
                if ["volume", "image", "snapshot", "blank"].contains(&s.as_str()) =>
            {
                s.clone()
            }
            Some(other) => {
                return Err(field_error(
                    "source_type",
                    other,
                    &format!(
                        "{} is not one of ['volume', 'image', 'snapshot', 'blank']",
                        python_repr(other)
                    ),
                ))
            }
            None => return Err(invalid_bdm("a mapping needs its source_type.")),
        };
        let destination = item
            .get("destination_type")
            .and_then(Value::as_str)
            .unwrap_or(if source == "volume" {
                "volume"
            } else {
                "local"
            });
        let boot_index = bdm_integer(item, "boot_index")?;
        let volume_size = bdm_integer(item, "volume_size")?;
        if volume_size.is_some_and(|size| size < 0) {
            return Err(invalid_bdm("volume_size must not be negative."));
        }
        match (source.as_str(), destination) {
            ("image", "local") => {
                image = Some(item.get("uuid").and_then(Value::as_str).unwrap_or_default().to_string());
                continue;
            }
            ("volume" | "image" | "snapshot" | "blank", "volume") => {}
            _ => {
                return Err(NovaError::BadRequest(format!(
                    "Block device mappings of source_type {source} and destination_type {destination} are not supported by this cloud."
                )))
            }
        }
        if matches!(source.as_str(), "image" | "blank") && volume_size.unwrap_or(0) == 0 {
            let what = if source == "blank" {
                "Blank volumes"
            } else {
                "Images"
            };
            return Err(invalid_bdm(&format!(
                "{what} with destination_type 'volume' need to have a non-zero size specified"
            )));
        }
        let uuid = if source == "blank" {
            None
        } else {
            Some(bdm_uuid(item)?)
        };
        let delete_on_termination = match item.get("delete_on_termination") {
            None | Some(Value::Null) => false,
            Some(value) => super::schema::boolean("delete_on_termination", value)?,
        };
        let tag = item.get("tag").and_then(Value::as_str).map(str::to_string);
        devices.push(BlockDevice {
            source_type: source,
            uuid,
            boot_index: boot_index.filter(|i| *i >= 0),
            volume_size,
            delete_on_termination,
            tag,
        });
    }
    let roots =
        devices.iter().filter(|d| d.boot_index == Some(0)).count() + usize::from(image.is_some());
    if roots > 1 {
        return Err(invalid_bdm(
            "Boot sequence for the instance and image/block device mapping combination is not valid.",
        ));
    }
    Ok((image, devices))
}

/// The update request (`{"server": {...}}`).
pub fn server_update(body: &Value, version: ApiVersion) -> Result<ServerUpdate> {
    top_level(body, &["server"])?;
    let server = body.get("server").ok_or_else(|| required("server"))?;
    let mut keys = vec!["name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig"];
    if version >= v(19) {
        keys.push("description");
    }
    if version >= v(90) {
        keys.push("hostname");
    }
    if version >= v(104) {
        keys.push("pinned_availability_zone");
    }
    only("server", server, &keys)?;
    let mut update = ServerUpdate::default();
    if let Some(value) = server.get("pinned_availability_zone") {
        update.pinned_zone = Some(nullable("pinned_availability_zone", value, 255)?);
    }
    if let Some(value) = server.get("name") {
        update.name = Some(name("name", value)?);
    }
    if let Some(value) = server.get("description") {
        update.description = Some(match value {
            Value::Null => None,
            other => Some(string("description", other, 0, 255)?),
        });
    }
    if let Some(value) = server.get("accessIPv4") {
        update.access_ip_v4 = Some(ipv4("accessIPv4", value)?);
    }
    if let Some(value) = server.get("accessIPv6") {
        update.access_ip_v6 = Some(ipv6("accessIPv6", value)?);
    }
    if let Some(value) = server.get("hostname") {
        update.hostname = Some(hostname(value, version)?);
    }
    Ok(update)
}

/// A nullable string field (`None` in JSON clears it).
fn nullable(field: &str, value: &Value, max: usize) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        other => Ok(Some(string(field, other, 0, max)?)),
    }
}

/// The `rebuild` action's arguments at `version`.
pub fn rebuild_request(args: &Value, version: ApiVersion) -> Result<RebuildRequest> {
    let mut keys = vec![
        "imageRef",
        "name",
        "adminPass",
        "metadata",
        "accessIPv4",
        "accessIPv6",
        "OS-DCF:diskConfig",
        "preserve_ephemeral",
    ];
    if version < v(57) {
        keys.push("personality");
    }
    if version >= v(19) {
        keys.push("description");
    }
    if version >= v(54) {
        keys.push("key_name");
    }
    if version >= v(57) {
        keys.push("user_data");
    }
    if version >= v(63) {
        keys.push("trusted_image_certificates");
    }
    if version >= v(90) {
        keys.push("hostname");
    }
    only("rebuild", args, &keys)?;
    let image = args.get("imageRef").ok_or_else(|| required("imageRef"))?;
    let mut request = RebuildRequest {
        image_ref: string("imageRef", image, 1, 255)?,
        reimage_boot_volume: version >= v(93),
        ..RebuildRequest::default()
    };
    if let Some(value) = args.get("name") {
        request.name = Some(name("name", value)?);
    }
    if let Some(value) = args.get("adminPass") {
        request.admin_pass = Some(string("adminPass", value, 0, 255)?);
    }
    if let Some(value) = args.get("metadata") {
        request.metadata = Some(metadata("metadata", value)?);
    }
    if let Some(value) = args.get("accessIPv4") {
        request.access_ip_v4 = Some(ipv4("accessIPv4", value)?);
    }
    if let Some(value) = args.get("accessIPv6") {
        request.access_ip_v6 = Some(ipv6("accessIPv6", value)?);
    }
    if let Some(value) = args.get("preserve_ephemeral") {
        boolean("preserve_ephemeral", value)?;
    }
    if let Some(value) = args.get("description") {
        request.description = Some(nullable("description", value, 255)?);
    }
    if let Some(value) = args.get("key_name") {
        request.key_name = Some(nullable("key_name", value, 255)?);
    }
    if let Some(value) = args.get("user_data") {
        let data = nullable("user_data", value, 65535)?;
        if let Some(text) = &data {
            if base64::engine::general_purpose::STANDARD
                .decode(text)
                .is_err()
            {
                return Err(field_error(
                    "user_data",
                    value,
                    &format!("{} is not a 'base64'", python_repr(value)),
                ));
            }
        }
        request.user_data = Some(data);
    }
    if let Some(value) = args.get("hostname") {
        request.hostname = Some(hostname(value, version)?);
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn creates_parse_per_version() {
        let body = json!({"server": {"name": "a", "imageRef": "i", "flavorRef": "1"}});
        let (new, _) = new_server(&body, v(1)).unwrap();
        assert_eq!(new.networks, None);
        assert_eq!(
            new_server(&body, v(37)).unwrap_err().to_string(),
            "'networks' is a required property"
        );
        let body = json!({"server": {"name": "a", "imageRef": "i", "flavorRef": "1",
            "networks": "none", "min_count": 2, "tags": ["x"]}});
        let (new, _) = new_server(&body, v(52)).unwrap();
        assert_eq!(
            (new.networks, new.min_count, new.max_count),
            (Some(Networks::None), 2, 2)
        );
        assert!(new_server(&body, v(51))
            .unwrap_err()
            .to_string()
            .contains("'tags' was unexpected"));
    }

    #[test]
    fn networks_read_as_nova_reads_them() {
        let id = "6e1b1a5e-0c1c-4f44-9d1a-0a4fd5d9f3a1";
        let read = |networks: Value| network_request(&networks).map_err(|e| e.to_string());
        let port = read(json!({"port": id, "tag": "nic1"})).unwrap();
        assert_eq!(
            (port.port_id.as_deref(), port.tag.as_deref()),
            (Some(id), Some("nic1"))
        );
        let fixed = read(json!({"uuid": id, "fixed_ip": "10.0.0.4"})).unwrap();
        assert_eq!(fixed.fixed_ip.as_deref(), Some("10.0.0.4"));
        assert_eq!(
            read(json!({})).unwrap_err(),
            "Bad network format: missing 'uuid'"
        );
        assert_eq!(
            read(json!({"uuid": "net"})).unwrap_err(),
            "Bad networks format: network uuid is not in proper format (net)"
        );
        assert!(read(json!({"port": id, "fixed_ip": "10.0.0.4"}))
            .unwrap_err()
            .contains("cannot be used with port"));
        assert!(read(json!({"uuid": id, "fixed_ip": "10.0.0"})).is_err());
        assert!(read(json!({"uuid": 5})).is_err());
        let groups = security_groups(&json!([{"name": "web"}, {"name": "web"}, {}])).unwrap();
        assert_eq!(groups, vec!["web".to_string()]);
        assert!(security_groups(&json!([{"id": "x"}])).is_err());
        assert!(security_groups(&json!("web")).is_err());
    }

    #[test]
    fn bad_fields_are_400s() {
        let base = |extra: Value| {
            let mut server =
                json!({"name": "a", "imageRef": "i", "flavorRef": "1", "networks": "none"});
            for (k, v) in extra.as_object().unwrap() {
                server[k] = v.clone();
            }
            new_server(&json!({"server": server}), v(90))
        };
        assert!(base(json!({"user_data": "not base64!"})).is_err());
        assert!(base(json!({"min_count": 0})).is_err());
        assert!(base(json!({"min_count": 3, "max_count": 2})).is_err());
        assert!(base(json!({"accessIPv4": "1.2.3"})).is_err());
        assert!(base(json!({"hostname": "-bad"})).is_err());
        assert!(base(json!({"name": " x"})).is_err());
        assert!(base(json!({"metadata": {"k": 1}})).is_err());
        assert!(base(json!({"networks": "everything"})).is_err());
        assert!(base(json!({"user_data": "aGVsbG8="})).is_ok());
        let (new, _) =
            base(json!({"accessIPv6": "0000:0000:0000:0000:0000:babe:220.12.22.2"})).unwrap();
        assert_eq!(new.access_ip_v6.as_deref(), Some("::babe:dc0c:1602"));
        let image = json!([{"uuid": "i", "source_type": "image", "destination_type": "local",
            "boot_index": 0, "delete_on_termination": true}]);
        assert!(base(json!({"block_device_mapping_v2": image})).is_ok());
        let bad_volume = json!([{"uuid": "v", "source_type": "volume", "destination_type": "volume",
            "boot_index": 0}]);
        assert!(base(json!({"block_device_mapping_v2": bad_volume})).is_err());
        let volume = json!([{"uuid": "6e1b1a5e-0c1c-4f44-9d1a-0a4fd5d9f3a1", "source_type": "volume",
            "destination_type": "volume", "boot_index": "0"}]);
        let (new, _) = new_server(
            &json!({"server": {"name": "n", "flavorRef": "1",
            "networks": "none", "block_device_mapping_v2": volume}}),
            v(90),
        )
        .unwrap();
        assert_eq!(new.image_ref, "");
        assert_eq!(new.block_devices[0].boot_index, Some(0));
        let sizeless = json!([{"uuid": "6e1b1a5e-0c1c-4f44-9d1a-0a4fd5d9f3a1", "source_type": "image",
            "destination_type": "volume", "boot_index": 0}]);
        assert!(base(json!({"block_device_mapping_v2": sizeless})).is_err());
        let two_roots = json!([
            {"source_type": "blank", "destination_type": "volume", "boot_index": 0, "volume_size": 1},
            {"source_type": "blank", "destination_type": "volume", "boot_index": 0, "volume_size": 1}]);
        assert!(base(json!({"block_device_mapping_v2": two_roots})).is_err());
    }
}
