//! Agents (Neutron's agent extension): each host's agents report their state
//! to the server, which keeps their heartbeats and admin state in the shared
//! service registry and what they say of themselves in `agents`. A port bound
//! to a host binds only while that host's L2 agent is alive and enabled, and
//! turns `ACTIVE` when the agent reports it wired.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{json, Value};

use super::{new_id, now, Caller, Neutron, NeutronError, Result};
use crate::db::entity::{agent, network, port};
use crate::rpc::agent as agent_rpc;
use crate::rpc::messages::{AgentState, Device, DeviceList, PortDelete, PortUpdate};
use ferrostack_db::service_registry;

/// The L2 agent's binary: ports bind to hosts where it is alive.
pub const L2_BINARY: &str = "neutron-linuxbridge-agent";
/// The L3 agent's binary: routers are placed on hosts where it is alive.
pub const L3_BINARY: &str = "neutron-l3-agent";

/// An agent with its liveness and admin state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRecord {
    pub row: agent::Model,
    pub alive: bool,
    pub admin_state_up: bool,
    pub heartbeat_timestamp: chrono::NaiveDateTime,
}

/// What an update asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentUpdate {
    pub admin_state_up: Option<bool>,
    pub description: Option<Option<String>>,
}

pub(crate) fn not_found(id: &str) -> NeutronError {
    NeutronError::not_found("AgentNotFound", format!("Agent {id} could not be found."))
}

/// The binding a port gets on a host: Linux bridge's VIF (the bridge named
/// after the network, as Nova's libvirt driver expects), or a failed one.
pub fn bound_vif(network_id: &str) -> (&'static str, Value) {
    (
        "bridge",
        json!({
            "port_filter": true,
            "connectivity": "l2",
            "bridge_name": format!("brq{}", network_id.chars().take(11).collect::<String>()),
        }),
    )
}

impl Neutron {
    /// Records an agent's report: its heartbeat, and what it says of itself.
    pub async fn record_agent_state(&self, state: AgentState) -> Result<()> {
        let zone = state.availability_zone.clone();
        service_registry::heartbeat(&self.db, &state.host, &state.binary, &zone)
            .await
            .map_err(|e| NeutronError::internal(e.to_string()))?;
        let started = chrono::DateTime::parse_from_rfc3339(&state.started_at)
            .map(|t| t.naive_utc())
            .unwrap_or_else(|_| now());
        let zone = (!zone.is_empty()).then_some(zone);
        let existing = agent::Entity::find()
            .filter(agent::Column::Host.eq(&state.host))
            .filter(agent::Column::Binary.eq(&state.binary))
            .one(&self.db)
            .await?;
        match existing {
            Some(row) => {
                let mut active: agent::ActiveModel = row.into();
                active.agent_type = Set(state.agent_type);
                active.topic = Set(state.topic);
                active.configurations = Set(state.configurations_json);
                active.availability_zone = Set(zone);
                active.started_at = Set(started);
                active.update(&self.db).await?;
            }
            None => {
                let row = agent::ActiveModel {
                    id: Set(new_id()),
                    host: Set(state.host),
                    binary: Set(state.binary),
                    agent_type: Set(state.agent_type),
                    topic: Set(state.topic),
                    description: Set(String::new()),
                    configurations: Set(state.configurations_json),
                    availability_zone: Set(zone),
                    created_at: Set(now()),
                    started_at: Set(started),
                };
                // Two first reports at once: the other one registered it.
                if let Err(e) = row.insert(&self.db).await {
                    if !matches!(
                        ferrostack_db::DbError::from(e),
                        ferrostack_db::DbError::Duplicate(_)
                    ) {
                        return Err(NeutronError::internal("agent not registered"));
                    }
                }
            }
        }
        Ok(())
    }

    /// Every registered agent.
    pub(crate) async fn all_agents(&self) -> Result<Vec<agent::Model>> {
        Ok(agent::Entity::find()
            .order_by_asc(agent::Column::Host)
            .order_by_asc(agent::Column::Binary)
            .all(&self.db)
            .await?)
    }

