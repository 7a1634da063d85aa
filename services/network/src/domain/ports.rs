//! Ports: a MAC address, addresses from the network's subnets (asked for or
//! chosen by address management), security groups (the project's default
//! when none are asked for) and port security, the binding a host asks for,
//! and their updates and deletes.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use ipnet::IpNet;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{ipam, mac, new_id, now, Caller, Neutron, NeutronError, Result};
use crate::db::entity::{
    default_security_group, ip_allocation, network, port, port_security_group, security_group,
    subnet,
};

/// The resource type tags name ports by.
pub const KIND: &str = "ports";

/// An address of a port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixedIp {
    pub subnet_id: String,
    pub ip_address: String,
}

/// An address a request asks for: of a subnet, a given one, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpRequest {
    pub subnet_id: Option<String>,
    pub ip_address: Option<String>,
}

/// An allowed address pair (the MAC defaults to the port's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressPair {
    pub ip_address: String,
    pub mac_address: String,
}

/// An allowed address pair as asked: its address and, if given, its MAC.
pub type PairRequest = (String, Option<String>);

/// A port with its addresses, groups and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRecord {
    pub row: port::Model,
    pub fixed_ips: Vec<FixedIp>,
    pub security_groups: Vec<String>,
    pub tags: Vec<String>,
}

/// What a create asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewPort {
    pub project_id: Option<String>,
    pub network_id: String,
    pub name: String,
    pub description: String,
    pub admin_state_up: bool,
    pub mac_address: Option<String>,
    pub fixed_ips: Option<Vec<IpRequest>>,
    pub device_id: String,
    pub device_owner: String,
    pub port_security_enabled: Option<bool>,
    pub security_groups: Option<Vec<String>>,
    /// Pairs whose MAC may still be missing (the port's own then).
    pub allowed_address_pairs: Vec<PairRequest>,
    pub extra_dhcp_opts: Vec<Value>,
    pub binding_host_id: String,
    pub binding_vnic_type: String,
    pub binding_profile: Value,
    pub dns_name: String,
    pub tags: Vec<String>,
    pub set: Vec<&'static str>,
}

/// What an update asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PortUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub admin_state_up: Option<bool>,
    pub mac_address: Option<String>,
    pub fixed_ips: Option<Vec<IpRequest>>,
    pub device_id: Option<String>,
    pub device_owner: Option<String>,
    pub port_security_enabled: Option<bool>,
    pub security_groups: Option<Vec<String>>,
    pub allowed_address_pairs: Option<Vec<PairRequest>>,
    pub extra_dhcp_opts: Option<Vec<Value>>,
    pub binding_host_id: Option<String>,
    pub binding_vnic_type: Option<String>,
    pub binding_profile: Option<Value>,
    pub dns_name: Option<String>,
    pub set: Vec<&'static str>,
}

pub(crate) fn not_found(id: &str) -> NeutronError {
    NeutronError::not_found("PortNotFound", format!("Port {id} could not be found."))
}

/// Owners Neutron trusts: no security groups, no port security.
fn trusted(owner: &str) -> bool {
    owner.starts_with("network:")
}

/// Router ports, which get no SLAAC address of their own.
fn router_owner(owner: &str) -> bool {
    matches!(
        owner,
        "network:router_interface"
            | "network:ha_router_replicated_interface"
            | "network:router_interface_distributed"
    )
}

/// Whether addresses of `row` are made from MACs (SLAAC or stateless DHCPv6).
fn automatic(row: &subnet::Model) -> bool {
    row.ipv6_address_mode
        .as_deref()
        .is_some_and(|m| matches!(m, "slaac" | "dhcpv6-stateless"))
}

fn policy_target(project: &str, net: &network::Model, owner: &str) -> Value {
    json!({
        "project_id": project,
        "tenant_id": project,
        "network:tenant_id": net.project_id,
        "device_owner": owner,
    })
}

