//! Tunnels (what Neutron's l2population mechanism driver does for Linux
//! bridge agents): a vxlan network's broadcasts, unknown unicasts and
//! multicasts are copied to the tunnel endpoint of every other host its
//! ports are bound to, with no multicast group. An agent asks for a
//! network's endpoints when it first wires the network, and again when told
//! that the hosts of the network's ports changed (a port bound to a host
//! where the network had none, or the last one leaving a host).

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

use super::agents::L2_BINARY;
use super::{Neutron, Result};
use crate::db::entity::{agent, network, port};
use crate::rpc::agent as agent_rpc;
use crate::rpc::messages::{NetworkChanged, Tunnels};

/// A port a host's L2 agent wires (bound with Linux bridge's VIF).
fn wired(p: &port::Model) -> bool {
    p.binding_vif_type == "bridge"
}

impl Neutron {
    /// Where `host` floods `network_id`'s traffic: the `tunneling_ip` each
    /// other host's L2 agent reports, for the hosts with ports of the network
    /// bound to them.
    pub async fn tunnels(&self, network_id: &str, host: &str) -> Result<Tunnels> {
        let net = network::Entity::find_by_id(network_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| super::networks::not_found(network_id))?;
        let mut tunnels = Tunnels {
            segmentation_id: net.segmentation_id.unwrap_or_default(),
            endpoints: Vec::new(),
            network_type: net.network_type,
        };
        if tunnels.network_type != "vxlan" {
            return Ok(tunnels);
        }
        let hosts: Vec<String> = port::Entity::find()
            .select_only()
            .column(port::Column::BindingHostId)
            .distinct()
            .filter(port::Column::NetworkId.eq(network_id))
            .filter(port::Column::BindingVifType.eq("bridge"))
            .filter(port::Column::BindingHostId.ne(host))
            .into_tuple()
            .all(&self.db)
            .await?;
        if hosts.is_empty() {
            return Ok(tunnels);
        }
        let agents = agent::Entity::find()
            .filter(agent::Column::Binary.eq(L2_BINARY))
            .filter(agent::Column::Host.is_in(hosts))
            .all(&self.db)
            .await?;
        let mut endpoints: Vec<String> = agents
            .iter()
            .filter_map(|a| {
                let reported: serde_json::Value = serde_json::from_str(&a.configurations).ok()?;
                Some(reported["tunneling_ip"].as_str()?.to_string())
            })
            .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
            .collect();
        endpoints.sort();
        endpoints.dedup();
        tunnels.endpoints = endpoints;
        Ok(tunnels)
    }

    /// Tells every agent when a port's change moved the hosts of its vxlan
    /// network: bound to a host the network had no port on, or the last port
    /// on a host leaving it (a lost message is made good by the next change
    /// or the agent's restart).
    pub(crate) async fn notify_tunnels(
        &self,
        before: Option<&port::Model>,
        after: Option<&port::Model>,
    ) {
        let left = before.filter(|p| wired(p)).map(|p| &p.binding_host_id);
        let joined = after.filter(|p| wired(p)).map(|p| &p.binding_host_id);
        if left == joined {
            return;
        }
        let Some(network_id) = before.or(after).map(|p| p.network_id.clone()) else {
            return;
        };
        match self.hosts_changed(&network_id, left, joined).await {
            Ok(false) => {}
            Ok(true) => {
                let changed = NetworkChanged {
                    network_id: network_id.clone(),
                };
                let context = ferrostack_rpc::Context::internal();
                if let Err(e) = self
                    .agents
                    .fanout::<agent_rpc::TunnelsChanged>(&context, &changed)
                    .await
                {
                    tracing::warn!(network = network_id, "agents not told of its hosts: {e}");
                }
            }
            Err(e) => tracing::warn!(network = network_id, "hosts not counted: {}", e.message),
        }
    }

    /// Whether host `left` has no port of vxlan network `network_id` any
    /// more, or host `joined` has its first.
    async fn hosts_changed(
        &self,
        network_id: &str,
        left: Option<&String>,
        joined: Option<&String>,
    ) -> Result<bool> {
        let vxlan = network::Entity::find_by_id(network_id)
            .one(&self.db)
            .await?
            .is_some_and(|n| n.network_type == "vxlan");
        if !vxlan {
            return Ok(false);
        }
        let on = |host: &String| {
            port::Entity::find()
                .filter(port::Column::NetworkId.eq(network_id))
                .filter(port::Column::BindingVifType.eq("bridge"))
                .filter(port::Column::BindingHostId.eq(host.as_str()))
                .count(&self.db)
        };
        if let Some(host) = left {
            if on(host).await? == 0 {
                return Ok(true);
            }
        }
        if let Some(host) = joined {
            if on(host).await? == 1 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
