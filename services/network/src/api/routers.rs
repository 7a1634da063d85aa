//! `/v2.0/routers`: routers with their external gateway, extra routes, and
//! the `add_router_interface`/`remove_router_interface` member actions.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::{self, python_str, Object};
use super::listing::Listable;
use super::resource::{self, Creatable, Resource, Updatable};
use super::{stored_list, timestamp, AppState};
use crate::domain::ports::IpRequest;
use crate::domain::routers::{
    GatewayRequest, Interface, InterfaceRequest, NewRouter, Route, RouterRecord, RouterUpdate,
};
use crate::domain::{Caller, Neutron, NeutronError, Result};

const ATTRIBUTES: &[&str] = &[
    "id",
    "name",
    "description",
    "admin_state_up",
    "status",
    "external_gateway_info",
    "routes",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
const NOT_IN_POST: &[&str] = &[
    "id",
    "status",
    "routes",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
const NOT_IN_PUT: &[&str] = &[
    "id",
    "status",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];

pub const LISTABLE: Listable = Listable {
    filters: &[
        "id",
        "name",
        "description",
        "admin_state_up",
        "status",
        "revision_number",
        "changed_since",
    ],
    sort_keys: &[
        "id",
        "name",
        "admin_state_up",
        "status",
        "project_id",
        "tenant_id",
        "created_at",
        "updated_at",
        "revision_number",
    ],
    taggable: true,
};

/// A router as Neutron shows it.
pub fn view(record: &RouterRecord) -> Value {
    let row = &record.row;
    let gateway = record.gateway.as_ref().map(|(network_id, ips)| {
        json!({"network_id": network_id, "enable_snat": row.enable_snat, "external_fixed_ips": ips})
    });
    json!({
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "tenant_id": row.project_id,
        "project_id": row.project_id,
        "admin_state_up": row.admin_state_up,
        "status": row.status,
        "external_gateway_info": gateway,
        "routes": stored_list(&row.routes),
        "tags": record.tags,
        "created_at": timestamp(&row.created_at),
        "updated_at": timestamp(&row.updated_at),
        "revision_number": row.revision_number,
    })
}

fn interface_view(interface: &Interface) -> Value {
    json!({
        "id": interface.router_id,
        "tenant_id": interface.project_id,
        "project_id": interface.project_id,
        "port_id": interface.port_id,
        "network_id": interface.network_id,
        "subnet_id": interface.subnet_ids.first(),
        "subnet_ids": interface.subnet_ids,
    })
}

/// `external_gateway_info`: null, or a network with SNAT and addresses.
fn gateway(object: &Object, set: &mut Vec<&'static str>) -> Result<Option<Option<GatewayRequest>>> {
    let Some(value) = object.get("external_gateway_info") else {
        return Ok(None);
    };
    let invalid = |why: String| body::invalid("external_gateway_info", why);
    let map = match value {
        Value::Null => return Ok(Some(None)),
        Value::Object(map) if map.is_empty() => return Ok(Some(None)),
        Value::Object(map) => map,
        other => {
            return Err(invalid(format!(
                "'{}' is not a dictionary",
                python_str(other)
            )))
        }
    };
    if let Some(key) = map.keys().find(|k| {
        !matches!(
            k.as_str(),
            "network_id" | "enable_snat" | "external_fixed_ips" | "qos_policy_id"
        )
    }) {
        return Err(invalid(format!("Validation of dictionary's keys failed. Expected keys: {{'network_id'}} Provided keys: {{'{key}'}}")));
    }
    let Some(network_id) = map.get("network_id").and_then(Value::as_str) else {
        return Err(invalid(
            "Validation of dictionary's keys failed. Expected keys: {'network_id'}".into(),
        ));
    };
    let enable_snat = map.get("enable_snat").map(body::to_bool).transpose()?;
    if enable_snat.is_some() {
        set.push("external_gateway_info:enable_snat");
    }
    let external_fixed_ips = match map.get("external_fixed_ips") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            set.push("external_gateway_info:external_fixed_ips");
            Some(
                items
                    .iter()
                    .map(|i| IpRequest {
                        subnet_id: i
                            .get("subnet_id")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        ip_address: i
                            .get("ip_address")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    })
                    .collect(),
            )
        }
        Some(other) => return Err(invalid(format!("'{}' is not a list", python_str(other)))),
    };
    Ok(Some(Some(GatewayRequest {
        network_id: network_id.to_string(),
        enable_snat,
        external_fixed_ips,
    })))
}

