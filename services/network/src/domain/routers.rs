//! Routers (Neutron's L3 API): a gateway port on an external network (SNAT
//! on or off), interfaces that are ports it owns on its subnets (by subnet,
//! taking the gateway address, or by an unused port), and extra routes whose
//! next hops its interfaces reach. Nothing forwards packets yet: the agents
//! that build routers in namespaces come with the data plane.

use std::net::IpAddr;

use ipnet::IpNet;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::ports::{FixedIp, IpRequest, NewPort};
use super::{new_id, now, Caller, Neutron, NeutronError, Result};
use crate::db::entity::{ip_allocation, port, router, subnet};

/// The resource type tags name routers by.
pub const KIND: &str = "routers";
/// The owner of a router's interfaces.
pub const INTERFACE_OWNER: &str = "network:router_interface";
/// The owner of a router's gateway port.
pub const GATEWAY_OWNER: &str = "network:router_gateway";
/// Most extra routes a router may have (Neutron's `max_routes`).
const MAX_ROUTES: usize = 30;

/// An extra route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Route {
    pub destination: String,
    pub nexthop: String,
}

/// The gateway a request asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayRequest {
    pub network_id: String,
    pub enable_snat: Option<bool>,
    pub external_fixed_ips: Option<Vec<IpRequest>>,
}

/// A router with its gateway (network and addresses) and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterRecord {
    pub row: router::Model,
    pub gateway: Option<(String, Vec<FixedIp>)>,
    pub tags: Vec<String>,
}

/// What a create asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRouter {
    pub project_id: Option<String>,
    pub name: String,
    pub description: String,
    pub admin_state_up: bool,
    /// `None`: no gateway.
    pub gateway: Option<GatewayRequest>,
    pub set: Vec<&'static str>,
}

/// What an update asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouterUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub admin_state_up: Option<bool>,
    /// `Some(None)`: clear the gateway.
    pub gateway: Option<Option<GatewayRequest>>,
    pub routes: Option<Vec<Route>>,
    pub set: Vec<&'static str>,
}

/// What adding or removing an interface names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceRequest {
    pub subnet_id: Option<String>,
    pub port_id: Option<String>,
}

/// An interface added or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub router_id: String,
    pub project_id: String,
    pub port_id: String,
    pub network_id: String,
    pub subnet_ids: Vec<String>,
}

pub(crate) fn not_found(id: &str) -> NeutronError {
    NeutronError::not_found("RouterNotFound", format!("Router {id} could not be found"))
}

fn bad(msg: impl std::fmt::Display) -> NeutronError {
    NeutronError::new(400, "BadRequest", format!("Bad router request: {msg}."))
}

fn policy_target(row: &router::Model) -> Value {
    json!({"project_id": row.project_id, "tenant_id": row.project_id})
}

/// Whether `owner` is a port a router made (the port API may not delete it).
pub fn router_owned(owner: &str) -> bool {
    owner == INTERFACE_OWNER || owner == GATEWAY_OWNER
}

