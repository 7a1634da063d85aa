//! Subnets: an address range of a network, checked as Neutron checks it
//! (versions, prefix lengths, DHCP, IPv6 modes, gateway and pools, name
//! servers and routes), with its default gateway and allocation pools, and
//! deleted only when no port but DHCP's has an address on it.

use std::net::IpAddr;

use ipnet::IpNet;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::ipam::{self, Pool};
use super::{new_id, now, Caller, Neutron, NeutronError, Result};
use crate::db::entity::{ip_allocation, network, port, subnet};

/// The resource type tags name subnets by.
pub const KIND: &str = "subnets";
/// The port owners whose addresses never keep a subnet or network alive.
pub const AUTO_DELETE_OWNERS: &[&str] = &["network:dhcp", "network:distributed"];

/// A host route of a subnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRoute {
    pub destination: String,
    pub nexthop: String,
}

/// The gateway a request asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Gateway {
    /// Not given: the first address (IPv4) or the network address (IPv6).
    #[default]
    Default,
    /// `null`: no gateway.
    None,
    Address(String),
}

/// What a create asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewSubnet {
    pub project_id: Option<String>,
    pub network_id: String,
    pub name: String,
    pub description: String,
    pub ip_version: i64,
    pub cidr: Option<String>,
    pub prefixlen: Option<i64>,
    pub subnetpool_id: Option<String>,
    pub use_default_subnetpool: bool,
    pub gateway: Gateway,
    pub enable_dhcp: bool,
    pub allocation_pools: Option<Vec<Pool>>,
    pub dns_nameservers: Vec<String>,
    pub host_routes: Vec<HostRoute>,
    pub ipv6_ra_mode: Option<String>,
    pub ipv6_address_mode: Option<String>,
    pub service_types: Vec<String>,
    pub set: Vec<&'static str>,
}

/// What an update asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubnetUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub gateway: Option<Gateway>,
    pub enable_dhcp: Option<bool>,
    pub allocation_pools: Option<Vec<Pool>>,
    pub dns_nameservers: Option<Vec<String>>,
    pub host_routes: Option<Vec<HostRoute>>,
    pub service_types: Option<Vec<String>>,
    pub set: Vec<&'static str>,
}

/// A subnet with its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetRecord {
    pub row: subnet::Model,
    pub tags: Vec<String>,
}

pub(crate) fn not_found(id: &str) -> NeutronError {
    NeutronError::not_found("SubnetNotFound", format!("Subnet {id} could not be found."))
}

fn invalid(why: impl std::fmt::Display) -> NeutronError {
    NeutronError::invalid_input(why)
}

fn version_of(ip: IpAddr) -> i64 {
    if ip.is_ipv4() {
        4
    } else {
        6
    }
}

fn mismatch(what: &str, value: &str, version: i64) -> NeutronError {
    invalid(format!(
        "{what} '{value}' does not match the ip_version '{version}'"
    ))
}

/// The subnet's CIDR from the request: canonical and network-normalised.
pub fn parse_cidr(raw: &str, version: i64) -> Result<IpNet> {
    let net = match raw.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => raw
            .parse::<IpAddr>()
            .map(IpNet::from)
            .map_err(|_| invalid(format!("{raw} is not in a CIDR format")))?,
    };
    if version_of(net.addr()) != version {
        return Err(mismatch("cidr", raw, version));
    }
    if net.prefix_len() == 0 {
        return Err(invalid("0 is not allowed as CIDR prefix length"));
    }
    let net = net.trunc();
    if let IpNet::V6(v6) = net {
        if v6.network().is_unspecified() {
            return Err(invalid("IPv6 subnet '::' is not supported"));
        }
    }
    Ok(net)
}

/// What DHCP needs of a subnet's range.
fn check_dhcp(cidr: &IpNet) -> Result<()> {
    let too_long = match cidr {
        IpNet::V4(v4) => v4.prefix_len() > 30,
        IpNet::V6(v6) => v6.prefix_len() > 126,
    };
    if too_long {
        return Err(invalid(
            "Subnet has a prefix length that is incompatible with DHCP service enabled",
        ));
    }
    let first = cidr.network();
    if first.is_multicast() {
        return Err(invalid(
            "Multicast IP subnet is not supported if enable_dhcp is True",
        ));
    }
    if first.is_loopback() {
        return Err(invalid(
            "Loopback IP subnet is not supported if enable_dhcp is True",
        ));
    }
    if first.is_unspecified() {
        return Err(invalid(format!(
            "First IP '{first}' of network is not supported if enable_dhcp is True"
        )));
    }
    Ok(())
}

