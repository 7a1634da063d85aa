//! `/v2.0/networks`: networks with their segment (`provider:*`, admin only),
//! MTU, sharing and port security.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::{self, Object};
use super::listing::{self, ListQuery, Listable};
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

/// Create a network (or several, in bulk).
#[utoipa::path(post, path = "/v2.0/networks", tag = "networks", operation_id = "create_network",
    request_body(content = Object, content_type = "application/json", description = "{\"network\": {...}} or {\"networks\": [...]}"),
    responses((status = 201, description = "Created"), (status = 400), (status = 403), (status = 409)))]
async fn create(State(neutron): State<AppState>, caller: Caller, body: Bytes) -> Result<Response> {
    let (objects, bulk) = body::creates(&body, "network", "networks")?;
    let asked = objects
        .iter()
        .map(|o| new_network(&caller, o))
        .collect::<Result<Vec<_>>>()?;
    let mut made = Vec::new();
    for new in asked {
        let record = neutron.create_network(&caller, new).await?;
        made.push(view(&neutron, &caller, &record));
    }
    let body = if bulk {
        json!({"networks": made})
    } else {
        json!({"network": made.remove(0)})
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// List networks.
#[utoipa::path(get, path = "/v2.0/networks", tag = "networks", operation_id = "list_networks",
    responses((status = 200, description = "Networks"), (status = 400)))]
async fn list(
    State(neutron): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let query = ListQuery::parse(
        query.as_deref().unwrap_or_default(),
        &LISTABLE,
        neutron.cfg.max_limit,
    )?;
    let items = neutron
        .list_networks(&caller)
        .await?
        .iter()
        .map(|r| view(&neutron, &caller, r))
        .collect();
    let base = super::base_url(&neutron, &headers);
    Ok(axum::Json(listing::page(
        items,
        &query,
        &base,
        "/v2.0/networks",
        "networks",
        crate::domain::networks::not_found,
    )?)
    .into_response())
}

/// Show a network.
#[utoipa::path(get, path = "/v2.0/networks/{network_id}", tag = "networks", operation_id = "show_network",
    params(("network_id" = String, Path)), responses((status = 200, description = "The network"), (status = 404)))]
async fn show(
    State(neutron): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let record = neutron.show_network(&caller, &id).await?;
    let item = listing::select(
        view(&neutron, &caller, &record),
        query.as_deref().unwrap_or_default(),
    );
    Ok(axum::Json(json!({"network": item})).into_response())
}

/// Update a network.
#[utoipa::path(put, path = "/v2.0/networks/{network_id}", tag = "networks", operation_id = "update_network",
    params(("network_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"network\": {...}}"),
    responses((status = 200, description = "Updated"), (status = 400), (status = 403), (status = 404), (status = 412)))]
async fn update(
    State(neutron): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let object = body::update(&body, "network")?;
    body::only_known(&object, ATTRIBUTES)?;
    body::not_in_put(&object, NOT_IN_PUT)?;
    if object.contains_key("tenant_id") || object.contains_key("project_id") {
        return Err(NeutronError::bad_request(
            "Cannot update read-only attribute project_id",
        ));
    }
    let update = NetworkUpdate {
        name: body::string(&object, "name", 255)?,
        description: body::string(&object, "description", 255)?,
        admin_state_up: body::boolean(&object, "admin_state_up")?,
        shared: body::boolean(&object, "shared")?,
        external: body::boolean(&object, "router:external")?,
        port_security_enabled: body::boolean(&object, "port_security_enabled")?,
        mtu: body::integer(&object, "mtu")?,
        dns_domain: body::string_or_null(&object, "dns_domain", 255)?
            .map(|d| d.map(|d| d.to_lowercase())),
        set: body::set_among(&object, GUARDED),
    };
    let record = neutron
        .update_network(&caller, &id, update, body::if_match(&headers)?)
        .await?;
    Ok(axum::Json(json!({"network": view(&neutron, &caller, &record)})).into_response())
}

/// Delete a network.
#[utoipa::path(delete, path = "/v2.0/networks/{network_id}", tag = "networks", operation_id = "delete_network",
    params(("network_id" = String, Path)), responses((status = 204, description = "Deleted"), (status = 404), (status = 409), (status = 412)))]
async fn delete(
    State(neutron): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    neutron
        .delete_network(&caller, &id, body::if_match(&headers)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, update, delete))
}