impl Neutron {
    async fn router_records(&self, rows: Vec<router::Model>) -> Result<Vec<RouterRecord>> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut tags = super::tags::of(&self.db, KIND, &ids).await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let gateway = match &row.gw_port_id {
                Some(port_id) => {
                    let gw = port::Entity::find_by_id(port_id).one(&self.db).await?;
                    match gw {
                        Some(gw) => {
                            let ips = ip_allocation::Entity::find()
                                .filter(ip_allocation::Column::PortId.eq(port_id))
                                .all(&self.db)
                                .await?
                                .into_iter()
                                .map(|a| FixedIp {
                                    subnet_id: a.subnet_id,
                                    ip_address: a.ip_address,
                                })
                                .collect();
                            Some((gw.network_id, ips))
                        }
                        None => None,
                    }
                }
                None => None,
            };
            records.push(RouterRecord {
                tags: tags.remove(&row.id).unwrap_or_default(),
                gateway,
                row,
            });
        }
        Ok(records)
    }

    /// The router `id` if the caller may see it.
    pub async fn router_row(&self, caller: &Caller, id: &str) -> Result<router::Model> {
        let row = router::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        if !self.allowed(caller, "get_router", &policy_target(&row)) {
            return Err(not_found(id));
        }
        Ok(row)
    }

    /// Makes the gateway port of `router_id` on an external network.
    async fn make_gateway(
        &self,
        caller: &Caller,
        router_id: &str,
        asked: &GatewayRequest,
    ) -> Result<String> {
        let net = self.visible_network(caller, &asked.network_id).await?;
        if !net.external {
            return Err(bad(format!(
                "Network {} is not an external network",
                net.id
            )));
        }
        let new = NewPort {
            network_id: net.id.clone(),
            admin_state_up: true,
            device_id: router_id.to_string(),
            device_owner: GATEWAY_OWNER.into(),
            binding_host_id: self.router_host(router_id).await?,
            fixed_ips: asked.external_fixed_ips.clone(),
            binding_vnic_type: "normal".into(),
            binding_profile: json!({}),
            ..NewPort::default()
        };
        // Neutron gives a gateway port no project: it counts against none.
        let row = self.make_port("", &net, &new, &[], false).await?;
        let has_address = ip_allocation::Entity::find()
            .filter(ip_allocation::Column::PortId.eq(&row.id))
            .one(&self.db)
            .await?
            .is_some();
        if !has_address {
            self.remove_port(&row.id).await?;
            return Err(bad(format!(
                "No IPs available for external network {}",
                net.id
            )));
        }
        Ok(row.id)
    }

    /// `POST /v2.0/routers`.
    pub async fn create_router(&self, caller: &Caller, new: NewRouter) -> Result<RouterRecord> {
        let project = new
            .project_id
            .clone()
            .unwrap_or_else(|| caller.project().to_string());
        let target = json!({"project_id": project, "tenant_id": project});
        self.authorize_with_attributes(caller, "create_router", &new.set, &target)?;
        let id = new_id();
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &project).await?;
        super::quotas::check(&txn, self, &project, "router", 1).await?;
        let at = now();
        let row = router::ActiveModel {
            id: Set(id.clone()),
            project_id: Set(project),
            name: Set(new.name),
            description: Set(new.description),
            revision_number: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            status: Set("ACTIVE".into()),
            admin_state_up: Set(new.admin_state_up),
            gw_port_id: Set(None),
            enable_snat: Set(true),
            routes: Set("[]".into()),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        let row = match &new.gateway {
            Some(gateway) => match self.set_gateway(caller, &row, Some(gateway)).await {
                Ok(row) => row,
                Err(e) => {
                    router::Entity::delete_by_id(&id).exec(&self.db).await?;
                    return Err(e);
                }
            },
            None => row,
        };
        Ok(self.router_records(vec![row]).await?.remove(0))
    }

    /// Replaces (or clears) a router's gateway.
    async fn set_gateway(
        &self,
        caller: &Caller,
        row: &router::Model,
        asked: Option<&GatewayRequest>,
    ) -> Result<router::Model> {
        let current = self
            .router_records(vec![row.clone()])
            .await?
            .remove(0)
            .gateway;
        let same_network =
            matches!((&current, asked), (Some((net, _)), Some(a)) if *net == a.network_id);
        let mut active: router::ActiveModel = row.clone().into();
        if let (true, Some(asked)) = (same_network, asked) {
            if asked.external_fixed_ips.is_none() {
                active.enable_snat = Set(asked.enable_snat.unwrap_or(row.enable_snat));
                return self.touch_router(active, row.revision_number).await;
            }
        }
        if let (Some((network_id, _)), false) = (&current, same_network) {
            self.check_gateway_unused(&row.id, network_id).await?;
        }
        let new_port = match asked {
            Some(asked) => Some(self.make_gateway(caller, &row.id, asked).await?),
            None => None,
        };
        if let Some(old) = &row.gw_port_id {
            self.remove_port(old).await?;
        }
        active.gw_port_id = Set(new_port);
        active.enable_snat = Set(asked.and_then(|a| a.enable_snat).unwrap_or(true));
        self.touch_router(active, row.revision_number).await
    }

    async fn touch_router(
        &self,
        mut active: router::ActiveModel,
        revision: i64,
    ) -> Result<router::Model> {
        active.revision_number = Set(revision + 1);
        active.updated_at = Set(now());
        Ok(active.update(&self.db).await?)
    }

    /// `GET /v2.0/routers`.
    pub async fn list_routers(&self, caller: &Caller) -> Result<Vec<RouterRecord>> {
        let mut query = router::Entity::find();
        if !caller.is_admin {
            query = query.filter(router::Column::ProjectId.eq(caller.project()));
        }
        let rows = query
            .order_by_asc(router::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|row| self.allowed(caller, "get_router", &policy_target(row)))
            .collect();
        self.router_records(rows).await
    }

    /// `GET /v2.0/routers/{id}`.
    pub async fn show_router(&self, caller: &Caller, id: &str) -> Result<RouterRecord> {
        let row = self.router_row(caller, id).await?;
        Ok(self.router_records(vec![row]).await?.remove(0))
    }

    /// The router's interfaces: their ports.
    async fn interfaces(&self, router_id: &str) -> Result<Vec<port::Model>> {
        Ok(port::Entity::find()
            .filter(port::Column::DeviceId.eq(router_id))
            .filter(port::Column::DeviceOwner.eq(INTERFACE_OWNER))
            .all(&self.db)
            .await?)
    }

    /// The subnets the router's interfaces are on, with the interfaces' addresses.
    async fn interface_subnets(&self, router_id: &str) -> Result<Vec<(subnet::Model, String)>> {
        let ports: Vec<String> = self
            .interfaces(router_id)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        let mut found = Vec::new();
        for a in ip_allocation::Entity::find()
            .filter(ip_allocation::Column::PortId.is_in(ports))
            .all(&self.db)
            .await?
        {
            if let Some(s) = subnet::Entity::find_by_id(&a.subnet_id)
                .one(&self.db)
                .await?
            {
                found.push((s, a.ip_address));
            }
        }
        Ok(found)
    }

    /// Checks extra routes: each next hop on an interface's subnet, and not
    /// the router's own address.
    async fn check_routes(&self, router_id: &str, routes: &[Route]) -> Result<()> {
        if routes.len() > MAX_ROUTES {
            return Err(NeutronError::new(
                400,
                "RoutesExhausted",
                format!("Unable to complete operation for {router_id}. The number of routes exceeds the maximum {MAX_ROUTES}."),
            ));
        }
        let connected = self.interface_subnets(router_id).await?;
        let shown = serde_json::to_string(routes).unwrap_or_default();
        let invalid = |reason: &str| {
            NeutronError::new(
                400,
                "InvalidRoutes",
                format!("Invalid format for routes: {shown}, {reason}."),
            )
        };
        for route in routes {
            route
                .destination
                .parse::<IpNet>()
                .map_err(|_| invalid("the destination is not a CIDR"))?;
            let hop: IpAddr = route
                .nexthop
                .parse()
                .map_err(|_| invalid("the nexthop is not an IP address"))?;
            let reachable = connected
                .iter()
                .any(|(s, _)| s.cidr.parse::<IpNet>().is_ok_and(|c| c.contains(&hop)));
            if !reachable {
                return Err(invalid("the nexthop is not connected with router"));
            }
            if connected
                .iter()
                .any(|(_, ip)| ip.parse::<IpAddr>().ok() == Some(hop))
            {
                return Err(invalid("the nexthop is used by router"));
            }
        }
        Ok(())
    }

    /// `PUT /v2.0/routers/{id}`.
    pub async fn update_router(
        &self,
        caller: &Caller,
        id: &str,
        update: RouterUpdate,
        revision: Option<i64>,
    ) -> Result<RouterRecord> {
        let row = self.router_row(caller, id).await?;
        self.authorize_with_attributes(caller, "update_router", &update.set, &policy_target(&row))?;
        super::networks::check_revision(row.revision_number, revision)?;
        if let Some(routes) = &update.routes {
            self.check_routes(id, routes).await?;
        }
        let mut row = row;
        if let Some(gateway) = &update.gateway {
            row = self.set_gateway(caller, &row, gateway.as_ref()).await?;
        }
        let mut active: router::ActiveModel = row.clone().into();
        if let Some(v) = update.name {
            active.name = Set(v);
        }
        if let Some(v) = update.description {
            active.description = Set(v);
        }
        if let Some(v) = update.admin_state_up {
            active.admin_state_up = Set(v);
        }
        if let Some(routes) = update.routes {
            let mut unique: Vec<Route> = Vec::new();
            for r in routes {
                if !unique.contains(&r) {
                    unique.push(r);
                }
            }
            active.routes = Set(json!(unique).to_string());
        }
        let row = self.touch_router(active, row.revision_number).await?;
        self.tell_l3(id, &[]).await;
        Ok(self.router_records(vec![row]).await?.remove(0))
    }

    /// `DELETE /v2.0/routers/{id}`: 409 while it has interfaces.
    pub async fn delete_router(
        &self,
        caller: &Caller,
        id: &str,
        revision: Option<i64>,
    ) -> Result<()> {
        let row = self.router_row(caller, id).await?;
        self.authorize(caller, "delete_router", &policy_target(&row))?;
        super::networks::check_revision(row.revision_number, revision)?;
        let attached: Vec<String> = self
            .interfaces(id)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        if !attached.is_empty() {
            return Err(NeutronError::conflict(
                "RouterInUse",
                format!(
                    "Router {id} has ports still attached: {}",
                    attached.join(", ")
                ),
            ));
        }
        if let Some(gw) = &row.gw_port_id {
            self.remove_port(gw).await?;
        }
        super::tags::clear(&self.db, KIND, id).await?;
        router::Entity::delete_by_id(id).exec(&self.db).await?;
        Ok(())
    }

    /// `PUT /v2.0/routers/{id}/add_router_interface`.
    pub async fn add_interface(
        &self,
        caller: &Caller,
        id: &str,
        asked: InterfaceRequest,
    ) -> Result<Interface> {
        let row = self.router_row(caller, id).await?;
        self.authorize(caller, "add_router_interface", &policy_target(&row))?;
        let port_row = match (&asked.subnet_id, &asked.port_id) {
            (None, None) => return Err(bad("Either subnet_id or port_id must be specified")),
            (Some(_), Some(_)) => return Err(bad("Cannot specify both subnet-id and port-id")),
            (Some(subnet_id), None) => self.interface_on_subnet(caller, &row, subnet_id).await?,
            (None, Some(port_id)) => self.interface_from_port(caller, &row, port_id).await?,
        };
        let subnet_ids: Vec<String> = ip_allocation::Entity::find()
            .filter(ip_allocation::Column::PortId.eq(&port_row.id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| a.subnet_id)
            .collect();
        self.touch_router(row.clone().into(), row.revision_number)
            .await?;
        Ok(Interface {
            router_id: row.id,
            project_id: row.project_id,
            port_id: port_row.id,
            network_id: port_row.network_id,
            subnet_ids,
        })
    }

    /// Refuses a subnet the router has an interface on, or that overlaps one.
    async fn check_new_subnets(&self, router_id: &str, subnets: &[subnet::Model]) -> Result<()> {
        for (have, _) in self.interface_subnets(router_id).await? {
            for new in subnets {
                if have.id == new.id {
                    return Err(bad(format!(
                        "Router already has a port on subnet {}",
                        new.id
                    )));
                }
                let (a, b) = (have.cidr.parse::<IpNet>(), new.cidr.parse::<IpNet>());
                if let (Ok(a), Ok(b)) = (a, b) {
                    if a.contains(&b.network()) || b.contains(&a.network()) {
                        return Err(bad(format!(
                            "Cidr {} of subnet {} overlaps with cidr {} of subnet {}",
                            new.cidr, new.id, have.cidr, have.id
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    async fn interface_on_subnet(
        &self,
        caller: &Caller,
        row: &router::Model,
        subnet_id: &str,
    ) -> Result<port::Model> {
        let (subnet, net) = self.subnet_row(caller, subnet_id).await.map_err(|e| {
            if e.kind == "HTTPNotFound" {
                super::subnets::not_found(subnet_id)
            } else {
                e
            }
        })?;
        let Some(gateway) = subnet.gateway_ip.clone() else {
            return Err(bad("Subnet for router interface must have a gateway IP"));
        };
        if subnet.project_id != caller.project() && !caller.is_admin && net.shared {
            return Err(bad(format!(
                "Cannot add interface to router because subnet {subnet_id} is not owned by project making the request"
            )));
        }
        self.check_new_subnets(&row.id, std::slice::from_ref(&subnet))
            .await?;
        let new = NewPort {
            network_id: net.id.clone(),
            admin_state_up: true,
            device_id: row.id.clone(),
            device_owner: INTERFACE_OWNER.into(),
            binding_host_id: self.router_host(&row.id).await?,
            fixed_ips: Some(vec![IpRequest {
                subnet_id: Some(subnet.id.clone()),
                ip_address: Some(gateway),
            }]),
            binding_vnic_type: "normal".into(),
            binding_profile: json!({}),
            ..NewPort::default()
        };
        self.make_port(&row.project_id, &net, &new, &[], false)
            .await
    }

    async fn interface_from_port(
        &self,
        caller: &Caller,
        row: &router::Model,
        port_id: &str,
    ) -> Result<port::Model> {
        let (found, _) = self.port_row(caller, port_id).await.map_err(|e| {
            if e.kind == "HTTPNotFound" {
                super::ports::not_found(port_id)
            } else {
                e
            }
        })?;
        if !found.device_id.is_empty() {
            return Err(NeutronError::conflict(
                "PortInUse",
                format!(
                    "Unable to complete operation on port {} for network {}. Port already has an attached device {}.",
                    found.id, found.network_id, found.device_id
                ),
            ));
        }
        let subnet_ids: Vec<String> = ip_allocation::Entity::find()
            .filter(ip_allocation::Column::PortId.eq(&found.id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| a.subnet_id)
            .collect();
        if subnet_ids.is_empty() {
            return Err(bad("Router port must have at least one fixed IP"));
        }
        let subnets = subnet::Entity::find()
            .filter(subnet::Column::Id.is_in(subnet_ids))
            .all(&self.db)
            .await?;
        if subnets.iter().filter(|s| s.ip_version == 4).count() > 1 {
            return Err(bad("Cannot have multiple IPv4 subnets on router port"));
        }
        self.check_new_subnets(&row.id, &subnets).await?;
        super::ports::adopt(&self.db, &found.id, &row.id, INTERFACE_OWNER).await?;
        let host = self.router_host(&row.id).await?;
        self.bind_port(&found.id, &host).await?;
        port::Entity::find_by_id(&found.id)
            .one(&self.db)
            .await?
            .ok_or_else(|| super::ports::not_found(&found.id))
    }

    /// `PUT /v2.0/routers/{id}/remove_router_interface`.
    pub async fn remove_interface(
        &self,
        caller: &Caller,
        id: &str,
        asked: InterfaceRequest,
    ) -> Result<Interface> {
        let row = self.router_row(caller, id).await?;
        self.authorize(caller, "remove_router_interface", &policy_target(&row))?;
        if asked.subnet_id.is_none() && asked.port_id.is_none() {
            return Err(bad("Either subnet_id or port_id must be specified"));
        }
        let interfaces = self.interfaces(id).await?;
        let mut chosen = None;
        for p in &interfaces {
            let subnets: Vec<String> = ip_allocation::Entity::find()
                .filter(ip_allocation::Column::PortId.eq(&p.id))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|a| a.subnet_id)
                .collect();
            let by_port = asked.port_id.as_deref().is_none_or(|want| want == p.id);
            let by_subnet = asked
                .subnet_id
                .as_ref()
                .is_none_or(|want| subnets.contains(want));
            if by_port && by_subnet {
                chosen = Some((p.clone(), subnets));
                break;
            }
        }
        let Some((found, subnet_ids)) = chosen else {
            return Err(match (&asked.port_id, &asked.subnet_id) {
                (Some(port_id), _) => NeutronError::not_found(
                    "RouterInterfaceNotFound",
                    format!("Router {id} does not have an interface with id {port_id}"),
                ),
                (None, subnet_id) => NeutronError::not_found(
                    "RouterInterfaceNotFoundForSubnet",
                    format!(
                        "Router {id} has no interface on subnet {}",
                        subnet_id.clone().unwrap_or_default()
                    ),
                ),
            });
        };
        let routes: Vec<Route> = serde_json::from_str(&row.routes).unwrap_or_default();
        for subnet_id in &subnet_ids {
            let Some(s) = subnet::Entity::find_by_id(subnet_id).one(&self.db).await? else {
                continue;
            };
            let cidr: Option<IpNet> = s.cidr.parse().ok();
            let used = routes.iter().any(|r| {
                r.nexthop
                    .parse::<IpAddr>()
                    .ok()
                    .zip(cidr)
                    .is_some_and(|(hop, c)| c.contains(&hop))
            });
            if super::floating_ips::router_in_use(&self.db, id, Some(subnet_id)).await? {
                return Err(NeutronError::conflict(
                    "RouterInterfaceInUseByFloatingIP",
                    format!("Router interface for subnet {subnet_id} on router {id} cannot be deleted, as it is required by one or more floating IPs."),
                ));
            }
            if used {
                return Err(NeutronError::conflict(
                    "RouterInterfaceInUseByRoute",
                    format!("Router interface for subnet {subnet_id} on router {id} cannot be deleted, as it is required by one or more routes."),
                ));
            }
        }
        self.remove_port(&found.id).await?;
        self.touch_router(row.clone().into(), row.revision_number)
            .await?;
        Ok(Interface {
            router_id: row.id,
            project_id: row.project_id,
            port_id: found.id,
            network_id: found.network_id,
            subnet_ids,
        })
    }
}
