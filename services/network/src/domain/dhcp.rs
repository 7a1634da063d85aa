//! DHCP scheduling and what DHCP servers are told (Neutron's DHCP agent
//! scheduler and `DhcpRpcCallback`). A network with a DHCP-enabled subnet is
//! served by one host whose DHCP agent is alive, enabled and serves DHCP
//! (its `configurations` name a `dhcp_driver`); the network's `network:dhcp`
//! port, bound to that host, is the scheduling: it has an address on every
//! DHCP-enabled subnet, and its host is told whenever the network's ports or
//! subnets change.

use std::collections::BTreeSet;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use serde_json::{json, Value};

use super::ports::NewPort;
use super::{Neutron, NeutronError, Result};
use crate::db::entity::{agent, ip_allocation, network, port, subnet};
use crate::rpc::agent as agent_rpc;
use crate::rpc::messages::{
    DhcpHost, DhcpNetworks, DhcpSubnet, HostRoute, NetworkChanged, NetworkInfo,
};
use ferrostack_db::service_registry;

/// The DHCP agent's binary.
pub const DHCP_BINARY: &str = "neutron-dhcp-agent";
/// The owner of a network's DHCP ports.
pub const DHCP_OWNER: &str = "network:dhcp";

/// The DHCP ports of `network_id`.
async fn dhcp_ports<C: sea_orm::ConnectionTrait>(
    db: &C,
    network_id: &str,
) -> Result<Vec<port::Model>> {
    Ok(port::Entity::find()
        .filter(port::Column::NetworkId.eq(network_id))
        .filter(port::Column::DeviceOwner.eq(DHCP_OWNER))
        .order_by_asc(port::Column::Id)
        .all(db)
        .await?)
}

/// The DHCP-enabled subnets of `network_id`.
async fn dhcp_subnets<C: sea_orm::ConnectionTrait>(
    db: &C,
    network_id: &str,
) -> Result<Vec<subnet::Model>> {
    Ok(subnet::Entity::find()
        .filter(subnet::Column::NetworkId.eq(network_id))
        .filter(subnet::Column::EnableDhcp.eq(true))
        .order_by_asc(subnet::Column::CreatedAt)
        .order_by_asc(subnet::Column::Id)
        .all(db)
        .await?)
}

/// A port's name as DHCP hands it out: its `dns_name`, else `host-` and
/// its address with dashes (as Neutron's dnsmasq driver names it).
fn hostname(dns_name: &str, address: &str) -> String {
    if dns_name.is_empty() {
        format!("host-{}", address.replace(['.', ':'], "-"))
    } else {
        dns_name.to_string()
    }
}

/// Neutron's id of a host in DHCP ports' `device_id`: the name-based
/// (version 5) UUID of the host's name in the DNS namespace.
fn host_uuid(host: &str) -> uuid::Uuid {
    use sha1::Digest;
    let mut hash = sha1::Sha1::new();
    hash.update(uuid::Uuid::NAMESPACE_DNS.as_bytes());
    hash.update(host.as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes).into_uuid()
}

