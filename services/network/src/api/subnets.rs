//! `/v2.0/subnets`: address ranges of networks, with their gateway,
//! allocation pools, name servers and host routes.

use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;

use super::body::{self, python_str, Object};
use super::listing::Listable;
use super::resource::{self, Creatable, Resource, Updatable};
use super::{stored_list, timestamp, AppState};
use crate::domain::ipam::Pool;
use crate::domain::subnets::{Gateway, HostRoute, NewSubnet, SubnetRecord, SubnetUpdate};
use crate::domain::{Caller, Neutron, NeutronError, Result};

const ATTRIBUTES: &[&str] = &[
    "id",
    "name",
    "description",
    "network_id",
    "ip_version",
    "cidr",
    "prefixlen",
    "subnetpool_id",
    "use_default_subnetpool",
    "gateway_ip",
    "allocation_pools",
    "dns_nameservers",
    "host_routes",
    "enable_dhcp",
    "ipv6_ra_mode",
    "ipv6_address_mode",
    "service_types",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
const NOT_IN_POST: &[&str] = &["id", "tags", "created_at", "updated_at", "revision_number"];
const NOT_IN_PUT: &[&str] = &[
    "id",
    "network_id",
    "ip_version",
    "cidr",
    "prefixlen",
    "subnetpool_id",
    "use_default_subnetpool",
    "ipv6_ra_mode",
    "ipv6_address_mode",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
const GUARDED: &[&str] = &["service_types"];
const IPV6_MODES: &[&str] = &["dhcpv6-stateful", "dhcpv6-stateless", "slaac"];

pub const LISTABLE: Listable = Listable {
    filters: &[
        "id",
        "name",
        "description",
        "network_id",
        "ip_version",
        "cidr",
        "subnetpool_id",
        "gateway_ip",
        "enable_dhcp",
        "ipv6_ra_mode",
        "ipv6_address_mode",
        "service_types",
        "revision_number",
        "changed_since",
    ],
    sort_keys: &[
        "id",
        "name",
        "network_id",
        "ip_version",
        "cidr",
        "gateway_ip",
        "enable_dhcp",
        "project_id",
        "tenant_id",
        "created_at",
        "updated_at",
        "revision_number",
    ],
    taggable: true,
};

/// A subnet as Neutron shows it.
pub fn view(record: &SubnetRecord) -> Value {
    let row = &record.row;
    json!({
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "tenant_id": row.project_id,
        "project_id": row.project_id,
        "network_id": row.network_id,
        "ip_version": row.ip_version,
        "cidr": row.cidr,
        "subnetpool_id": row.subnetpool_id,
        "gateway_ip": row.gateway_ip,
        "allocation_pools": stored_list(&row.allocation_pools),
        "dns_nameservers": stored_list(&row.dns_nameservers),
        "host_routes": stored_list(&row.host_routes),
        "enable_dhcp": row.enable_dhcp,
        "ipv6_ra_mode": row.ipv6_ra_mode,
        "ipv6_address_mode": row.ipv6_address_mode,
        "service_types": stored_list(&row.service_types),
        "tags": record.tags,
        "created_at": timestamp(&row.created_at),
        "updated_at": timestamp(&row.updated_at),
        "revision_number": row.revision_number,
    })
}

fn ipv6_mode(object: &Object, attribute: &str) -> Result<Option<String>> {
    match object.get(attribute) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(mode)) if IPV6_MODES.contains(&mode.as_str()) => Ok(Some(mode.clone())),
        Some(other) => Err(body::invalid(
            attribute,
            format!(
                "{} is not in ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac']",
                python_str(other)
            ),
        )),
    }
}

fn pools(object: &Object) -> Result<Option<Vec<Pool>>> {
    let Some(value) = object.get("allocation_pools") else {
        return Ok(None);
    };
    let invalid = |item: &Value| {
        body::invalid(
            "allocation_pools",
            format!("Invalid data format for IP pool: '{}'", python_str(item)),
        )
    };
    let items = value.as_array().ok_or_else(|| invalid(value))?;
    items
        .iter()
        .map(|item| {
            let start = item.get("start").and_then(Value::as_str);
            let end = item.get("end").and_then(Value::as_str);
            let extra = item
                .as_object()
                .is_some_and(|m| m.keys().any(|k| k != "start" && k != "end"));
            match (start, end, extra) {
                (Some(start), Some(end), false) => Ok(Pool {
                    start: start.into(),
                    end: end.into(),
                }),
                _ => Err(invalid(item)),
            }
        })
        .collect::<Result<_>>()
        .map(Some)
}

fn routes_of(object: &Object) -> Result<Option<Vec<HostRoute>>> {
    let Some(value) = object.get("host_routes") else {
        return Ok(None);
    };
    let invalid = |item: &Value| {
        body::invalid(
            "host_routes",
            format!("Invalid data format for hostroute: '{}'", python_str(item)),
        )
    };
    let items = value.as_array().ok_or_else(|| invalid(value))?;
    let routes: Vec<HostRoute> = items
        .iter()
        .map(|item| {
            match (
                item.get("destination").and_then(Value::as_str),
                item.get("nexthop").and_then(Value::as_str),
            ) {
                (Some(d), Some(n)) => Ok(HostRoute {
                    destination: d.into(),
                    nexthop: n.into(),
                }),
                _ => Err(invalid(item)),
            }
        })
        .collect::<Result<_>>()?;
    for (i, route) in routes.iter().enumerate() {
        if routes[..i].contains(route) {
            return Err(body::invalid(
                "host_routes",
                format!(
                    "Duplicate hostroute '{{'destination': '{}', 'nexthop': '{}'}}'",
                    route.destination, route.nexthop
                ),
            ));
        }
    }
    Ok(Some(routes))
}