    pub(crate) async fn agent_records(&self, rows: Vec<agent::Model>) -> Result<Vec<AgentRecord>> {
        let states = service_registry::list(&self.db, self.cfg.agent_down_time)
            .await
            .map_err(|e| NeutronError::internal(e.to_string()))?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let state = states
                    .iter()
                    .find(|s| s.host == row.host && s.binary == row.binary);
                AgentRecord {
                    alive: state.is_some_and(|s| s.up),
                    admin_state_up: state.is_none_or(|s| !s.disabled),
                    heartbeat_timestamp: state.map_or(row.started_at, |s| s.updated_at),
                    row,
                }
            })
            .collect())
    }

    /// `GET /v2.0/agents`: every agent for an admin, none for others.
    pub async fn list_agents(&self, caller: &Caller) -> Result<Vec<AgentRecord>> {
        if !self.allowed(caller, "get_agent", &json!({})) {
            return Ok(Vec::new());
        }
        let rows = self.all_agents().await?;
        self.agent_records(rows).await
    }

    /// `GET /v2.0/agents/{id}`.
    pub async fn show_agent(&self, caller: &Caller, id: &str) -> Result<AgentRecord> {
        if !self.allowed(caller, "get_agent", &json!({})) {
            return Err(not_found(id));
        }
        let row = agent::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        Ok(self.agent_records(vec![row]).await?.remove(0))
    }

    /// `PUT /v2.0/agents/{id}`: its admin state or description.
    pub async fn update_agent(
        &self,
        caller: &Caller,
        id: &str,
        update: AgentUpdate,
        _revision: Option<i64>,
    ) -> Result<AgentRecord> {
        let record = self.show_agent(caller, id).await?;
        self.authorize(caller, "update_agent", &json!({}))?;
        if let Some(up) = update.admin_state_up {
            service_registry::set_disabled(
                &self.db,
                &record.row.host,
                &record.row.binary,
                !up,
                None,
            )
            .await
            .map_err(|e| NeutronError::internal(e.to_string()))?;
        }
        if let Some(description) = update.description {
            let mut active: agent::ActiveModel = record.row.into();
            active.description = Set(description.unwrap_or_default());
            active.update(&self.db).await?;
        }
        self.show_agent(caller, id).await
    }

    /// `DELETE /v2.0/agents/{id}`: forgotten until it reports again.
    pub async fn delete_agent(
        &self,
        caller: &Caller,
        id: &str,
        _revision: Option<i64>,
    ) -> Result<()> {
        let record = self.show_agent(caller, id).await?;
        self.authorize(caller, "delete_agent", &json!({}))?;
        service_registry::remove(&self.db, &record.row.host, &record.row.binary)
            .await
            .map_err(|e| NeutronError::internal(e.to_string()))?;
        agent::Entity::delete_by_id(id).exec(&self.db).await?;
        Ok(())
    }

    /// The binding of a port of `network_id` on `host`: unbound without a
    /// host, Linux bridge's while the host's L2 agent can bind, failed
    /// otherwise (as ML2 leaves it with no mechanism driver able to).
    pub(crate) async fn binding(
        &self,
        network_id: &str,
        host: &str,
    ) -> Result<(&'static str, Value)> {
        Ok(if host.is_empty() {
            ("unbound", json!({}))
        } else if self.can_bind(host).await? {
            bound_vif(network_id)
        } else {
            ("binding_failed", json!({}))
        })
    }

    /// Tells the agents of a port's old and new hosts what changed (a lost
    /// message is made good by the agent's next full sync), every agent when
    /// its network's hosts changed, the hosts serving its network's DHCP
    /// and, for a router's port, its router's.
    pub(crate) async fn notify_agents(
        &self,
        before: Option<&port::Model>,
        after: Option<&port::Model>,
    ) {
        self.notify_l2_agents(before, after).await;
        self.notify_tunnels(before, after).await;
        let networks: std::collections::BTreeSet<&str> = before
            .iter()
            .chain(after.iter())
            .map(|p| p.network_id.as_str())
            .collect();
        let dhcp_hosts: Vec<String> = before
            .iter()
            .chain(after.iter())
            .filter(|p| p.device_owner == super::dhcp::DHCP_OWNER)
            .map(|p| p.binding_host_id.clone())
            .collect();
        for network_id in networks {
            self.tell_dhcp(network_id, &dhcp_hosts).await;
        }
        // A port's addresses or groups are members of its groups.
        self.tell_firewalls().await;
        for p in before.iter().chain(after.iter()) {
            if super::routers::router_owned(&p.device_owner) && !p.device_id.is_empty() {
                self.tell_l3(&p.device_id, std::slice::from_ref(&p.binding_host_id))
                    .await;
            }
        }
    }

    async fn notify_l2_agents(&self, before: Option<&port::Model>, after: Option<&port::Model>) {
        let bound = |p: &port::Model| p.binding_vif_type == "bridge";
        let context = ferrostack_rpc::Context::internal();
        if let Some(old) = before.filter(|p| bound(p)) {
            let moved =
                after.is_none_or(|new| new.binding_host_id != old.binding_host_id || !bound(new));
            let gone = PortDelete {
                port_id: old.id.clone(),
            };
            if moved {
                if let Err(e) = self
                    .agents
                    .cast::<agent_rpc::PortDelete>(&context, Some(&old.binding_host_id), &gone)
                    .await
                {
                    tracing::warn!(port = old.id, "agent not told of the port's removal: {e}");
                }
            }
        }
        if let Some(new) = after.filter(|p| bound(p)) {
            let sent = match self.device_of(new).await {
                Ok(device) => self
                    .agents
                    .cast::<agent_rpc::PortUpdate>(
                        &context,
                        Some(&new.binding_host_id),
                        &PortUpdate {
                            device: Some(device),
                        },
                    )
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.message),
            };
            if let Err(e) = sent {
                tracing::warn!(port = new.id, "agent not told of the port: {e}");
            }
        }
    }

    /// The host serving `router_id`: the one its ports are bound to, else
    /// the first host with an alive, enabled L3 agent ("" when none is).
    pub(crate) async fn router_host(&self, router_id: &str) -> Result<String> {
        let placed = port::Entity::find()
            .filter(port::Column::DeviceId.eq(router_id))
            .filter(port::Column::BindingHostId.ne(""))
            .one(&self.db)
            .await?;
        if let Some(port) = placed {
            return Ok(port.binding_host_id);
        }
        let states = service_registry::list(&self.db, self.cfg.agent_down_time)
            .await
            .map_err(|e| NeutronError::internal(e.to_string()))?;
        Ok(states
            .into_iter()
            .find(|s| s.binary == L3_BINARY && s.up && !s.disabled)
            .map(|s| s.host)
            .unwrap_or_default())
    }

    /// Binds port `port_id` to `host` (a port a router takes over).
    pub(crate) async fn bind_port(&self, port_id: &str, host: &str) -> Result<()> {
        let row = port::Entity::find_by_id(port_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| super::ports::not_found(port_id))?;
        let (vif_type, vif_details) = self.binding(&row.network_id, host).await?;
        let mut active: port::ActiveModel = row.clone().into();
        active.binding_host_id = Set(host.to_string());
        active.binding_vif_type = Set(vif_type.into());
        active.binding_vif_details = Set(vif_details.to_string());
        active.status = Set("DOWN".into());
        let updated = active.update(&self.db).await?;
        self.notify_agents(Some(&row), Some(&updated)).await;
        Ok(())
    }

    /// Whether `host`'s L2 agent is alive and enabled (ports bind there).
    pub async fn can_bind(&self, host: &str) -> Result<bool> {
        if host.is_empty() {
            return Ok(false);
        }
        let states = service_registry::list(&self.db, self.cfg.agent_down_time)
            .await
            .map_err(|e| NeutronError::internal(e.to_string()))?;
        Ok(states
            .iter()
            .any(|s| s.host == host && s.binary == L2_BINARY && s.up && !s.disabled))
    }

    /// A port as its host's agent wires it.
    pub(crate) async fn device_of(&self, row: &port::Model) -> Result<Device> {
        let net = network::Entity::find_by_id(&row.network_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| super::networks::not_found(&row.network_id))?;
        let fixed_ips = crate::db::entity::ip_allocation::Entity::find()
            .filter(crate::db::entity::ip_allocation::Column::PortId.eq(&row.id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| a.ip_address)
            .collect::<Vec<String>>();
        let (security_groups, allowed_addresses) = self.port_filter(row, &fixed_ips).await?;
        Ok(Device {
            port_security_enabled: row.port_security_enabled,
            allowed_addresses,
            security_groups,
            port_id: row.id.clone(),
            network_id: net.id,
            mac_address: row.mac_address.clone(),
            network_type: net.network_type,
            segmentation_id: net.segmentation_id.unwrap_or_default(),
            physical_network: net.physical_network.unwrap_or_default(),
            mtu: net.mtu,
            admin_state_up: row.admin_state_up,
            fixed_ips,
        })
    }

    /// Every port bound to `host` (an agent's full sync).
    pub async fn devices_of_host(&self, host: &str) -> Result<DeviceList> {
        let rows = port::Entity::find()
            .filter(port::Column::BindingHostId.eq(host))
            .filter(port::Column::BindingVifType.eq("bridge"))
            .order_by_asc(port::Column::Id)
            .all(&self.db)
            .await?;
        let mut devices = Vec::with_capacity(rows.len());
        for row in &rows {
            devices.push(self.device_of(row).await?);
        }
        Ok(DeviceList { devices })
    }

    /// A port's agent wired (`up`) or unwired it: `ACTIVE` or `DOWN`, if it
    /// is still bound to that host.
    pub async fn device_status(&self, port_id: &str, host: &str, up: bool) -> Result<()> {
        let status = if up { "ACTIVE" } else { "DOWN" };
        let changed = port::Entity::update_many()
            .col_expr(
                port::Column::Status,
                sea_orm::sea_query::Expr::value(status),
            )
            .filter(port::Column::Id.eq(port_id))
            .filter(port::Column::BindingHostId.eq(host))
            .filter(port::Column::Status.ne(status))
            .exec(&self.db)
            .await?;
        if changed.rows_affected == 1 {
            if let Some(port) = port::Entity::find_by_id(port_id).one(&self.db).await? {
                self.nova.status_changed(&port, up);
            }
        }
        Ok(())
    }
}