impl Neutron {
    /// The hosts whose DHCP agent is alive, enabled and serves DHCP.
    async fn dhcp_hosts(&self) -> Result<Vec<String>> {
        let serving: BTreeSet<String> = agent::Entity::find()
            .filter(agent::Column::Binary.eq(DHCP_BINARY))
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|a| {
                serde_json::from_str::<Value>(&a.configurations)
                    .is_ok_and(|c| c["dhcp_driver"].is_string())
            })
            .map(|a| a.host)
            .collect();
        let states = service_registry::list(&self.db, self.cfg.agent_down_time)
            .await
            .map_err(|e| NeutronError::internal(e.to_string()))?;
        Ok(states
            .into_iter()
            .filter(|s| s.binary == DHCP_BINARY && s.up && !s.disabled)
            .filter(|s| serving.contains(&s.host))
            .map(|s| s.host)
            .collect())
    }

    /// Gives `network_id` a DHCP port on the first of `hosts` when it has a
    /// DHCP-enabled subnet and none serves it yet; true when it did.
    async fn schedule_on(&self, network_id: &str, hosts: &[String]) -> Result<bool> {
        let Some(host) = hosts.first() else {
            return Ok(false);
        };
        if !dhcp_ports(&self.db, network_id).await?.is_empty()
            || dhcp_subnets(&self.db, network_id).await?.is_empty()
        {
            return Ok(false);
        }
        let Some(net) = network::Entity::find_by_id(network_id)
            .one(&self.db)
            .await?
        else {
            return Ok(false);
        };
        let new = NewPort {
            network_id: net.id.clone(),
            admin_state_up: true,
            device_id: format!("dhcp{}-{}", host_uuid(host), net.id),
            device_owner: DHCP_OWNER.into(),
            binding_host_id: host.clone(),
            binding_vnic_type: "normal".into(),
            binding_profile: json!({}),
            ..NewPort::default()
        };
        // A DHCP port belongs to the network's project and counts against it.
        self.make_port(&net.project_id, &net, &new, &[], false)
            .await?;
        Ok(true)
    }

    /// A network's subnets changed: it is scheduled if it needs DHCP and has
    /// none, and its DHCP host is told.
    pub(crate) async fn dhcp_changed(&self, network_id: &str) {
        let scheduled = match self.dhcp_hosts().await {
            Ok(hosts) => self.schedule_on(network_id, &hosts).await,
            Err(e) => Err(e),
        };
        match scheduled {
            // The new port's notification told its host.
            Ok(true) => {}
            Ok(false) => self.tell_dhcp(network_id, &[]).await,
            Err(e) => tracing::warn!(network = network_id, "DHCP not scheduled: {}", e.message),
        }
    }

    /// Tells the hosts serving `network_id`'s DHCP, and `also` (the hosts of
    /// DHCP ports just deleted), that it changed.
    pub(crate) async fn tell_dhcp(&self, network_id: &str, also: &[String]) {
        let mut hosts: BTreeSet<String> = also.iter().filter(|h| !h.is_empty()).cloned().collect();
        match dhcp_ports(&self.db, network_id).await {
            Ok(ports) => hosts.extend(
                ports
                    .into_iter()
                    .map(|p| p.binding_host_id)
                    .filter(|h| !h.is_empty()),
            ),
            Err(e) => tracing::warn!(network = network_id, "DHCP hosts unknown: {}", e.message),
        }
        let changed = NetworkChanged {
            network_id: network_id.to_string(),
        };
        for host in hosts {
            if let Err(e) = self
                .agents
                .cast::<agent_rpc::NetworkChanged>(
                    &ferrostack_rpc::Context::internal(),
                    Some(&host),
                    &changed,
                )
                .await
            {
                tracing::warn!(network = network_id, host, "DHCP host not told: {e}");
            }
        }
    }

    /// The networks whose DHCP `host` serves, scheduling there those that
    /// need DHCP and have no host (`get_active_networks_info`).
    pub async fn dhcp_networks(&self, host: &str) -> Result<DhcpNetworks> {
        let hosts = self.dhcp_hosts().await?;
        if hosts.iter().any(|h| h == host) {
            let needing: BTreeSet<String> = subnet::Entity::find()
                .filter(subnet::Column::EnableDhcp.eq(true))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|s| s.network_id)
                .collect();
            for network_id in needing {
                self.schedule_on(&network_id, &[host.to_string()]).await?;
            }
        }
        let served: BTreeSet<String> = port::Entity::find()
            .filter(port::Column::DeviceOwner.eq(DHCP_OWNER))
            .filter(port::Column::BindingHostId.eq(host))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| p.network_id)
            .collect();
        Ok(DhcpNetworks {
            network_ids: served.into_iter().collect(),
        })
    }

    /// What `host` needs to serve `network_id`'s DHCP: its DHCP port (given
    /// an address on every DHCP-enabled subnet first), the subnets and every
    /// port's addresses. Not served when the network has no DHCP port on
    /// that host; a DHCP port left with no DHCP-enabled subnet is deleted.
    pub async fn network_info(&self, network_id: &str, host: &str) -> Result<NetworkInfo> {
        let unserved = NetworkInfo {
            network_id: network_id.to_string(),
            ..NetworkInfo::default()
        };
        let Some(dhcp_port) = dhcp_ports(&self.db, network_id)
            .await?
            .into_iter()
            .find(|p| p.binding_host_id == host)
        else {
            return Ok(unserved);
        };
        let subnets = dhcp_subnets(&self.db, network_id).await?;
        if subnets.is_empty() {
            super::ports::forget(&self.db, &dhcp_port.id).await?;
            self.notify_agents(Some(&dhcp_port), None).await;
            return Ok(unserved);
        }
        let allocations = ip_allocation::Entity::find()
            .filter(ip_allocation::Column::NetworkId.eq(network_id))
            .order_by_asc(ip_allocation::Column::IpAddress)
            .all(&self.db)
            .await?;
        let missing: Vec<&subnet::Model> = subnets
            .iter()
            .filter(|s| {
                !allocations
                    .iter()
                    .any(|a| a.port_id == dhcp_port.id && a.subnet_id == s.id)
            })
            .collect();
        if !missing.is_empty() {
            let txn = self.db.begin().await?;
            for s in missing {
                super::ipam::allocate_any(&txn, s, &dhcp_port.id, true).await?;
            }
            txn.commit().await?;
            return Box::pin(self.network_info(network_id, host)).await;
        }
        let ports = port::Entity::find()
            .filter(port::Column::NetworkId.eq(network_id))
            .all(&self.db)
            .await?;
        let hosts = allocations
            .iter()
            .filter(|a| subnets.iter().any(|s| s.id == a.subnet_id))
            .filter_map(|a| {
                let owner = ports.iter().find(|p| p.id == a.port_id)?;
                Some(DhcpHost {
                    mac_address: owner.mac_address.clone(),
                    ip_address: a.ip_address.clone(),
                    hostname: hostname(&owner.dns_name, &a.ip_address),
                    subnet_id: a.subnet_id.clone(),
                })
            })
            .collect();
        let subnets = subnets
            .iter()
            .map(|s| DhcpSubnet {
                id: s.id.clone(),
                cidr: s.cidr.clone(),
                gateway_ip: s.gateway_ip.clone().unwrap_or_default(),
                ip_version: s.ip_version,
                dns_nameservers: serde_json::from_str(&s.dns_nameservers).unwrap_or_default(),
                host_routes: serde_json::from_str::<Vec<Value>>(&s.host_routes)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| HostRoute {
                        destination: r["destination"].as_str().unwrap_or_default().into(),
                        nexthop: r["nexthop"].as_str().unwrap_or_default().into(),
                    })
                    .collect(),
            })
            .collect();
        Ok(NetworkInfo {
            served: true,
            network_id: network_id.to_string(),
            port: Some(self.device_of(&dhcp_port).await?),
            subnets,
            hosts,
            dns_domain: self.cfg.dns_domain.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_named_by_dns_name_or_address() {
        assert_eq!(hostname("", "10.0.0.5"), "host-10-0-0-5");
        assert_eq!(hostname("", "2001:db8::5"), "host-2001-db8--5");
        assert_eq!(hostname("web-1", "10.0.0.5"), "web-1");
    }

    #[test]
    fn host_ids_are_uuid5_of_the_name() {
        // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org").
        assert_eq!(
            host_uuid("python.org").to_string(),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d"
        );
    }
}