fn routes_of(object: &Object) -> Result<Option<Vec<Route>>> {
    let Some(value) = object.get("routes") else {
        return Ok(None);
    };
    let items = match value {
        Value::Null => return Ok(Some(Vec::new())),
        Value::Array(items) => items,
        other => {
            return Err(body::invalid(
                "routes",
                format!("'{}' is not a list", python_str(other)),
            ))
        }
    };
    items
        .iter()
        .map(|item| {
            match (
                item.get("destination").and_then(Value::as_str),
                item.get("nexthop").and_then(Value::as_str),
            ) {
                (Some(d), Some(n)) => Ok(Route {
                    destination: d.into(),
                    nexthop: n.into(),
                }),
                _ => Err(body::invalid(
                    "routes",
                    format!("Invalid data format for hostroute: '{}'", python_str(item)),
                )),
            }
        })
        .collect::<Result<_>>()
        .map(Some)
}

fn new_router(caller: &Caller, object: &Object) -> Result<NewRouter> {
    body::only_known(object, ATTRIBUTES)?;
    body::not_in_post(object, NOT_IN_POST)?;
    let mut set = Vec::new();
    let gateway = gateway(object, &mut set)?.flatten();
    Ok(NewRouter {
        project_id: body::project(caller, object)?,
        name: body::string(object, "name", 255)?.unwrap_or_default(),
        description: body::string(object, "description", 255)?.unwrap_or_default(),
        admin_state_up: body::boolean(object, "admin_state_up")?.unwrap_or(true),
        gateway,
        set,
    })
}

/// `/v2.0/routers`.
pub struct Routers;

impl Resource for Routers {
    const SINGULAR: &'static str = "router";
    const PLURAL: &'static str = "routers";
    const PATH: &'static str = "/v2.0/routers";
    const TAG: &'static str = "routers";
    const LISTABLE: &'static Listable = &LISTABLE;
    const NOT_FOUND: fn(&str) -> NeutronError = crate::domain::routers::not_found;
    resource::forward!(RouterRecord; list: list_routers, show: show_router, delete: delete_router);
    async fn views(_: &Neutron, _: &Caller, records: &[RouterRecord]) -> Result<Vec<Value>> {
        Ok(records.iter().map(view).collect())
    }
}

impl Creatable for Routers {
    resource::forward_create!(RouterRecord, NewRouter; create_router, new_router);
}

impl Updatable for Routers {
    resource::forward_update!(RouterRecord, RouterUpdate; update_router);
    const READ_ONLY: &'static [&'static str] = NOT_IN_PUT;
    const ATTRIBUTES: &'static [&'static str] = ATTRIBUTES;

    /// A name, the gateway or the extra routes.
    fn parse_update(object: &Object) -> Result<RouterUpdate> {
        let mut set = Vec::new();
        let gateway = gateway(object, &mut set)?;
        Ok(RouterUpdate {
            name: body::string(object, "name", 255)?,
            description: body::string(object, "description", 255)?,
            admin_state_up: body::boolean(object, "admin_state_up")?,
            gateway,
            routes: routes_of(object)?,
            set,
        })
    }
}

fn interface_request(body: &[u8]) -> Result<InterfaceRequest> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| NeutronError::bad_request("Body contains invalid data"))?;
    let id = |key: &str| -> Result<Option<String>> {
        match value.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => Ok(Some(s.clone())),
            Some(other) => Err(NeutronError::new(
                400,
                "BadRequest",
                format!(
                    "Bad router request: '{}' is not a valid UUID.",
                    python_str(other)
                ),
            )),
        }
    };
    Ok(InterfaceRequest {
        subnet_id: id("subnet_id")?,
        port_id: id("port_id")?,
    })
}

/// Attach a subnet (or an unused port) to a router.
#[utoipa::path(put, path = "/v2.0/routers/{router_id}/add_router_interface", tag = "routers", operation_id = "add_router_interface",
    params(("router_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"subnet_id\": ...} or {\"port_id\": ...}"),
    responses((status = 200, description = "The interface"), (status = 400), (status = 404), (status = 409)))]
async fn add_interface(
    State(neutron): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let asked = interface_request(&body)?;
    let interface = neutron.add_interface(&caller, &id, asked).await?;
    Ok(axum::Json(interface_view(&interface)).into_response())
}

/// Detach a subnet or port from a router.
#[utoipa::path(put, path = "/v2.0/routers/{router_id}/remove_router_interface", tag = "routers", operation_id = "remove_router_interface",
    params(("router_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"subnet_id\": ...} or {\"port_id\": ...}"),
    responses((status = 200, description = "The interface removed"), (status = 400), (status = 404), (status = 409)))]
async fn remove_interface(
    State(neutron): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let asked = interface_request(&body)?;
    let interface = neutron.remove_interface(&caller, &id, asked).await?;
    Ok(axum::Json(interface_view(&interface)).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    resource::updatable_routes::<Routers>()
        .routes(routes!(add_interface))
        .routes(routes!(remove_interface))
}