fn name_servers(object: &Object) -> Result<Option<Vec<String>>> {
    let list = body::strings(object, "dns_nameservers", 255)?;
    if let Some(list) = &list {
        for (i, server) in list.iter().enumerate() {
            if list[..i].contains(server) {
                return Err(body::invalid(
                    "dns_nameservers",
                    format!("Duplicate nameserver '{server}'"),
                ));
            }
        }
    }
    Ok(list)
}

fn gateway(object: &Object) -> Result<Option<Gateway>> {
    match object.get("gateway_ip") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(Gateway::None)),
        Some(Value::String(ip)) => Ok(Some(Gateway::Address(ip.clone()))),
        Some(other) => Err(body::invalid(
            "gateway_ip",
            format!("'{}' is not a valid IP address", python_str(other)),
        )),
    }
}

fn new_subnet(caller: &Caller, object: &Object) -> Result<NewSubnet> {
    body::only_known(object, ATTRIBUTES)?;
    body::not_in_post(object, NOT_IN_POST)?;
    body::required(object, "network_id")?;
    let ip_version = match body::required(object, "ip_version")? {
        Value::Number(n) if matches!(n.as_i64(), Some(4 | 6)) => n.as_i64().unwrap_or(4),
        Value::String(s) if matches!(s.as_str(), "4" | "6") => s.parse().unwrap_or(4),
        other => {
            return Err(body::invalid(
                "ip_version",
                format!("{} is not in [4, 6]", python_str(other)),
            ))
        }
    };
    let cidr = match object.get("cidr") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) => Some(c.clone()),
        Some(other) => {
            return Err(NeutronError::invalid_input(format!(
                "{} is not in a CIDR format",
                python_str(other)
            )))
        }
    };
    Ok(NewSubnet {
        project_id: body::project(caller, object)?,
        network_id: body::uuid(object, "network_id")?.unwrap_or_default(),
        name: body::string(object, "name", 255)?.unwrap_or_default(),
        description: body::string(object, "description", 255)?.unwrap_or_default(),
        ip_version,
        cidr,
        prefixlen: body::integer(object, "prefixlen")?,
        subnetpool_id: body::string_or_null(object, "subnetpool_id", 36)?.flatten(),
        use_default_subnetpool: body::boolean(object, "use_default_subnetpool")?.unwrap_or(false),
        gateway: gateway(object)?.unwrap_or_default(),
        enable_dhcp: body::boolean(object, "enable_dhcp")?.unwrap_or(true),
        allocation_pools: pools(object)?,
        dns_nameservers: name_servers(object)?.unwrap_or_default(),
        host_routes: routes_of(object)?.unwrap_or_default(),
        ipv6_ra_mode: ipv6_mode(object, "ipv6_ra_mode")?,
        ipv6_address_mode: ipv6_mode(object, "ipv6_address_mode")?,
        service_types: body::strings(object, "service_types", 255)?.unwrap_or_default(),
        set: body::set_among(object, GUARDED),
    })
}

/// `/v2.0/subnets`.
pub struct Subnets;

impl Resource for Subnets {
    const SINGULAR: &'static str = "subnet";
    const PLURAL: &'static str = "subnets";
    const PATH: &'static str = "/v2.0/subnets";
    const TAG: &'static str = "subnets";
    const LISTABLE: &'static Listable = &LISTABLE;
    const NOT_FOUND: fn(&str) -> NeutronError = crate::domain::subnets::not_found;
    resource::forward!(SubnetRecord; list: list_subnets, show: show_subnet, delete: delete_subnet);
    async fn views(_: &Neutron, _: &Caller, records: &[SubnetRecord]) -> Result<Vec<Value>> {
        Ok(records.iter().map(view).collect())
    }
}

impl Creatable for Subnets {
    resource::forward_create!(SubnetRecord, NewSubnet; create_subnet, new_subnet);
}

impl Updatable for Subnets {
    resource::forward_update!(SubnetRecord, SubnetUpdate; update_subnet);
    const READ_ONLY: &'static [&'static str] = NOT_IN_PUT;
    const ATTRIBUTES: &'static [&'static str] = ATTRIBUTES;

    fn parse_update(object: &Object) -> Result<SubnetUpdate> {
        Ok(SubnetUpdate {
            name: body::string(object, "name", 255)?,
            description: body::string(object, "description", 255)?,
            gateway: gateway(object)?,
            enable_dhcp: body::boolean(object, "enable_dhcp")?,
            allocation_pools: pools(object)?,
            dns_nameservers: name_servers(object)?,
            host_routes: routes_of(object)?,
            service_types: body::strings(object, "service_types", 255)?,
            set: body::set_among(object, GUARDED),
        })
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    resource::updatable_routes::<Subnets>()
}
