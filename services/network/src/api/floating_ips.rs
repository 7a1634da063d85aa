//! `/v2.0/floatingips`: addresses on external networks, associated with a
//! port's fixed address (`port_details` as the fip-port-details extension
//! shows it).

use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;

use super::body::{self, Object};
use super::listing::Listable;
use super::resource::{self, Creatable, Resource, Updatable};
use super::{timestamp, AppState};
use crate::domain::floating_ips::{FloatingIpRecord, FloatingIpUpdate, NewFloatingIp};
use crate::domain::{Caller, Neutron, NeutronError, Result};

const ATTRIBUTES: &[&str] = &[
    "id",
    "floating_ip_address",
    "floating_network_id",
    "subnet_id",
    "port_id",
    "fixed_ip_address",
    "router_id",
    "status",
    "description",
    "dns_name",
    "dns_domain",
    "port_details",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
const NOT_IN_POST: &[&str] = &[
    "id",
    "router_id",
    "status",
    "port_details",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
const NOT_IN_PUT: &[&str] = &[
    "id",
    "floating_ip_address",
    "floating_network_id",
    "subnet_id",
    "router_id",
    "status",
    "dns_name",
    "dns_domain",
    "port_details",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
/// Attributes with their own create rule.
const GUARDED: &[&str] = &["floating_ip_address"];

pub const LISTABLE: Listable = Listable {
    filters: &[
        "id",
        "floating_ip_address",
        "floating_network_id",
        "port_id",
        "fixed_ip_address",
        "router_id",
        "status",
        "description",
        "dns_name",
        "dns_domain",
        "revision_number",
        "changed_since",
    ],
    sort_keys: &[
        "id",
        "floating_ip_address",
        "floating_network_id",
        "port_id",
        "fixed_ip_address",
        "router_id",
        "status",
        "project_id",
        "tenant_id",
        "created_at",
        "updated_at",
        "revision_number",
    ],
    taggable: true,
};

/// A floating IP as Neutron shows it.
pub fn view(record: &FloatingIpRecord) -> Value {
    let row = &record.row;
    let port_details = record.port.as_ref().map(|p| {
        json!({
            "name": p.name,
            "network_id": p.network_id,
            "mac_address": p.mac_address,
            "admin_state_up": p.admin_state_up,
            "status": p.status,
            "device_id": p.device_id,
            "device_owner": p.device_owner,
        })
    });
    json!({
        "id": row.id,
        "tenant_id": row.project_id,
        "project_id": row.project_id,
        "floating_ip_address": row.floating_ip_address,
        "floating_network_id": row.floating_network_id,
        "router_id": row.router_id,
        "port_id": row.fixed_port_id,
        "fixed_ip_address": row.fixed_ip_address,
        "status": row.status,
        "description": row.description,
        "dns_name": row.dns_name,
        "dns_domain": row.dns_domain,
        "port_details": port_details,
        "tags": record.tags,
        "created_at": timestamp(&row.created_at),
        "updated_at": timestamp(&row.updated_at),
        "revision_number": row.revision_number,
    })
}

/// An IP address attribute, checked for form.
fn address(object: &Object, attribute: &str) -> Result<Option<String>> {
    match body::string_or_null(object, attribute, 64)?.flatten() {
        Some(text) if text.parse::<std::net::IpAddr>().is_err() => Err(body::invalid(
            attribute,
            format!("'{text}' is not a valid IP address"),
        )),
        other => Ok(other),
    }
}

fn new_floating_ip(caller: &Caller, object: &Object) -> Result<NewFloatingIp> {
    body::only_known(object, ATTRIBUTES)?;
    body::not_in_post(object, NOT_IN_POST)?;
    body::required(object, "floating_network_id")?;
    let Some(floating_network_id) = body::uuid(object, "floating_network_id")? else {
        return Err(body::invalid(
            "floating_network_id",
            "'None' is not a valid UUID",
        ));
    };
    Ok(NewFloatingIp {
        project_id: body::project(caller, object)?,
        floating_network_id,
        floating_ip_address: address(object, "floating_ip_address")?,
        subnet_id: body::uuid_or_null(object, "subnet_id")?.flatten(),
        port_id: body::uuid_or_null(object, "port_id")?.flatten(),
        fixed_ip_address: address(object, "fixed_ip_address")?,
        description: body::string(object, "description", 255)?.unwrap_or_default(),
        dns_name: body::string(object, "dns_name", 255)?
            .unwrap_or_default()
            .to_lowercase(),
        dns_domain: body::string(object, "dns_domain", 255)?
            .unwrap_or_default()
            .to_lowercase(),
        set: body::set_among(object, GUARDED),
    })
}

/// `/v2.0/floatingips`.
pub struct FloatingIps;

impl Resource for FloatingIps {
    const SINGULAR: &'static str = "floatingip";
    const PLURAL: &'static str = "floatingips";
    const PATH: &'static str = "/v2.0/floatingips";
    const TAG: &'static str = "floatingips";
    const LISTABLE: &'static Listable = &LISTABLE;
    const NOT_FOUND: fn(&str) -> NeutronError = crate::domain::floating_ips::not_found;
    resource::forward!(FloatingIpRecord; list: list_floating_ips, show: show_floating_ip, delete: delete_floating_ip);
    async fn views(_: &Neutron, _: &Caller, records: &[FloatingIpRecord]) -> Result<Vec<Value>> {
        Ok(records.iter().map(view).collect())
    }
}

impl Creatable for FloatingIps {
    resource::forward_create!(FloatingIpRecord, NewFloatingIp; create_floating_ip, new_floating_ip);
}

impl Updatable for FloatingIps {
    resource::forward_update!(FloatingIpRecord, FloatingIpUpdate; update_floating_ip);
    const READ_ONLY: &'static [&'static str] = NOT_IN_PUT;
    const ATTRIBUTES: &'static [&'static str] = ATTRIBUTES;

    /// `port_id` (null disassociates), `fixed_ip_address`, `description`.
    fn parse_update(object: &Object) -> Result<FloatingIpUpdate> {
        Ok(FloatingIpUpdate {
            port_id: body::uuid_or_null(object, "port_id")?,
            fixed_ip_address: address(object, "fixed_ip_address")?,
            description: body::string(object, "description", 255)?,
        })
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    resource::updatable_routes::<FloatingIps>()
}