/// Neutron's checks of the IPv6 modes.
fn check_ipv6_modes(
    version: i64,
    cidr: &IpNet,
    enable_dhcp: bool,
    ra: Option<&str>,
    address: Option<&str>,
) -> Result<()> {
    if version == 4 {
        if ra.is_some() {
            return Err(invalid("ipv6_ra_mode is not valid when ip_version is 4"));
        }
        if address.is_some() {
            return Err(invalid(
                "ipv6_address_mode is not valid when ip_version is 4",
            ));
        }
        return Ok(());
    }
    if (ra.is_some() || address.is_some()) && !enable_dhcp {
        return Err(invalid(
            "ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False",
        ));
    }
    if let (Some(ra), Some(address)) = (ra, address) {
        if ra != address {
            return Err(invalid(format!(
                "ipv6_ra_mode set to '{ra}' with ipv6_address_mode set to '{address}' is not valid. If both attributes are set, they must be the same value"
            )));
        }
    }
    let auto = [ra, address]
        .into_iter()
        .flatten()
        .any(|m| matches!(m, "slaac" | "dhcpv6-stateless"));
    if auto && cidr.prefix_len() != 64 {
        return Err(invalid(format!(
            "Invalid CIDR {cidr} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64"
        )));
    }
    Ok(())
}

/// The gateway a subnet gets.
fn gateway(cidr: &IpNet, version: i64, asked: &Gateway) -> Result<Option<IpAddr>> {
    match asked {
        Gateway::None => Ok(None),
        Gateway::Default => Ok(Some(match cidr {
            IpNet::V4(_) => ipam::address(ipam::number(cidr.network()) + 1, cidr.network()),
            IpNet::V6(_) => cidr.network(),
        })),
        Gateway::Address(raw) => {
            let ip: IpAddr = raw.parse().map_err(|_| {
                NeutronError::bad_request(format!(
                    "Invalid input for gateway_ip. Reason: '{raw}' is not a valid IP address."
                ))
            })?;
            if version_of(ip) != version {
                return Err(mismatch("gateway_ip", raw, version));
            }
            if let IpNet::V4(v4) = cidr {
                let edge = ip == cidr.network() || ip == cidr.broadcast();
                if v4.prefix_len() <= 30 && edge {
                    return Err(invalid("Gateway is not valid on subnet"));
                }
            }
            Ok(Some(ip))
        }
    }
}

fn pool_text(start: u128, end: u128, like: IpAddr) -> String {
    format!(
        "{}-{}",
        ipam::address(start, like),
        ipam::address(end, like)
    )
}

/// Checks asked pools against the range and the gateway (or makes the
/// default ones).
fn pools(cidr: &IpNet, gateway: Option<IpAddr>, asked: Option<&[Pool]>) -> Result<Vec<Pool>> {
    let Some(asked) = asked else {
        return Ok(ipam::default_pools(cidr, gateway));
    };
    let like = cidr.network();
    let (first, last) = ipam::usable_range(cidr).unwrap_or((1, 0));
    let mut ranges: Vec<(u128, u128)> = Vec::new();
    for pool in asked {
        let bad = || {
            NeutronError::new(
                400,
                "InvalidAllocationPool",
                format!(
                    "The allocation pool {}-{} is not valid.",
                    pool.start, pool.end
                ),
            )
        };
        let start: IpAddr = pool.start.parse().map_err(|_| bad())?;
        let end: IpAddr = pool.end.parse().map_err(|_| bad())?;
        if version_of(start) != version_of(like) || version_of(end) != version_of(like) {
            return Err(bad());
        }
        let (a, b) = (ipam::number(start), ipam::number(end));
        if a > b {
            return Err(bad());
        }
        if a < first || b > last {
            return Err(NeutronError::new(
                400,
                "OutOfBoundsAllocationPool",
                format!(
                    "The allocation pool {} spans beyond the subnet cidr {cidr}.",
                    pool_text(a, b, like)
                ),
            ));
        }
        ranges.push((a, b));
    }
    let mut sorted = ranges.clone();
    sorted.sort();
    for pair in sorted.windows(2) {
        if pair[1].0 <= pair[0].1 {
            return Err(NeutronError::conflict(
                "OverlappingAllocationPools",
                format!(
                    "Found overlapping allocation pools: {} {} for subnet {cidr}.",
                    pool_text(pair[0].0, pair[0].1, like),
                    pool_text(pair[1].0, pair[1].1, like)
                ),
            ));
        }
    }
    if let Some(gw) = gateway {
        let n = ipam::number(gw);
        if let Some((a, b)) = ranges.iter().find(|(a, b)| n >= *a && n <= *b) {
            return Err(NeutronError::conflict(
                "GatewayConflictWithAllocationPools",
                format!(
                    "Gateway ip {gw} conflicts with allocation pool {}.",
                    pool_text(*a, *b, like)
                ),
            ));
        }
    }
    Ok(ranges
        .into_iter()
        .map(|(a, b)| Pool {
            start: ipam::address(a, like).to_string(),
            end: ipam::address(b, like).to_string(),
        })
        .collect())
}

