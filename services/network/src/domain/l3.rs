//! What L3 agents are told (Neutron's `L3RpcCallback` and L3 agent
//! notifier): a router is served by the host its ports are bound to, which
//! learns its interfaces, gateway, routes and floating IPs, and is told
//! whenever any of them changes.

use std::collections::BTreeSet;

use ipnet::IpNet;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use super::routers::{GATEWAY_OWNER, INTERFACE_OWNER};
use super::{Neutron, Result};
use crate::db::entity::{floating_ip, ip_allocation, port, router, subnet};
use crate::rpc::agent as agent_rpc;
use crate::rpc::messages::{
    FloatingNat, HostRoute, HostRouters, RouterChanged, RouterInfo, RouterPort,
};

/// The ports router `router_id` made for itself.
async fn router_ports(
    db: &sea_orm::DatabaseConnection,
    router_id: &str,
) -> Result<Vec<port::Model>> {
    Ok(port::Entity::find()
        .filter(port::Column::DeviceId.eq(router_id))
        .filter(port::Column::DeviceOwner.is_in([INTERFACE_OWNER, GATEWAY_OWNER]))
        .order_by_asc(port::Column::CreatedAt)
        .order_by_asc(port::Column::Id)
        .all(db)
        .await?)
}

impl Neutron {
    /// Tells the hosts serving `router_id`, and `also` (hosts of its ports
    /// just deleted), that it changed.
    pub(crate) async fn tell_l3(&self, router_id: &str, also: &[String]) {
        let mut hosts: BTreeSet<String> = also.iter().filter(|h| !h.is_empty()).cloned().collect();
        match router_ports(&self.db, router_id).await {
            Ok(ports) => hosts.extend(
                ports
                    .into_iter()
                    .map(|p| p.binding_host_id)
                    .filter(|h| !h.is_empty()),
            ),
            Err(e) => tracing::warn!(router = router_id, "router's hosts unknown: {}", e.message),
        }
        let changed = RouterChanged {
            router_id: router_id.to_string(),
        };
        for host in hosts {
            if let Err(e) = self
                .agents
                .cast::<agent_rpc::RouterChanged>(
                    &ferrostack_rpc::Context::internal(),
                    Some(&host),
                    &changed,
                )
                .await
            {
                tracing::warn!(router = router_id, host, "L3 host not told: {e}");
            }
        }
    }

    /// The routers with a port bound to `host`.
    pub async fn routers_of_host(&self, host: &str) -> Result<HostRouters> {
        let ids: BTreeSet<String> = port::Entity::find()
            .filter(port::Column::BindingHostId.eq(host))
            .filter(port::Column::DeviceOwner.is_in([INTERFACE_OWNER, GATEWAY_OWNER]))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| p.device_id)
            .collect();
        Ok(HostRouters {
            router_ids: ids.into_iter().collect(),
        })
    }

    /// A router's port as its agent wires it: its addresses with their
    /// subnets' prefixes, and its first IPv4 subnet's gateway.
    async fn router_port(&self, row: &port::Model) -> Result<RouterPort> {
        let allocations = ip_allocation::Entity::find()
            .filter(ip_allocation::Column::PortId.eq(&row.id))
            .all(&self.db)
            .await?;
        let mut addresses = Vec::new();
        let mut gateway_ip = String::new();
        for a in &allocations {
            let Some(s) = subnet::Entity::find_by_id(&a.subnet_id)
                .one(&self.db)
                .await?
            else {
                continue;
            };
            let Ok(cidr) = s.cidr.parse::<IpNet>() else {
                continue;
            };
            addresses.push(format!("{}/{}", a.ip_address, cidr.prefix_len()));
            if gateway_ip.is_empty() && s.ip_version == 4 {
                gateway_ip = s.gateway_ip.unwrap_or_default();
            }
        }
        Ok(RouterPort {
            port: Some(self.device_of(row).await?),
            addresses,
            gateway_ip,
        })
    }

    /// What `host` needs to serve router `router_id`: its ports bound there,
    /// routes and floating IPs; not served when it has no port there.
    pub async fn router_info(&self, router_id: &str, host: &str) -> Result<RouterInfo> {
        let unserved = RouterInfo {
            router_id: router_id.to_string(),
            ..RouterInfo::default()
        };
        let Some(row) = router::Entity::find_by_id(router_id).one(&self.db).await? else {
            return Ok(unserved);
        };
        let ports: Vec<port::Model> = router_ports(&self.db, router_id)
            .await?
            .into_iter()
            .filter(|p| p.binding_host_id == host)
            .collect();
        if ports.is_empty() {
            return Ok(unserved);
        }
        let mut info = RouterInfo {
            served: true,
            router_id: router_id.to_string(),
            admin_state_up: row.admin_state_up,
            enable_snat: row.enable_snat,
            ..RouterInfo::default()
        };
        for p in &ports {
            let wired = self.router_port(p).await?;
            if p.device_owner == GATEWAY_OWNER {
                info.gateway = Some(wired);
            } else {
                info.interfaces.push(wired);
            }
        }
        info.routes = serde_json::from_str::<Vec<Value>>(&row.routes)
            .unwrap_or_default()
            .into_iter()
            .map(|r| HostRoute {
                destination: r["destination"].as_str().unwrap_or_default().into(),
                nexthop: r["nexthop"].as_str().unwrap_or_default().into(),
            })
            .collect();
        info.floating_ips = floating_ip::Entity::find()
            .filter(floating_ip::Column::RouterId.eq(router_id))
            .order_by_asc(floating_ip::Column::FloatingIpAddress)
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|f| {
                Some(FloatingNat {
                    fixed_ip: f.fixed_ip_address?,
                    floating_ip: f.floating_ip_address,
                    id: f.id,
                })
            })
            .collect();
        Ok(info)
    }

    /// Records what a router's host reports of its floating IPs (`ACTIVE`
    /// or `ERROR`), for those still associated through that router.
    pub async fn floating_ip_statuses(
        &self,
        router_id: &str,
        statuses: &std::collections::HashMap<String, String>,
    ) -> Result<()> {
        for (id, status) in statuses {
            if !matches!(status.as_str(), "ACTIVE" | "ERROR" | "DOWN") {
                continue;
            }
            floating_ip::Entity::update_many()
                .col_expr(
                    floating_ip::Column::Status,
                    sea_orm::sea_query::Expr::value(status.as_str()),
                )
                .filter(floating_ip::Column::Id.eq(id))
                .filter(floating_ip::Column::RouterId.eq(router_id))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }
}