/// Checks allowed address pairs against port security and the limit.
fn address_pairs(
    pairs: &[PairRequest],
    mac: &str,
    port_security: bool,
    max: usize,
) -> Result<Vec<AddressPair>> {
    if !pairs.is_empty() && !port_security {
        return Err(NeutronError::conflict(
            "AddressPairAndPortSecurityRequired",
            "Port Security must be enabled in order to have allowed address pairs on a port.",
        ));
    }
    if pairs.len() > max {
        return Err(NeutronError::new(
            400,
            "AllowedAddressPairExhausted",
            format!("The number of allowed address pair exceeds the maximum {max}."),
        ));
    }
    let mut seen = HashSet::new();
    let mut checked = Vec::new();
    for (ip, pair_mac) in pairs {
        let pair = AddressPair {
            ip_address: ip.clone(),
            mac_address: pair_mac.clone().unwrap_or_else(|| mac.to_string()),
        };
        if !seen.insert((pair.ip_address.clone(), pair.mac_address.clone())) {
            return Err(NeutronError::new(
                400,
                "DuplicateAddressPairInRequest",
                format!(
                    "Request contains duplicate address pair: mac_address {} ip_address {}.",
                    pair.mac_address, pair.ip_address
                ),
            ));
        }
        checked.push(pair);
    }
    Ok(checked)
}

