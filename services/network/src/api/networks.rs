//! `/v2.0/networks`: networks with their segment (`provider:*`, admin only),
//! MTU, sharing and port security.

use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;

use super::body::{self, Object};
use super::listing::Listable;
use super::resource::{self, Creatable, Resource, Updatable};
use super::{strip, timestamp, AppState};
use crate::domain::networks::{policy_target, NetworkRecord, NetworkUpdate, NewNetwork};
use crate::domain::segments::SegmentRequest;
use crate::domain::{Caller, Neutron, NeutronError, Result};

const ATTRIBUTES: &[&str] = &[
    "id",
    "name",
    "description",
    "admin_state_up",
    "status",
    "subnets",
    "shared",
    "router:external",
    "mtu",
    "port_security_enabled",
    "provider:network_type",
    "provider:physical_network",
    "provider:segmentation_id",
    "dns_domain",
    "l2_adjacency",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
const NOT_IN_POST: &[&str] = &[
    "id",
    "status",
    "subnets",
    "l2_adjacency",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
const NOT_IN_PUT: &[&str] = &[
    "id",
    "status",
    "subnets",
    "l2_adjacency",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
    "provider:network_type",
    "provider:physical_network",
    "provider:segmentation_id",
];
/// Attributes with policies of their own.
const GUARDED: &[&str] = &[
    "shared",
    "router:external",
    "provider:network_type",
    "provider:physical_network",
    "provider:segmentation_id",
];
const PROVIDER: &[&str] = &[
    "provider:network_type",
    "provider:physical_network",
    "provider:segmentation_id",
];

pub const LISTABLE: Listable = Listable {
    filters: &[
        "id",
        "name",
        "description",
        "admin_state_up",
        "status",
        "shared",
        "router:external",
        "mtu",
        "port_security_enabled",
        "provider:network_type",
        "provider:physical_network",
        "provider:segmentation_id",
        "dns_domain",
        "revision_number",
        "changed_since",
    ],
    sort_keys: &[
        "id",
        "name",
        "admin_state_up",
        "status",
        "shared",
        "mtu",
        "project_id",
        "tenant_id",
        "created_at",
        "updated_at",
        "revision_number",
    ],
    taggable: true,
};

/// A network as the caller may see it.
pub fn view(neutron: &Neutron, caller: &Caller, record: &NetworkRecord) -> Value {
    let row = &record.row;
    let mut view = json!({
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "tenant_id": row.project_id,
        "project_id": row.project_id,
        "admin_state_up": row.admin_state_up,
        "status": row.status,
        "subnets": record.subnets,
        "shared": row.shared,
        "router:external": row.external,
        "mtu": row.mtu,
        "port_security_enabled": row.port_security_enabled,
        "provider:network_type": row.network_type,
        "provider:physical_network": row.physical_network,
        "provider:segmentation_id": row.segmentation_id,
        "dns_domain": row.dns_domain.clone().unwrap_or_default(),
        "l2_adjacency": true,
        "tags": record.tags,
        "created_at": timestamp(&row.created_at),
        "updated_at": timestamp(&row.updated_at),
        "revision_number": row.revision_number,
    });
    strip(
        neutron,
        caller,
        "get_network",
        &policy_target(row),
        &mut view,
        PROVIDER,
    );
    view
}

fn new_network(caller: &Caller, object: &Object) -> Result<NewNetwork> {
    body::only_known(object, ATTRIBUTES)?;
    body::not_in_post(object, NOT_IN_POST)?;
    Ok(NewNetwork {
        project_id: body::project(caller, object)?,
        name: body::string(object, "name", 255)?.unwrap_or_default(),
        description: body::string(object, "description", 255)?.unwrap_or_default(),
        admin_state_up: body::boolean(object, "admin_state_up")?.unwrap_or(true),
        shared: body::boolean(object, "shared")?.unwrap_or(false),
        external: body::boolean(object, "router:external")?.unwrap_or(false),
        port_security_enabled: body::boolean(object, "port_security_enabled")?.unwrap_or(true),
        mtu: body::integer(object, "mtu")?,
        segment: SegmentRequest {
            network_type: body::string(object, "provider:network_type", 32)?,
            physical_network: body::string(object, "provider:physical_network", 64)?,
            segmentation_id: body::integer(object, "provider:segmentation_id")?,
        },
        availability_zone_hints: Vec::new(),
        dns_domain: body::string(object, "dns_domain", 255)?.map(|d| d.to_lowercase()),
        set: body::set_among(object, GUARDED),
    })
}

/// `/v2.0/networks`.
pub struct Networks;

impl Resource for Networks {
    const SINGULAR: &'static str = "network";
    const PLURAL: &'static str = "networks";
    const PATH: &'static str = "/v2.0/networks";
    const TAG: &'static str = "networks";
    const LISTABLE: &'static Listable = &LISTABLE;
    const NOT_FOUND: fn(&str) -> NeutronError = crate::domain::networks::not_found;
    resource::forward!(NetworkRecord; list: list_networks, show: show_network, delete: delete_network);
    async fn views(
        neutron: &Neutron,
        caller: &Caller,
        records: &[NetworkRecord],
    ) -> Result<Vec<Value>> {
        Ok(records.iter().map(|r| view(neutron, caller, r)).collect())
    }
}

impl Creatable for Networks {
    resource::forward_create!(NetworkRecord, NewNetwork; create_network, new_network);
}

impl Updatable for Networks {
    resource::forward_update!(NetworkRecord, NetworkUpdate; update_network);
    const READ_ONLY: &'static [&'static str] = NOT_IN_PUT;
    const ATTRIBUTES: &'static [&'static str] = ATTRIBUTES;

    fn parse_update(object: &Object) -> Result<NetworkUpdate> {
        Ok(NetworkUpdate {
            name: body::string(object, "name", 255)?,
            description: body::string(object, "description", 255)?,
            admin_state_up: body::boolean(object, "admin_state_up")?,
            shared: body::boolean(object, "shared")?,
            external: body::boolean(object, "router:external")?,
            port_security_enabled: body::boolean(object, "port_security_enabled")?,
            mtu: body::integer(object, "mtu")?,
            dns_domain: body::string_or_null(object, "dns_domain", 255)?
                .map(|d| d.map(|d| d.to_lowercase())),
            set: body::set_among(object, GUARDED),
        })
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    resource::updatable_routes::<Networks>()
}