/// Checks name servers (`subject`: `new subnet` or the subnet's id).
fn name_servers(list: &[String], version: i64, max: usize, subject: &str) -> Result<()> {
    if list.len() > max {
        return Err(NeutronError::new(
            400,
            "DNSNameServersExhausted",
            format!("Unable to complete operation for {subject}. The number of DNS nameservers exceeds the limit {max}."),
        ));
    }
    for server in list {
        let ip: IpAddr = server
            .parse()
            .map_err(|_| invalid(format!("Error parsing dns address {server}")))?;
        if version_of(ip) != version {
            return Err(mismatch("dns_nameserver", server, version));
        }
    }
    Ok(())
}

/// Checks host routes (`subject` as for name servers).
fn routes(list: &[HostRoute], version: i64, max: usize, subject: &str) -> Result<()> {
    if list.len() > max {
        return Err(NeutronError::new(
            400,
            "HostRoutesExhausted",
            format!("Unable to complete operation for {subject}. The number of host routes exceeds the limit {max}."),
        ));
    }
    for route in list {
        let bad = || {
            invalid(format!(
                "Invalid route: {{'destination': '{}', 'nexthop': '{}'}}",
                route.destination, route.nexthop
            ))
        };
        let destination: IpNet = route.destination.parse().map_err(|_| bad())?;
        let nexthop: IpAddr = route.nexthop.parse().map_err(|_| bad())?;
        if version_of(destination.addr()) != version {
            return Err(mismatch("destination", &route.destination, version));
        }
        if version_of(nexthop) != version {
            return Err(mismatch("nexthop", &route.nexthop, version));
        }
    }
    Ok(())
}

/// What subnet policies see of a subnet of `net`.
fn policy_target(project: &str, net: &network::Model) -> Value {
    json!({
        "project_id": project,
        "tenant_id": project,
        "network:tenant_id": net.project_id,
        "shared": net.shared,
    })
}