/// Deletes what a port holds and the port itself.
pub(crate) async fn forget<C: ConnectionTrait>(db: &C, id: &str) -> Result<()> {
    ipam::release(db, id).await?;
    port_security_group::Entity::delete_many()
        .filter(port_security_group::Column::PortId.eq(id))
        .exec(db)
        .await?;
    super::tags::clear(db, KIND, id).await?;
    port::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Hands an unused port to a device (a router taking it as an interface):
/// no security groups or port security on it any more.
pub(crate) async fn adopt<C: ConnectionTrait>(
    db: &C,
    id: &str,
    device_id: &str,
    owner: &str,
) -> Result<()> {
    port_security_group::Entity::delete_many()
        .filter(port_security_group::Column::PortId.eq(id))
        .exec(db)
        .await?;
    port::Entity::update_many()
        .col_expr(
            port::Column::DeviceId,
            sea_orm::sea_query::Expr::value(device_id),
        )
        .col_expr(
            port::Column::DeviceOwner,
            sea_orm::sea_query::Expr::value(owner),
        )
        .col_expr(
            port::Column::PortSecurityEnabled,
            sea_orm::sea_query::Expr::value(false),
        )
        .col_expr(
            port::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now()),
        )
        .col_expr(
            port::Column::RevisionNumber,
            sea_orm::sea_query::Expr::col(port::Column::RevisionNumber).add(1),
        )
        .filter(port::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The network's subnets, oldest first.
async fn subnets_of<C: ConnectionTrait>(db: &C, network_id: &str) -> Result<Vec<subnet::Model>> {
    Ok(subnet::Entity::find()
        .filter(subnet::Column::NetworkId.eq(network_id))
        .order_by_asc(subnet::Column::CreatedAt)
        .order_by_asc(subnet::Column::Id)
        .all(db)
        .await?)
}

fn exhausted(network_id: &str) -> NeutronError {
    NeutronError::conflict(
        "IpAddressGenerationFailure",
        format!("No more IP addresses available on network {network_id}."),
    )
}

/// Gives a port the addresses it asks for, or Neutron's choice when it asks
/// for none: one IPv4 address, one stateful IPv6 address, and a SLAAC
/// address on each automatic subnet.
async fn assign<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    net: &network::Model,
    port_id: &str,
    mac: &str,
    owner: &str,
    asked: Option<&[IpRequest]>,
) -> Result<()> {
    let subnets = subnets_of(db, &net.id).await?;
    let lowest = matches!(owner, "network:dhcp" | "network:distributed");
    let Some(asked) = asked else {
        let serves = |s: &subnet::Model| {
            let types: Vec<String> = serde_json::from_str(&s.service_types).unwrap_or_default();
            types.is_empty() || types.iter().any(|t| t == owner)
        };
        for version in [4, 6] {
            let group: Vec<&subnet::Model> = subnets
                .iter()
                .filter(|s| s.ip_version == version && !automatic(s) && serves(s))
                .collect();
            if group.is_empty() {
                continue;
            }
            let mut given = false;
            for s in group {
                if ipam::allocate_any(db, s, port_id, lowest).await?.is_some() {
                    given = true;
                    break;
                }
            }
            if !given {
                return Err(exhausted(&net.id));
            }
        }
        if !router_owner(owner) {
            for s in subnets.iter().filter(|s| automatic(s)) {
                let cidr: IpNet = s.cidr.parse().map_err(NeutronError::internal)?;
                if let Some(ip) = ipam::eui64(&cidr, mac) {
                    ipam::allocate_address(db, s, ip, port_id).await?;
                }
            }
        }
        return Ok(());
    };
    if asked.is_empty() {
        return Ok(());
    }
    if subnets.is_empty() {
        return Err(NeutronError::invalid_input(
            "IP allocation requires subnets for network",
        ));
    }
    // Addresses asked by value are given first.
    let mut ordered: Vec<&IpRequest> = asked.iter().filter(|r| r.ip_address.is_some()).collect();
    ordered.extend(asked.iter().filter(|r| r.ip_address.is_none()));
    for request in ordered {
        let by_subnet = match &request.subnet_id {
            Some(id) => {
                let Some(found) = subnets.iter().find(|s| &s.id == id) else {
                    if subnet::Entity::find_by_id(id).one(db).await?.is_none() {
                        return Err(super::subnets::not_found(id));
                    }
                    return Err(NeutronError::invalid_input(format!(
                        "Failed to create port on network {}, because fixed_ips included invalid subnet {id}",
                        net.id
                    )));
                };
                Some(found)
            }
            None => None,
        };
        match (&request.ip_address, by_subnet) {
            (None, None) => {
                return Err(NeutronError::invalid_input(
                    "IP allocation requires subnet_id or ip_address",
                ))
            }
            (None, Some(s)) => {
                if automatic(s) {
                    let cidr: IpNet = s.cidr.parse().map_err(NeutronError::internal)?;
                    if let Some(ip) = ipam::eui64(&cidr, mac) {
                        ipam::allocate_address(db, s, ip, port_id).await?;
                    }
                } else if ipam::allocate_any(db, s, port_id, lowest).await?.is_none() {
                    return Err(exhausted(&net.id));
                }
            }
            (Some(raw), chosen) => {
                let ip: IpAddr = raw.parse().map_err(|_| {
                    NeutronError::bad_request(format!(
                        "Invalid input for fixed_ips. Reason: '{raw}' is not a valid IP address."
                    ))
                })?;
                let fits = |s: &subnet::Model| {
                    s.cidr
                        .parse::<IpNet>()
                        .is_ok_and(|cidr| ipam::is_usable(&cidr, ip))
                };
                let s = match chosen {
                    Some(s) if fits(s) => s,
                    Some(_) => {
                        return Err(NeutronError::new(
                            400,
                            "InvalidIpForSubnet",
                            format!("IP address {ip} is not a valid IP for the specified subnet."),
                        ))
                    }
                    None => subnets.iter().find(|s| fits(s)).ok_or_else(|| {
                        NeutronError::new(
                            400,
                            "InvalidIpForNetwork",
                            format!("IP address {ip} is not a valid IP for any of the subnets on the specified network."),
                        )
                    })?,
                };
                if automatic(s) && !router_owner(owner) {
                    return Err(NeutronError::invalid_input(format!(
                        "IPv6 address {ip} cannot be directly assigned to a port on subnet {} as the subnet is configured for automatic addresses",
                        s.id
                    )));
                }
                ipam::allocate_address(db, s, ip, port_id).await?;
            }
        }
    }
    Ok(())
}

impl Neutron {
    /// Deletes port `id` as its owner does (a router its interface or
    /// gateway), telling its agents.
    pub(crate) async fn remove_port(&self, id: &str) -> Result<()> {
        let Some(row) = port::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(());
        };
        forget(&self.db, id).await?;
        self.notify_agents(Some(&row), None).await;
        Ok(())
    }

    async fn port_records(&self, rows: Vec<port::Model>) -> Result<Vec<PortRecord>> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut tags = super::tags::of(&self.db, KIND, &ids).await?;
        let mut ips: HashMap<String, Vec<(u128, FixedIp)>> = HashMap::new();
        let mut groups: HashMap<String, Vec<String>> = HashMap::new();
        for chunk in ids.chunks(500) {
            for a in ip_allocation::Entity::find()
                .filter(ip_allocation::Column::PortId.is_in(chunk.iter().cloned()))
                .all(&self.db)
                .await?
            {
                let order = a.ip_address.parse().map(ipam::number).unwrap_or_default();
                ips.entry(a.port_id).or_default().push((
                    order,
                    FixedIp {
                        subnet_id: a.subnet_id,
                        ip_address: a.ip_address,
                    },
                ));
            }
            for g in port_security_group::Entity::find()
                .filter(port_security_group::Column::PortId.is_in(chunk.iter().cloned()))
                .all(&self.db)
                .await?
            {
                groups
                    .entry(g.port_id)
                    .or_default()
                    .push(g.security_group_id);
            }
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut fixed = ips.remove(&row.id).unwrap_or_default();
                fixed.sort_by(|a, b| {
                    (a.1.subnet_id.as_str(), a.0).cmp(&(b.1.subnet_id.as_str(), b.0))
                });
                let mut security_groups = groups.remove(&row.id).unwrap_or_default();
                security_groups.sort();
                PortRecord {
                    fixed_ips: fixed.into_iter().map(|f| f.1).collect(),
                    security_groups,
                    tags: tags.remove(&row.id).unwrap_or_default(),
                    row,
                }
            })
            .collect())
    }

    /// The port `id` and its network, if the caller may see it.
    pub async fn port_row(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(port::Model, network::Model)> {
        let row = port::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        let net = network::Entity::find_by_id(&row.network_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        if !self.allowed(
            caller,
            "get_port",
            &policy_target(&row.project_id, &net, &row.device_owner),
        ) {
            return Err(NeutronError::hidden());
        }
        Ok((row, net))
    }

    /// The security groups a port of `project` asks for, checked: they exist,
    /// are the project's (or any for an admin), and are all stateful or all not.
    async fn port_groups(
        &self,
        caller: &Caller,
        project: &str,
        ids: &[String],
    ) -> Result<Vec<String>> {
        let mut unique: Vec<String> = ids.to_vec();
        unique.sort();
        unique.dedup();
        let found: Vec<security_group::Model> = security_group::Entity::find()
            .filter(security_group::Column::Id.is_in(unique.iter().cloned()))
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|g| g.project_id == project || caller.is_admin)
            .collect();
        let missing: Vec<&str> = unique
            .iter()
            .filter(|id| !found.iter().any(|g| &g.id == *id))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(NeutronError::not_found(
                "SecurityGroupNotFound",
                format!("Security group {} does not exist", missing.join(", ")),
            ));
        }
        if found.iter().any(|g| g.stateful) && found.iter().any(|g| !g.stateful) {
            return Err(NeutronError::conflict(
                "SecurityGroupConflict",
                "Error Cannot apply both stateful and stateless security groups on the same port at the same time while attempting the operation.",
            ));
        }
        Ok(unique)
    }

    async fn default_group_of(&self, project: &str) -> Result<Vec<String>> {
        Ok(default_security_group::Entity::find_by_id(project)
            .one(&self.db)
            .await?
            .map(|d| vec![d.security_group_id])
            .unwrap_or_default())
    }

    async fn link_groups<C: ConnectionTrait>(
        db: &C,
        port_id: &str,
        groups: &[String],
    ) -> Result<()> {
        port_security_group::Entity::delete_many()
            .filter(port_security_group::Column::PortId.eq(port_id))
            .exec(db)
            .await?;
        if groups.is_empty() {
            return Ok(());
        }
        port_security_group::Entity::insert_many(groups.iter().map(|g| {
            port_security_group::ActiveModel {
                port_id: Set(port_id.to_string()),
                security_group_id: Set(g.clone()),
            }
        }))
        .exec(db)
        .await?;
        Ok(())
    }

    /// `POST /v2.0/ports`.
    pub async fn create_port(&self, caller: &Caller, new: NewPort) -> Result<PortRecord> {
        super::retrying(|| self.create_port_once(caller, new.clone())).await
    }

    async fn create_port_once(&self, caller: &Caller, new: NewPort) -> Result<PortRecord> {
        let net = self.visible_network(caller, &new.network_id).await?;
        let project = new
            .project_id
            .clone()
            .unwrap_or_else(|| caller.project().to_string());
        self.authorize_with_attributes(
            caller,
            "create_port",
            &new.set,
            &policy_target(&project, &net, &new.device_owner),
        )?;
        super::networks::ensure_may_attach(caller, &net, &project)?;
        self.ensure_default_security_group(caller, &project).await?;
        let port_security = !trusted(&new.device_owner)
            && new
                .port_security_enabled
                .unwrap_or(net.port_security_enabled);
        let groups = match &new.security_groups {
            Some(ids) if !ids.is_empty() && !port_security => {
                return Err(NeutronError::new(
                    400,
                    "PortSecurityAndIPRequiredForSecurityGroups",
                    "Port security must be enabled and port must have an IP address in order to use security groups.",
                ))
            }
            Some(ids) => self.port_groups(caller, &project, ids).await?,
            None if port_security => self.default_group_of(&project).await?,
            None => Vec::new(),
        };
        let row = self
            .make_port(&project, &net, &new, &groups, port_security)
            .await?;
        Ok(self.port_records(vec![row]).await?.remove(0))
    }

    /// Makes a port once its request passed its checks (also the ports
    /// routers make for themselves): counted against `project`'s quota, with
    /// its MAC, addresses, groups and tags.
    pub(crate) async fn make_port(
        &self,
        project: &str,
        net: &network::Model,
        new: &NewPort,
        groups: &[String],
        port_security: bool,
    ) -> Result<port::Model> {
        let id = new_id();
        let (vif_type, vif_details) = self.binding(&net.id, &new.binding_host_id).await?;
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, project).await?;
        super::quotas::check(&txn, self, project, "port", 1).await?;
        let row = self
            .insert_port(&txn, &id, project, net, new, port_security)
            .await?;
        let pairs = address_pairs(
            &new.allowed_address_pairs,
            &row.mac_address,
            port_security,
            self.cfg.max_allowed_address_pair,
        )?;
        let mut active: port::ActiveModel = row.clone().into();
        active.allowed_address_pairs = Set(json!(pairs).to_string());
        active.binding_vif_type = Set(vif_type.into());
        active.binding_vif_details = Set(vif_details.to_string());
        active.update(&txn).await?;
        assign(
            &txn,
            net,
            &id,
            &row.mac_address,
            &new.device_owner,
            new.fixed_ips.as_deref(),
        )
        .await?;
        Self::link_groups(&txn, &id, groups).await?;
        if !new.tags.is_empty() {
            super::tags::replace(&txn, KIND, &id, &new.tags).await?;
        }
        txn.commit().await?;
        let row = port::Entity::find_by_id(&id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(&id))?;
        self.notify_agents(None, Some(&row)).await;
        Ok(row)
    }

    /// Inserts the port row with its MAC (a random one is retried on the rare
    /// collision; a named one in use is 409).
    async fn insert_port<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        id: &str,
        project: &str,
        net: &network::Model,
        new: &NewPort,
        port_security: bool,
    ) -> Result<port::Model> {
        for _ in 0..16 {
            let mac = match &new.mac_address {
                Some(mac) => mac.clone(),
                None => mac::random(&self.cfg.base_mac),
            };
            let at = now();
            let attempt = db.begin().await?;
            let inserted = port::ActiveModel {
                id: Set(id.to_string()),
                project_id: Set(project.to_string()),
                name: Set(new.name.clone()),
                description: Set(new.description.clone()),
                revision_number: Set(1),
                created_at: Set(at),
                updated_at: Set(at),
                network_id: Set(net.id.clone()),
                mac_address: Set(mac.clone()),
                admin_state_up: Set(new.admin_state_up),
                status: Set("DOWN".into()),
                device_id: Set(new.device_id.clone()),
                device_owner: Set(new.device_owner.clone()),
                port_security_enabled: Set(port_security),
                allowed_address_pairs: Set("[]".into()),
                extra_dhcp_opts: Set(json!(new.extra_dhcp_opts).to_string()),
                binding_host_id: Set(new.binding_host_id.clone()),
                binding_vnic_type: Set(new.binding_vnic_type.clone()),
                binding_profile: Set(new.binding_profile.to_string()),
                binding_vif_type: Set("unbound".into()),
                binding_vif_details: Set("{}".into()),
                dns_name: Set(new.dns_name.clone()),
            }
            .insert(&attempt)
            .await;
            match inserted.map_err(ferrostack_db::DbError::from) {
                Ok(row) => {
                    attempt.commit().await?;
                    return Ok(row);
                }
                Err(ferrostack_db::DbError::Duplicate(_)) => {
                    attempt.rollback().await?;
                    if new.mac_address.is_some() {
                        return Err(mac_in_use(&net.id, &mac));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(NeutronError::conflict(
            "MacAddressGenerationFailure",
            format!("Unable to generate unique mac on network {}.", net.id),
        ))
    }

    /// `GET /v2.0/ports`: the caller's project's ports and those on its
    /// networks (every port for an admin).
    pub async fn list_ports(&self, caller: &Caller) -> Result<Vec<PortRecord>> {
        let networks: HashMap<String, network::Model> = if caller.is_admin {
            network::Entity::find()
                .all(&self.db)
                .await?
                .into_iter()
                .map(|n| (n.id.clone(), n))
                .collect()
        } else {
            self.list_networks(caller)
                .await?
                .into_iter()
                .map(|n| (n.row.id.clone(), n.row))
                .collect()
        };
        let mut query = port::Entity::find();
        if !caller.is_admin {
            let own_networks: Vec<String> = networks
                .values()
                .filter(|n| n.project_id == caller.project())
                .map(|n| n.id.clone())
                .collect();
            query = query.filter(
                sea_orm::Condition::any()
                    .add(port::Column::ProjectId.eq(caller.project()))
                    .add(port::Column::NetworkId.is_in(own_networks)),
            );
        }
        let rows = query
            .order_by_asc(port::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|row| {
                networks.get(&row.network_id).is_some_and(|net| {
                    self.allowed(
                        caller,
                        "get_port",
                        &policy_target(&row.project_id, net, &row.device_owner),
                    )
                })
            })
            .collect();
        self.port_records(rows).await
    }

    /// `GET /v2.0/ports/{id}`.
    pub async fn show_port(&self, caller: &Caller, id: &str) -> Result<PortRecord> {
        let (row, _) = self.port_row(caller, id).await?;
        Ok(self.port_records(vec![row]).await?.remove(0))
    }

    /// `PUT /v2.0/ports/{id}`.
    pub async fn update_port(
        &self,
        caller: &Caller,
        id: &str,
        update: PortUpdate,
        revision: Option<i64>,
    ) -> Result<PortRecord> {
        super::retrying(|| self.update_port_once(caller, id, update.clone(), revision)).await
    }

    async fn update_port_once(
        &self,
        caller: &Caller,
        id: &str,
        update: PortUpdate,
        revision: Option<i64>,
    ) -> Result<PortRecord> {
        let (row, net) = self.port_row(caller, id).await?;
        let owner = update
            .device_owner
            .clone()
            .unwrap_or_else(|| row.device_owner.clone());
        self.authorize_with_attributes(
            caller,
            "update_port",
            &update.set,
            &policy_target(&row.project_id, &net, &owner),
        )?;
        super::networks::check_revision(row.revision_number, revision)?;
        self.ensure_default_security_group(caller, &row.project_id)
            .await?;
        let current = self.port_records(vec![row.clone()]).await?.remove(0);
        let port_security = !trusted(&owner)
            && update
                .port_security_enabled
                .unwrap_or(row.port_security_enabled);
        let groups = match &update.security_groups {
            Some(ids) if !ids.is_empty() && !port_security => {
                return Err(NeutronError::new(
                    400,
                    "PortSecurityAndIPRequiredForSecurityGroups",
                    "Port security must be enabled and port must have an IP address in order to use security groups.",
                ))
            }
            Some(ids) => Some(self.port_groups(caller, &row.project_id, ids).await?),
            None if !port_security && !current.security_groups.is_empty() => {
                return Err(NeutronError::conflict(
                    "PortSecurityPortHasSecurityGroup",
                    "Port has security group associated. Cannot disable port security or IP address until security group is removed.",
                ))
            }
            None => None,
        };
        let mac = match &update.mac_address {
            Some(new_mac) if new_mac != &row.mac_address => {
                if !row.binding_host_id.is_empty() {
                    return Err(NeutronError::conflict(
                        "PortBound",
                        format!(
                            "Unable to complete operation on port {id}, port is already bound, port type: {}, old_mac {}, new_mac {new_mac}.",
                            row.binding_vif_type, row.mac_address
                        ),
                    ));
                }
                new_mac.clone()
            }
            _ => row.mac_address.clone(),
        };
        let pairs = match &update.allowed_address_pairs {
            Some(asked) => Some(address_pairs(
                asked,
                &mac,
                port_security,
                self.cfg.max_allowed_address_pair,
            )?),
            None => {
                let kept: Vec<AddressPair> =
                    serde_json::from_str(&row.allowed_address_pairs).unwrap_or_default();
                if !kept.is_empty() && !port_security {
                    return Err(NeutronError::conflict(
                        "AddressPairAndPortSecurityRequired",
                        "Port Security must be enabled in order to have allowed address pairs on a port.",
                    ));
                }
                None
            }
        };
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &row.project_id).await?;
        if let Some(asked) = &update.fixed_ips {
            ipam::release(&txn, id).await?;
            assign(&txn, &net, id, &mac, &owner, Some(asked)).await?;
        }
        if let Some(groups) = &groups {
            Self::link_groups(&txn, id, groups).await?;
        }
        let mut active: port::ActiveModel = row.clone().into();
        if let Some(v) = update.name {
            active.name = Set(v);
        }
        if let Some(v) = update.description {
            active.description = Set(v);
        }
        if let Some(v) = update.admin_state_up {
            active.admin_state_up = Set(v);
        }
        if let Some(v) = update.device_id {
            active.device_id = Set(v);
        }
        active.device_owner = Set(owner);
        active.mac_address = Set(mac.clone());
        active.port_security_enabled = Set(port_security);
        if let Some(pairs) = pairs {
            active.allowed_address_pairs = Set(json!(pairs).to_string());
        }
        if let Some(v) = update.extra_dhcp_opts {
            active.extra_dhcp_opts = Set(json!(v).to_string());
        }
        if let Some(host) = update.binding_host_id {
            let (vif_type, vif_details) = self.binding(&row.network_id, &host).await?;
            active.binding_vif_type = Set(vif_type.into());
            active.binding_vif_details = Set(vif_details.to_string());
            if host != row.binding_host_id {
                active.status = Set("DOWN".into());
            }
            active.binding_host_id = Set(host);
        }
        if let Some(v) = update.binding_vnic_type {
            active.binding_vnic_type = Set(v);
        }
        if let Some(v) = update.binding_profile {
            active.binding_profile = Set(v.to_string());
        }
        if let Some(v) = update.dns_name {
            active.dns_name = Set(v);
        }
        active.revision_number = Set(row.revision_number + 1);
        active.updated_at = Set(now());
        let updated = active.update(&txn).await;
        let updated = match updated.map_err(ferrostack_db::DbError::from) {
            Ok(updated) => updated,
            Err(ferrostack_db::DbError::Duplicate(_)) => return Err(mac_in_use(&net.id, &mac)),
            Err(e) => return Err(e.into()),
        };
        txn.commit().await?;
        self.notify_agents(Some(&row), Some(&updated)).await;
        if update.fixed_ips.is_some() {
            self.nova.data_changed(&updated);
        }
        Ok(self.port_records(vec![updated]).await?.remove(0))
    }

    /// `DELETE /v2.0/ports/{id}`.
    pub async fn delete_port(
        &self,
        caller: &Caller,
        id: &str,
        revision: Option<i64>,
    ) -> Result<()> {
        let (row, net) = self.port_row(caller, id).await?;
        self.authorize(
            caller,
            "delete_port",
            &policy_target(&row.project_id, &net, &row.device_owner),
        )?;
        if super::routers::router_owned(&row.device_owner)
            || row.device_owner == super::floating_ips::PORT_OWNER
        {
            return Err(NeutronError::conflict(
                "ServicePortInUse",
                format!(
                    "Port {id} cannot be deleted directly via the port API: has device owner {}.",
                    row.device_owner
                ),
            ));
        }
        super::networks::check_revision(row.revision_number, revision)?;
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &row.project_id).await?;
        super::floating_ips::disassociate_port(&txn, id).await?;
        forget(&txn, id).await?;
        txn.commit().await?;
        self.notify_agents(Some(&row), None).await;
        self.nova.deleted(&row);
        Ok(())
    }
}

fn mac_in_use(network_id: &str, mac: &str) -> NeutronError {
    NeutronError::conflict(
        "MacAddressInUse",
        format!("Unable to complete operation for network {network_id}. The mac address {mac} is in use."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_need_port_security_and_stay_unique() {
        let pair = |ip: &str, mac: Option<&str>| (ip.to_string(), mac.map(str::to_string));
        let made = address_pairs(&[pair("10.0.0.9", None)], "fa:16:3e:00:00:01", true, 10).unwrap();
        assert_eq!(made[0].mac_address, "fa:16:3e:00:00:01");
        assert_eq!(
            address_pairs(&[pair("10.0.0.9", None)], "m", false, 10)
                .unwrap_err()
                .kind,
            "AddressPairAndPortSecurityRequired"
        );
        assert_eq!(
            address_pairs(
                &[pair("10.0.0.9", Some("m")), pair("10.0.0.9", None)],
                "m",
                true,
                10
            )
            .unwrap_err()
            .kind,
            "DuplicateAddressPairInRequest"
        );
        let many: Vec<_> = (0..11)
            .map(|i| pair(&format!("10.0.0.{i}"), None))
            .collect();
        assert_eq!(
            address_pairs(&many, "m", true, 10).unwrap_err().kind,
            "AllowedAddressPairExhausted"
        );
    }
}
