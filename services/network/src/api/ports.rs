//! `/v2.0/ports`: virtual interfaces with their MAC, addresses, security
//! groups, port security, allowed address pairs, DHCP options and binding.

use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;

use super::body::{self, python_str, Object};
use super::listing::Listable;
use super::resource::{self, Creatable, Resource, Updatable};
use super::{stored_list, strip, timestamp, AppState};
use crate::domain::ports::{IpRequest, NewPort, PairRequest, PortRecord, PortUpdate};
use crate::domain::{mac, Caller, Neutron, NeutronError, Result};

const ATTRIBUTES: &[&str] = &[
    "id",
    "name",
    "description",
    "network_id",
    "admin_state_up",
    "mac_address",
    "fixed_ips",
    "device_id",
    "device_owner",
    "status",
    "security_groups",
    "port_security_enabled",
    "allowed_address_pairs",
    "extra_dhcp_opts",
    "binding:host_id",
    "binding:vnic_type",
    "binding:profile",
    "binding:vif_type",
    "binding:vif_details",
    "dns_name",
    "dns_assignment",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
const NOT_IN_POST: &[&str] = &[
    "id",
    "status",
    "binding:vif_type",
    "binding:vif_details",
    "dns_assignment",
    "created_at",
    "updated_at",
    "revision_number",
];
const NOT_IN_PUT: &[&str] = &[
    "id",
    "network_id",
    "status",
    "binding:vif_type",
    "binding:vif_details",
    "dns_assignment",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
const GUARDED: &[&str] = &[
    "mac_address",
    "port_security_enabled",
    "binding:host_id",
    "binding:profile",
    "allowed_address_pairs",
    "device_owner",
];
const BINDING: &[&str] = &[
    "binding:host_id",
    "binding:profile",
    "binding:vif_type",
    "binding:vif_details",
];
const VNIC_TYPES: &[&str] = &[
    "normal",
    "direct",
    "macvtap",
    "baremetal",
    "direct-physical",
    "virtio-forwarder",
    "smart-nic",
    "vdpa",
    "accelerator-direct",
    "accelerator-direct-physical",
    "remote-managed",
];

pub const LISTABLE: Listable = Listable {
    filters: &[
        "id",
        "name",
        "description",
        "network_id",
        "admin_state_up",
        "mac_address",
        "fixed_ips",
        "device_id",
        "device_owner",
        "status",
        "security_groups",
        "port_security_enabled",
        "binding:host_id",
        "binding:vnic_type",
        "dns_name",
        "revision_number",
        "changed_since",
    ],
    sort_keys: &[
        "id",
        "name",
        "network_id",
        "admin_state_up",
        "mac_address",
        "device_id",
        "device_owner",
        "status",
        "project_id",
        "tenant_id",
        "created_at",
        "updated_at",
        "revision_number",
        "binding:host_id",
    ],
    taggable: true,
};

/// `host-10-0-0-3`: the name an address gets without a `dns_name`.
fn hostname(ip: &str) -> String {
    format!("host-{}", ip.replace(['.', ':'], "-"))
}

/// A port as the caller may see it.
pub fn view(neutron: &Neutron, caller: &Caller, record: &PortRecord, network_owner: &str) -> Value {
    let row = &record.row;
    let domain = &neutron.cfg.dns_domain;
    let assignment: Vec<Value> = record
        .fixed_ips
        .iter()
        .map(|ip| {
            let name = hostname(&ip.ip_address);
            json!({"ip_address": ip.ip_address, "hostname": name, "fqdn": format!("{name}.{domain}.")})
        })
        .collect();
    let mut view = json!({
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "network_id": row.network_id,
        "tenant_id": row.project_id,
        "project_id": row.project_id,
        "admin_state_up": row.admin_state_up,
        "status": row.status,
        "mac_address": row.mac_address,
        "fixed_ips": record.fixed_ips,
        "device_id": row.device_id,
        "device_owner": row.device_owner,
        "security_groups": record.security_groups,
        "port_security_enabled": row.port_security_enabled,
        "allowed_address_pairs": stored_list(&row.allowed_address_pairs),
        "extra_dhcp_opts": stored_list(&row.extra_dhcp_opts),
        "binding:host_id": row.binding_host_id,
        "binding:vnic_type": row.binding_vnic_type,
        "binding:profile": serde_json::from_str::<Value>(&row.binding_profile).unwrap_or_else(|_| json!({})),
        "binding:vif_type": row.binding_vif_type,
        "binding:vif_details": serde_json::from_str::<Value>(&row.binding_vif_details).unwrap_or_else(|_| json!({})),
        "dns_name": row.dns_name,
        "dns_assignment": assignment,
        "tags": record.tags,
        "created_at": timestamp(&row.created_at),
        "updated_at": timestamp(&row.updated_at),
        "revision_number": row.revision_number,
    });
    let target = json!({
        "project_id": row.project_id,
        "tenant_id": row.project_id,
        "network:tenant_id": network_owner,
        "device_owner": row.device_owner,
    });
    strip(neutron, caller, "get_port", &target, &mut view, BINDING);
    view
}

fn fixed_ips(object: &Object) -> Result<Option<Vec<IpRequest>>> {
    let Some(value) = object.get("fixed_ips") else {
        return Ok(None);
    };
    let invalid = |item: &Value| {
        body::invalid(
            "fixed_ips",
            format!("Invalid data format for fixed IP: '{}'", python_str(item)),
        )
    };
    let items = value.as_array().ok_or_else(|| invalid(value))?;
    let mut requests = Vec::new();
    for item in items {
        let Some(map) = item.as_object() else {
            return Err(invalid(item));
        };
        if map.keys().any(|k| k != "subnet_id" && k != "ip_address") {
            return Err(invalid(item));
        }
        let field = |key: &str| -> Result<Option<String>> {
            match map.get(key) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(invalid(item)),
            }
        };
        let request = IpRequest {
            subnet_id: field("subnet_id")?,
            ip_address: field("ip_address")?,
        };
        if let Some(ip) = &request.ip_address {
            if ip.parse::<std::net::IpAddr>().is_err() {
                return Err(body::invalid(
                    "fixed_ips",
                    format!("'{ip}' is not a valid IP address"),
                ));
            }
            if requests
                .iter()
                .any(|r: &IpRequest| r.ip_address.as_deref() == Some(ip))
            {
                return Err(body::invalid(
                    "fixed_ips",
                    format!("Duplicate IP address '{ip}'"),
                ));
            }
        }
        requests.push(request);
    }
    Ok(Some(requests))
}

fn address_pairs(object: &Object) -> Result<Option<Vec<PairRequest>>> {
    let Some(value) = object.get("allowed_address_pairs") else {
        return Ok(None);
    };
    let Some(items) = value.as_array() else {
        return Err(body::invalid(
            "allowed_address_pairs",
            format!("'{}' is not a list", python_str(value)),
        ));
    };
    let mut pairs = Vec::new();
    for item in items {
        let Some(ip) = item.get("ip_address").and_then(Value::as_str) else {
            return Err(NeutronError::new(
                400,
                "AllowedAddressPairsMissingIP",
                "AllowedAddressPair must contain ip_address",
            ));
        };
        let valid = ip.parse::<std::net::IpAddr>().is_ok() || ip.parse::<ipnet::IpNet>().is_ok();
        if !valid {
            return Err(body::invalid(
                "allowed_address_pairs",
                format!("'{ip}' is not a valid IP address"),
            ));
        }
        let pair_mac = match item.get("mac_address") {
            None | Some(Value::Null) => None,
            Some(Value::String(m)) => Some(mac::parse(m)?),
            Some(other) => {
                return Err(body::invalid(
                    "allowed_address_pairs",
                    format!("'{}' is not a valid MAC address", python_str(other)),
                ))
            }
        };
        pairs.push((ip.to_string(), pair_mac));
    }
    Ok(Some(pairs))
}

fn dhcp_options(object: &Object) -> Result<Option<Vec<Value>>> {
    let Some(value) = object.get("extra_dhcp_opts") else {
        return Ok(None);
    };
    let invalid = |item: &Value| {
        body::invalid(
            "extra_dhcp_opts",
            format!("'{}' is not a valid extra DHCP option", python_str(item)),
        )
    };
    let items = value.as_array().ok_or_else(|| invalid(value))?;
    items
        .iter()
        .map(|item| {
            let name = item.get("opt_name").and_then(Value::as_str).filter(|n| !n.is_empty());
            let version = match item.get("ip_version") {
                None | Some(Value::Null) => 4,
                Some(v) => match python_str(v).as_str() {
                    "4" => 4,
                    "6" => 6,
                    _ => return Err(invalid(item)),
                },
            };
            match (name, item.get("opt_value")) {
                (Some(name), Some(value)) => Ok(json!({"opt_name": name, "opt_value": python_str(value), "ip_version": version})),
                _ => Err(invalid(item)),
            }
        })
        .collect::<Result<_>>()
        .map(Some)
}

fn vnic_type(object: &Object) -> Result<Option<String>> {
    match body::string(object, "binding:vnic_type", 64)? {
        Some(kind) if !VNIC_TYPES.contains(&kind.as_str()) => Err(body::invalid(
            "binding:vnic_type",
            format!(
                "{kind} is not in [{}]",
                VNIC_TYPES
                    .iter()
                    .map(|v| format!("'{v}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        other => Ok(other),
    }
}

fn profile(object: &Object) -> Result<Option<Value>> {
    match object.get("binding:profile") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(json!({}))),
        Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
        Some(other) => Err(body::invalid(
            "binding:profile",
            format!("'{}' is not a dictionary", python_str(other)),
        )),
    }
}

fn security_groups(object: &Object) -> Result<Option<Vec<String>>> {
    match object.get("security_groups") {
        Some(Value::Null) => Ok(Some(Vec::new())),
        _ => body::strings(object, "security_groups", 36),
    }
}

/// The attributes with policies of their own a request sets.
fn guarded(object: &Object, ips: &Option<Vec<IpRequest>>) -> Vec<&'static str> {
    let mut set = body::set_among(object, GUARDED);
    if ips.iter().flatten().any(|r| r.ip_address.is_some()) {
        set.push("fixed_ips:ip_address");
    }
    set
}

fn new_port(caller: &Caller, object: &Object) -> Result<NewPort> {
    body::only_known(object, ATTRIBUTES)?;
    body::not_in_post(object, NOT_IN_POST)?;
    body::required(object, "network_id")?;
    let ips = fixed_ips(object)?;
    Ok(NewPort {
        project_id: body::project(caller, object)?,
        network_id: body::uuid(object, "network_id")?.unwrap_or_default(),
        name: body::string(object, "name", 255)?.unwrap_or_default(),
        description: body::string(object, "description", 255)?.unwrap_or_default(),
        admin_state_up: body::boolean(object, "admin_state_up")?.unwrap_or(true),
        mac_address: body::string(object, "mac_address", 32)?
            .map(|m| mac::parse(&m))
            .transpose()?,
        device_id: body::string(object, "device_id", 255)?.unwrap_or_default(),
        device_owner: body::string(object, "device_owner", 255)?.unwrap_or_default(),
        port_security_enabled: body::boolean(object, "port_security_enabled")?,
        security_groups: security_groups(object)?,
        allowed_address_pairs: address_pairs(object)?.unwrap_or_default(),
        extra_dhcp_opts: dhcp_options(object)?.unwrap_or_default(),
        binding_host_id: body::string_or_null(object, "binding:host_id", 255)?
            .flatten()
            .unwrap_or_default(),
        binding_vnic_type: vnic_type(object)?.unwrap_or_else(|| "normal".into()),
        binding_profile: profile(object)?.unwrap_or_else(|| json!({})),
        dns_name: body::string(object, "dns_name", 255)?
            .unwrap_or_default()
            .to_lowercase(),
        tags: body::unique_strings(object, "tags", 255)?.unwrap_or_default(),
        set: guarded(object, &ips),
        fixed_ips: ips,
    })
}

/// `/v2.0/ports`.
pub struct Ports;

impl Resource for Ports {
    const SINGULAR: &'static str = "port";
    const PLURAL: &'static str = "ports";
    const PATH: &'static str = "/v2.0/ports";
    const TAG: &'static str = "ports";
    const LISTABLE: &'static Listable = &LISTABLE;
    const NOT_FOUND: fn(&str) -> NeutronError = crate::domain::ports::not_found;
    resource::forward!(PortRecord; list: list_ports, show: show_port, delete: delete_port);
    /// The binding attributes' policies depend on each network's owner.
    async fn views(
        neutron: &Neutron,
        caller: &Caller,
        records: &[PortRecord],
    ) -> Result<Vec<Value>> {
        let owners = neutron
            .network_owners(records.iter().map(|r| r.row.network_id.as_str()))
            .await?;
        Ok(records
            .iter()
            .map(|r| {
                let owner = owners.get(&r.row.network_id).map(String::as_str);
                view(neutron, caller, r, owner.unwrap_or_default())
            })
            .collect())
    }
}

impl Creatable for Ports {
    resource::forward_create!(PortRecord, NewPort; create_port, new_port);
}

impl Updatable for Ports {
    resource::forward_update!(PortRecord, PortUpdate; update_port);
    const READ_ONLY: &'static [&'static str] = NOT_IN_PUT;
    const ATTRIBUTES: &'static [&'static str] = ATTRIBUTES;

    fn parse_update(object: &Object) -> Result<PortUpdate> {
        let ips = fixed_ips(object)?;
        Ok(PortUpdate {
            name: body::string(object, "name", 255)?,
            description: body::string(object, "description", 255)?,
            admin_state_up: body::boolean(object, "admin_state_up")?,
            mac_address: body::string(object, "mac_address", 32)?
                .map(|m| mac::parse(&m))
                .transpose()?,
            device_id: body::string(object, "device_id", 255)?,
            device_owner: body::string(object, "device_owner", 255)?,
            port_security_enabled: body::boolean(object, "port_security_enabled")?,
            security_groups: security_groups(object)?,
            allowed_address_pairs: address_pairs(object)?,
            extra_dhcp_opts: dhcp_options(object)?,
            // Null unbinds, as Nova sends it when a server lets go of a port.
            binding_host_id: body::string_or_null(object, "binding:host_id", 255)?
                .map(Option::unwrap_or_default),
            binding_vnic_type: vnic_type(object)?,
            binding_profile: profile(object)?,
            dns_name: body::string(object, "dns_name", 255)?.map(|d| d.to_lowercase()),
            set: guarded(object, &ips),
            fixed_ips: ips,
        })
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    resource::updatable_routes::<Ports>()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hostnames_come_from_the_address() {
        assert_eq!(super::hostname("10.0.0.3"), "host-10-0-0-3");
        assert_eq!(super::hostname("2001:db8::5"), "host-2001-db8--5");
    }
}