impl Neutron {
    async fn subnet_records(&self, rows: Vec<subnet::Model>) -> Result<Vec<SubnetRecord>> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut tags = super::tags::of(&self.db, KIND, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|row| SubnetRecord {
                tags: tags.remove(&row.id).unwrap_or_default(),
                row,
            })
            .collect())
    }

    /// The subnet `id` and its network, if the caller may see it.
    pub async fn subnet_row(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(subnet::Model, network::Model)> {
        let row = subnet::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        let mut net = network::Entity::find_by_id(&row.network_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        self.share_view(caller, std::slice::from_mut(&mut net))
            .await?;
        if !self.allowed(caller, "get_subnet", &policy_target(&row.project_id, &net)) {
            return Err(NeutronError::hidden());
        }
        Ok((row, net))
    }

    /// `POST /v2.0/subnets`.
    pub async fn create_subnet(&self, caller: &Caller, new: NewSubnet) -> Result<SubnetRecord> {
        let created = super::retrying(|| self.create_subnet_once(caller, new.clone())).await?;
        self.dhcp_changed(&created.row.network_id).await;
        Ok(created)
    }

    async fn create_subnet_once(&self, caller: &Caller, new: NewSubnet) -> Result<SubnetRecord> {
        let net = self.visible_network(caller, &new.network_id).await?;
        let project = new
            .project_id
            .clone()
            .unwrap_or_else(|| caller.project().to_string());
        self.authorize_with_attributes(
            caller,
            "create_subnet",
            &new.set,
            &policy_target(&project, &net),
        )?;
        super::networks::ensure_may_attach(caller, &net, &project)?;
        if new.cidr.is_some() && new.prefixlen.is_some() {
            return Err(NeutronError::new(
                400,
                "BadRequest",
                "Bad subnets request: cidr and prefixlen must not be supplied together.",
            ));
        }
        if new.subnetpool_id.is_some() && new.use_default_subnetpool {
            return Err(NeutronError::new(400, "BadRequest", "Bad subnets request: subnetpool_id and use_default_subnetpool cannot both be specified."));
        }
        let pool = match (&new.subnetpool_id, new.use_default_subnetpool) {
            (Some(id), _) => Some(self.pool_row(caller, id).await?),
            (None, true) => Some(self.default_pool(new.ip_version).await?.ok_or_else(|| {
                NeutronError::new(
                    400,
                    "BadRequest",
                    format!(
                        "Bad subnets request: No default subnetpool found for IPv{}.",
                        new.ip_version
                    ),
                )
            })?),
            (None, false) => None,
        };
        if let Some(pool) = pool.as_ref().filter(|p| p.ip_version != new.ip_version) {
            return Err(NeutronError::new(
                400,
                "BadRequest",
                format!(
                    "Bad subnets request: Cannot allocate IPv{} subnet from IPv{} subnet pool.",
                    new.ip_version, pool.ip_version
                ),
            ));
        }
        let asked = new
            .cidr
            .as_deref()
            .map(|raw| parse_cidr(raw, new.ip_version))
            .transpose()?;
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &project).await?;
        super::quotas::check(&txn, self, &project, "subnet", 1).await?;
        let cidr =
            match (&pool, asked) {
                (Some(pool), asked) => {
                    super::subnet_pools::allocate(&txn, pool, asked, new.prefixlen).await?
                }
                (None, Some(asked)) => asked,
                (None, None) => return Err(NeutronError::new(
                    400,
                    "BadRequest",
                    "Bad subnets request: a subnetpool must be specified in the absence of a cidr.",
                )),
            };
        if new.enable_dhcp {
            check_dhcp(&cidr)?;
        }
        check_ipv6_modes(
            new.ip_version,
            &cidr,
            new.enable_dhcp,
            new.ipv6_ra_mode.as_deref(),
            new.ipv6_address_mode.as_deref(),
        )?;
        let gateway_ip = gateway(&cidr, new.ip_version, &new.gateway)?;
        let pools = pools(&cidr, gateway_ip, new.allocation_pools.as_deref())?;
        name_servers(
            &new.dns_nameservers,
            new.ip_version,
            self.cfg.max_dns_nameservers,
            "new subnet",
        )?;
        routes(
            &new.host_routes,
            new.ip_version,
            self.cfg.max_subnet_host_routes,
            "new subnet",
        )?;
        let minimum_mtu = if new.ip_version == 6 { 1280 } else { 68 };
        if net.mtu < minimum_mtu {
            return Err(NeutronError::conflict(
                "NetworkMTUSubnetConflict",
                format!(
                    "MTU of {} is not valid, subnet requires a minimum of {minimum_mtu}",
                    net.id
                ),
            ));
        }
        for other in subnet::Entity::find()
            .filter(subnet::Column::NetworkId.eq(&net.id))
            .all(&txn)
            .await?
        {
            let overlaps = other
                .cidr
                .parse::<IpNet>()
                .is_ok_and(|o| o.contains(&cidr.network()) || cidr.contains(&o.network()));
            if overlaps {
                return Err(invalid(format!(
                    "Requested subnet with cidr: {cidr} for network: {} overlaps with another subnet",
                    net.id
                )));
            }
        }
        let v6 = new.ip_version == 6;
        let at = now();
        let row = subnet::ActiveModel {
            id: Set(new_id()),
            project_id: Set(project),
            name: Set(new.name),
            description: Set(new.description),
            revision_number: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            network_id: Set(net.id.clone()),
            ip_version: Set(new.ip_version),
            cidr: Set(cidr.to_string()),
            gateway_ip: Set(gateway_ip.map(|g| g.to_string())),
            enable_dhcp: Set(new.enable_dhcp),
            ipv6_ra_mode: Set(new.ipv6_ra_mode.filter(|_| v6)),
            ipv6_address_mode: Set(new.ipv6_address_mode.filter(|_| v6)),
            subnetpool_id: Set(pool.map(|p| p.id)),
            allocation_pools: Set(json!(pools).to_string()),
            dns_nameservers: Set(json!(new.dns_nameservers).to_string()),
            host_routes: Set(json!(new.host_routes).to_string()),
            service_types: Set(json!(new.service_types).to_string()),
        }
        .insert(&txn)
        .await?;
        super::networks::touch(&txn, &net.id).await?;
        txn.commit().await?;
        Ok(self.subnet_records(vec![row]).await?.remove(0))
    }

    /// `GET /v2.0/subnets`: the subnets of the networks the caller may see.
    pub async fn list_subnets(&self, caller: &Caller) -> Result<Vec<SubnetRecord>> {
        let networks: std::collections::HashMap<String, network::Model> = self
            .list_networks(caller)
            .await?
            .into_iter()
            .map(|n| (n.row.id.clone(), n.row))
            .collect();
        let mut query = subnet::Entity::find();
        if !caller.is_admin {
            query = query.filter(subnet::Column::NetworkId.is_in(networks.keys().cloned()));
        }
        let rows = query
            .order_by_asc(subnet::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|row| {
                networks.get(&row.network_id).is_some_and(|net| {
                    self.allowed(caller, "get_subnet", &policy_target(&row.project_id, net))
                })
            })
            .collect();
        self.subnet_records(rows).await
    }

    /// `GET /v2.0/subnets/{id}`.
    pub async fn show_subnet(&self, caller: &Caller, id: &str) -> Result<SubnetRecord> {
        let (row, _) = self.subnet_row(caller, id).await?;
        Ok(self.subnet_records(vec![row]).await?.remove(0))
    }

    /// `PUT /v2.0/subnets/{id}`.
    pub async fn update_subnet(
        &self,
        caller: &Caller,
        id: &str,
        update: SubnetUpdate,
        revision: Option<i64>,
    ) -> Result<SubnetRecord> {
        let (row, net) = self.subnet_row(caller, id).await?;
        self.authorize_with_attributes(
            caller,
            "update_subnet",
            &update.set,
            &policy_target(&row.project_id, &net),
        )?;
        super::networks::check_revision(row.revision_number, revision)?;
        let cidr: IpNet = row.cidr.parse().map_err(NeutronError::internal)?;
        let enable_dhcp = update.enable_dhcp.unwrap_or(row.enable_dhcp);
        if enable_dhcp && !row.enable_dhcp {
            check_dhcp(&cidr)?;
        }
        if !enable_dhcp && (row.ipv6_ra_mode.is_some() || row.ipv6_address_mode.is_some()) {
            return Err(invalid(
                "Cannot disable enable_dhcp with ipv6 attributes set",
            ));
        }
        let gateway_ip = match &update.gateway {
            Some(asked) => gateway(&cidr, row.ip_version, asked)?,
            None => row.gateway_ip.as_deref().and_then(|g| g.parse().ok()),
        };
        let current: Vec<Pool> = serde_json::from_str(&row.allocation_pools).unwrap_or_default();
        let pools = match (&update.allocation_pools, &update.gateway) {
            (Some(asked), _) => pools(&cidr, gateway_ip, Some(asked))?,
            (None, Some(_)) => pools(&cidr, gateway_ip, Some(&current))?,
            (None, None) => current,
        };
        if let Some(list) = &update.dns_nameservers {
            name_servers(list, row.ip_version, self.cfg.max_dns_nameservers, id)?;
        }
        if let Some(list) = &update.host_routes {
            routes(list, row.ip_version, self.cfg.max_subnet_host_routes, id)?;
        }
        let mut active: subnet::ActiveModel = row.clone().into();
        if let Some(v) = update.name {
            active.name = Set(v);
        }
        if let Some(v) = update.description {
            active.description = Set(v);
        }
        if update.gateway.is_some() {
            active.gateway_ip = Set(gateway_ip.map(|g| g.to_string()));
        }
        active.allocation_pools = Set(json!(pools).to_string());
        active.enable_dhcp = Set(enable_dhcp);
        if let Some(v) = update.dns_nameservers {
            active.dns_nameservers = Set(json!(v).to_string());
        }
        if let Some(v) = update.host_routes {
            active.host_routes = Set(json!(v).to_string());
        }
        if let Some(v) = update.service_types {
            active.service_types = Set(json!(v).to_string());
        }
        active.revision_number = Set(row.revision_number + 1);
        active.updated_at = Set(now());
        let row = active.update(&self.db).await?;
        self.dhcp_changed(&row.network_id).await;
        Ok(self.subnet_records(vec![row]).await?.remove(0))
    }

    /// `DELETE /v2.0/subnets/{id}`: 409 while a port (but DHCP's) has an
    /// address on it; the addresses of automatic (SLAAC) subnets go with it.
    pub async fn delete_subnet(
        &self,
        caller: &Caller,
        id: &str,
        revision: Option<i64>,
    ) -> Result<()> {
        let (row, net) = self.subnet_row(caller, id).await?;
        self.authorize(
            caller,
            "delete_subnet",
            &policy_target(&row.project_id, &net),
        )?;
        super::networks::check_revision(row.revision_number, revision)?;
        let automatic = row
            .ipv6_address_mode
            .as_deref()
            .is_some_and(|m| matches!(m, "slaac" | "dhcpv6-stateless"));
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &row.project_id).await?;
        let holders: Vec<String> = ip_allocation::Entity::find()
            .filter(ip_allocation::Column::SubnetId.eq(id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|a| a.port_id)
            .collect();
        if !automatic && !holders.is_empty() {
            let blocking = port::Entity::find()
                .filter(port::Column::Id.is_in(holders))
                .filter(port::Column::DeviceOwner.is_not_in(AUTO_DELETE_OWNERS.iter().copied()))
                .one(&txn)
                .await?;
            if blocking.is_some() {
                return Err(NeutronError::conflict(
                    "SubnetInUse",
                    format!("Unable to complete operation on subnet {id}: One or more ports have an IP allocation from this subnet."),
                ));
            }
        }
        ip_allocation::Entity::delete_many()
            .filter(ip_allocation::Column::SubnetId.eq(id))
            .exec(&txn)
            .await?;
        super::tags::clear(&txn, KIND, id).await?;
        subnet::Entity::delete_by_id(id).exec(&txn).await?;
        super::networks::touch(&txn, &row.network_id).await?;
        txn.commit().await?;
        self.dhcp_changed(&row.network_id).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> IpNet {
        text.parse().unwrap()
    }

    #[test]
    fn cidrs_are_normalised_and_checked() {
        assert_eq!(parse_cidr("10.0.0.5/24", 4).unwrap(), net("10.0.0.0/24"));
        assert_eq!(parse_cidr("10.0.0.7", 4).unwrap(), net("10.0.0.7/32"));
        assert_eq!(
            parse_cidr("2001::/64", 4).unwrap_err().message,
            "Invalid input for operation: cidr '2001::/64' does not match the ip_version '4'."
        );
        assert_eq!(
            parse_cidr("foo", 4).unwrap_err().message,
            "Invalid input for operation: foo is not in a CIDR format."
        );
        assert!(parse_cidr("0.0.0.0/0", 4).is_err());
        assert!(parse_cidr("::/64", 6).is_err());
    }

    #[test]
    fn gateways_default_as_neutrons() {
        let v4 = net("10.0.0.0/24");
        assert_eq!(
            gateway(&v4, 4, &Gateway::Default).unwrap(),
            Some("10.0.0.1".parse().unwrap())
        );
        let v6 = net("2001:db8::/64");
        assert_eq!(
            gateway(&v6, 6, &Gateway::Default).unwrap(),
            Some("2001:db8::".parse().unwrap())
        );
        assert_eq!(gateway(&v4, 4, &Gateway::None).unwrap(), None);
        assert_eq!(
            gateway(&v4, 4, &Gateway::Address("10.0.0.255".into()))
                .unwrap_err()
                .message,
            "Invalid input for operation: Gateway is not valid on subnet."
        );
        // Outside the range is accepted (on-link).
        assert!(gateway(&v4, 4, &Gateway::Address("10.0.1.1".into())).is_ok());
        // IPv6's default gateway is the network address, so the pool starts after it.
        assert_eq!(
            pools(&v6, Some("2001:db8::".parse().unwrap()), None).unwrap()[0].start,
            "2001:db8::1"
        );
    }

    #[test]
    fn asked_pools_are_checked() {
        let cidr = net("10.0.0.0/24");
        let gw = Some("10.0.0.1".parse().unwrap());
        let pool = |s: &str, e: &str| Pool {
            start: s.into(),
            end: e.into(),
        };
        assert!(pools(&cidr, gw, Some(&[pool("10.0.0.10", "10.0.0.20")])).is_ok());
        let out = pools(&cidr, gw, Some(&[pool("10.0.1.2", "10.0.1.5")])).unwrap_err();
        assert_eq!(
            (out.status, out.message.as_str()),
            (
                400,
                "The allocation pool 10.0.1.2-10.0.1.5 spans beyond the subnet cidr 10.0.0.0/24."
            )
        );
        let overlap = pools(
            &cidr,
            gw,
            Some(&[pool("10.0.0.2", "10.0.0.10"), pool("10.0.0.5", "10.0.0.20")]),
        )
        .unwrap_err();
        assert_eq!((overlap.status, overlap.message.as_str()), (409, "Found overlapping allocation pools: 10.0.0.2-10.0.0.10 10.0.0.5-10.0.0.20 for subnet 10.0.0.0/24."));
        let conflict = pools(
            &cidr,
            Some("10.0.0.5".parse().unwrap()),
            Some(&[pool("10.0.0.2", "10.0.0.254")]),
        )
        .unwrap_err();
        assert_eq!(
            conflict.message,
            "Gateway ip 10.0.0.5 conflicts with allocation pool 10.0.0.2-10.0.0.254."
        );
        assert_eq!(
            pools(&cidr, gw, Some(&[pool("10.0.0.9", "10.0.0.2")]))
                .unwrap_err()
                .kind,
            "InvalidAllocationPool"
        );
    }

    #[test]
    fn dhcp_and_ipv6_modes_are_checked() {
        assert!(check_dhcp(&net("10.0.0.0/31")).is_err());
        assert!(check_dhcp(&net("224.0.0.0/24")).is_err());
        assert!(check_dhcp(&net("10.0.0.0/30")).is_ok());
        let v6 = net("2001:db8::/80");
        assert!(check_ipv6_modes(6, &v6, true, Some("slaac"), None).is_err());
        assert!(
            check_ipv6_modes(6, &net("2001:db8::/64"), true, Some("slaac"), Some("slaac")).is_ok()
        );
        assert!(check_ipv6_modes(
            6,
            &net("2001:db8::/64"),
            true,
            Some("slaac"),
            Some("dhcpv6-stateful")
        )
        .is_err());
        assert!(check_ipv6_modes(6, &net("2001:db8::/64"), false, Some("slaac"), None).is_err());
        assert!(check_ipv6_modes(4, &net("10.0.0.0/24"), true, Some("slaac"), None).is_err());
    }

    #[test]
    fn name_servers_and_routes_are_counted_and_parsed() {
        let many: Vec<String> = (1..=6).map(|i| format!("10.0.0.{i}")).collect();
        assert_eq!(
            name_servers(&many, 4, 5, "new subnet").unwrap_err().kind,
            "DNSNameServersExhausted"
        );
        assert!(name_servers(&["8.8.8.8".into()], 4, 5, "x").is_ok());
        assert!(name_servers(&["bogus".into()], 4, 5, "x").is_err());
        let route = HostRoute {
            destination: "10.1.0.0/16".into(),
            nexthop: "10.0.0.9".into(),
        };
        assert!(routes(&[route], 4, 20, "x").is_ok());
        let bad = HostRoute {
            destination: "nowhere".into(),
            nexthop: "10.0.0.9".into(),
        };
        assert_eq!(
            routes(&[bad], 4, 20, "x").unwrap_err().message,
            "Invalid input for operation: Invalid route: {'destination': 'nowhere', 'nexthop': '10.0.0.9'}."
        );
    }
}
