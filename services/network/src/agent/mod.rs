//! The agent role: one per host, doing what Neutron's L2, DHCP, L3 and
//! metadata agents do there. It reports each of those agents' state to the
//! server every `[agent] report_interval`, wires the ports bound to its host
//! through its [`DataPlane`] when the server says they changed, and syncs
//! all of them from the server when it starts (and until that succeeds), so
//! a restarted agent rebuilds what it had. A port whose device is not there
//! yet is looked for again every `[agent] polling_interval`. A network newly
//! wired here asks the server which other hosts its traffic floods to, and
//! asks again each time the server says those hosts changed.

mod data_plane;
pub mod linux;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ferrostack_rpc::{Client, Context, RemoteError, Router, Runner, Transport};

use crate::config::{AgentDriver, NetworkConfig};
use crate::rpc::agent as topic;
use crate::rpc::messages::{
    AgentState, Device, DeviceStatus, FloatingIpStatuses, HostDevices, NetworkChanged,
    NetworkQuery, PortDelete, PortUpdate, RouterChanged, RouterQuery, SecurityGroupList,
    SecurityGroupQuery, SecurityGroupsChanged,
};
use crate::rpc::server;
pub use data_plane::{DataPlane, Noop};

/// The agents one agent role stands for: binary, type, topic, and whether
/// it reports an availability zone.
const KINDS: &[(&str, &str, &str, bool)] = &[
    (
        crate::domain::agents::L2_BINARY,
        "Linux bridge agent",
        "N/A",
        false,
    ),
    ("neutron-dhcp-agent", "DHCP agent", "dhcp_agent", true),
    (
        crate::domain::agents::L3_BINARY,
        "L3 agent",
        "l3_agent",
        true,
    ),
    ("neutron-metadata-agent", "Metadata agent", "N/A", false),
];

/// One host's agent.
pub struct Agent {
    host: String,
    data_plane: Arc<dyn DataPlane>,
    plugin: Client<server::Plugin>,
    /// Ports whose device was not there when they were wired.
    pending: Mutex<HashMap<String, Device>>,
    /// One port wired or unwired at a time, so a port that left is never
    /// wired again by an older message or the poll.
    wiring: tokio::sync::Mutex<()>,
    /// One DHCP refresh at a time, so an older answer is never applied
    /// after a newer one.
    dhcp_refreshes: tokio::sync::Mutex<()>,
    /// The same for routers.
    router_refreshes: tokio::sync::Mutex<()>,
    /// The same for the filters.
    filter_refreshes: tokio::sync::Mutex<()>,
    /// The same for the tunnels.
    tunnel_refreshes: tokio::sync::Mutex<()>,
}

/// A failed handler's error, logged (casts have no one to answer to).
fn failed(e: impl std::fmt::Display) -> RemoteError {
    tracing::warn!("agent: {e}");
    RemoteError {
        kind: "AgentError".into(),
        message: e.to_string(),
    }
}

impl Agent {
    /// Wires `device` and tells the server it is up (or down, when its admin
    /// state is down); a port without its device yet waits in `pending`.
    async fn wire(&self, device: &Device) -> anyhow::Result<()> {
        self.wire_if(device, false).await
    }

    /// [`Agent::wire`], only while the port is still pending when
    /// `pending_only` (it may have left the host meanwhile).
    async fn wire_if(&self, device: &Device, pending_only: bool) -> anyhow::Result<()> {
        {
            let _one = self.wiring.lock().await;
            if pending_only && !self.pending_ports().contains_key(&device.port_id) {
                return Ok(());
            }
            // Filtered before it is wired.
            if self.data_plane.filter(device) {
                self.refresh_filters().await?;
            }
            let plugged = self.data_plane.plug(device).await?;
            if !plugged {
                self.pending_ports()
                    .insert(device.port_id.clone(), device.clone());
            } else {
                self.pending_ports().remove(&device.port_id);
            }
            self.tunnel_new_networks().await?;
            if !plugged {
                return Ok(());
            }
        }
        let status = DeviceStatus {
            port_id: device.port_id.clone(),
            host: self.host.clone(),
            up: device.admin_state_up,
        };
        self.plugin
            .call::<server::UpdateDevice>(&Context::internal(), None, &status)
            .await?;
        Ok(())
    }

    fn pending_ports(&self) -> std::sync::MutexGuard<'_, HashMap<String, Device>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wires again the ports whose device was missing.
    async fn wire_pending(&self) {
        let waiting: Vec<Device> = self.pending_ports().values().cloned().collect();
        for device in &waiting {
            if let Err(e) = self.wire_if(device, true).await {
                tracing::warn!(host = self.host, port = device.port_id, "not wired: {e}");
            }
        }
    }

    /// Wires every port the server has bound to this host, and serves its
    /// networks' DHCP and its routers.
    async fn sync(&self) -> anyhow::Result<usize> {
        let asked = HostDevices {
            host: self.host.clone(),
        };
        let list = self
            .plugin
            .call::<server::GetDevices>(&Context::internal(), None, &asked)
            .await?;
        for device in &list.devices {
            self.wire(device).await?;
        }
        // Then the networks whose DHCP and the routers served here, and
        // those the data plane still serves but the server no longer has here.
        let served = self
            .plugin
            .call::<server::GetDhcpNetworks>(&Context::internal(), None, &asked)
            .await?
            .network_ids;
        let stale = self.data_plane.dhcp_served();
        for network_id in served
            .iter()
            .chain(stale.iter().filter(|n| !served.contains(n)))
        {
            self.refresh_dhcp(network_id).await?;
        }
        let served = self
            .plugin
            .call::<server::GetRouters>(&Context::internal(), None, &asked)
            .await?
            .router_ids;
        let stale = self.data_plane.routers_served();
        for router_id in served
            .iter()
            .chain(stale.iter().filter(|r| !served.contains(r)))
        {
            self.refresh_router(router_id).await?;
        }
        // Last, the bridges of networks with no port here any more.
        self.data_plane.sweep().await?;
        Ok(list.devices.len())
    }

    /// Rewrites the host's filters with its ports' groups as the server
    /// has them now.
    async fn refresh_filters(&self) -> anyhow::Result<()> {
        let _one = self.filter_refreshes.lock().await;
        let Some(group_ids) = self.data_plane.filtered_groups() else {
            return Ok(());
        };
        let groups = if group_ids.is_empty() {
            SecurityGroupList::default()
        } else {
            self.plugin
                .call::<server::GetSecurityGroups>(
                    &Context::internal(),
                    None,
                    &SecurityGroupQuery { group_ids },
                )
                .await?
        };
        self.data_plane.apply_filters(&groups).await
    }

    /// Floods `network_id`'s traffic to the tunnels the server names, if
    /// the network is wired here.
    async fn refresh_tunnels(&self, network_id: &str) -> anyhow::Result<()> {
        let _one = self.tunnel_refreshes.lock().await;
        if !self.data_plane.tunnels_network(network_id) {
            return Ok(());
        }
        let asked = NetworkQuery {
            network_id: network_id.to_string(),
            host: self.host.clone(),
        };
        let tunnels = self
            .plugin
            .call::<server::GetTunnels>(&Context::internal(), None, &asked)
            .await?;
        self.data_plane.set_tunnels(network_id, &tunnels).await
    }

    /// Asks for the tunnels of the networks newly wired here.
    async fn tunnel_new_networks(&self) -> anyhow::Result<()> {
        for network_id in self.data_plane.untunnelled() {
            self.refresh_tunnels(&network_id).await?;
        }
        Ok(())
    }

    /// Serves (or takes down) router `router_id` as the server says.
    async fn refresh_router(&self, router_id: &str) -> anyhow::Result<()> {
        let _one = self.router_refreshes.lock().await;
        let asked = RouterQuery {
            router_id: router_id.to_string(),
            host: self.host.clone(),
        };
        let info = self
            .plugin
            .call::<server::GetRouter>(&Context::internal(), None, &asked)
            .await?;
        self.data_plane.serve_router(&info).await?;
        self.tunnel_new_networks().await?;
        if info.served && info.admin_state_up && !info.floating_ips.is_empty() {
            let statuses = FloatingIpStatuses {
                router_id: info.router_id.clone(),
                statuses: info
                    .floating_ips
                    .iter()
                    .map(|f| (f.id.clone(), "ACTIVE".to_string()))
                    .collect(),
            };
            self.plugin
                .call::<server::UpdateFloatingIps>(&Context::internal(), None, &statuses)
                .await?;
        }
        Ok(())
    }

    /// Serves (or stops serving) `network_id`'s DHCP as the server says.
    async fn refresh_dhcp(&self, network_id: &str) -> anyhow::Result<()> {
        let _one = self.dhcp_refreshes.lock().await;
        let asked = NetworkQuery {
            network_id: network_id.to_string(),
            host: self.host.clone(),
        };
        let info = self
            .plugin
            .call::<server::GetNetworkInfo>(&Context::internal(), None, &asked)
            .await?;
        self.data_plane.serve_dhcp(&info).await?;
        self.tunnel_new_networks().await
    }

    fn router(self: Arc<Self>) -> Router<topic::Topic, Self> {
        Router::new(self)
            .route::<topic::PortUpdate, _, _>(|agent, _, update: PortUpdate| async move {
                let Some(device) = update.device else {
                    return Ok(());
                };
                agent.wire(&device).await.map_err(failed)
            })
            .route::<topic::PortDelete, _, _>(|agent, _, gone: PortDelete| async move {
                let _one = agent.wiring.lock().await;
                agent.pending_ports().remove(&gone.port_id);
                agent
                    .data_plane
                    .unplug(&gone.port_id)
                    .await
                    .map_err(failed)?;
                agent.refresh_filters().await.map_err(failed)
            })
            .route::<topic::NetworkChanged, _, _>(|agent, _, changed: NetworkChanged| async move {
                agent
                    .refresh_dhcp(&changed.network_id)
                    .await
                    .map_err(failed)
            })
            .route::<topic::SecurityGroupsChanged, _, _>(
                |agent, _, _: SecurityGroupsChanged| async move {
                    agent.refresh_filters().await.map_err(failed)
                },
            )
            .route::<topic::TunnelsChanged, _, _>(|agent, _, changed: NetworkChanged| async move {
                agent
                    .refresh_tunnels(&changed.network_id)
                    .await
                    .map_err(failed)
            })
            .route::<topic::RouterChanged, _, _>(|agent, _, changed: RouterChanged| async move {
                agent
                    .refresh_router(&changed.router_id)
                    .await
                    .map_err(failed)
            })
    }
}

/// Starts the agent of this host on `transport`.
pub async fn start(
    cfg: &NetworkConfig,
    transport: Arc<dyn Transport>,
    runner: &mut Runner,
) -> anyhow::Result<()> {
    let timeout = cfg.messaging.rpc_response_timeout;
    let (data_plane, polling): (Arc<dyn DataPlane>, _) = match &cfg.driver {
        AgentDriver::Noop => (Arc::new(Noop), None),
        AgentDriver::Linux(opts) => (
            Arc::new(linux::LinuxBridge::new(
                opts.clone(),
                &cfg.service.state_path,
            )),
            Some(opts.polling_interval),
        ),
    };
    let agent = Arc::new(Agent {
        host: cfg.service.host.clone(),
        data_plane,
        plugin: Client::new(transport.clone(), timeout),
        pending: Mutex::default(),
        wiring: Default::default(),
        dhcp_refreshes: Default::default(),
        router_refreshes: Default::default(),
        filter_refreshes: Default::default(),
        tunnel_refreshes: Default::default(),
    });
    if let Some(interval) = polling {
        let agent = agent.clone();
        runner.every("agent devices", interval, move || {
            let agent = agent.clone();
            async move { agent.wire_pending().await }
        });
    }
    runner.serve(
        agent
            .clone()
            .router()
            .serve(&transport, &agent.host)
            .await?,
    );
    let reports: Client<server::Reports> = Client::new(transport, timeout);
    let started_at = chrono::Utc::now().to_rfc3339();
    let zone = cfg.availability_zone.clone();
    let synced = Arc::new(AtomicBool::new(false));
    runner.every("agent reports", cfg.report_interval, move || {
        let (agent, reports, started_at, zone, synced) = (
            agent.clone(),
            reports.clone(),
            started_at.clone(),
            zone.clone(),
            synced.clone(),
        );
        async move {
            let configurations = agent.data_plane.configurations().to_string();
            for (binary, agent_type, topic, zoned) in KINDS {
                let state = AgentState {
                    host: agent.host.clone(),
                    binary: binary.to_string(),
                    agent_type: agent_type.to_string(),
                    topic: topic.to_string(),
                    configurations_json: configurations.clone(),
                    availability_zone: if *zoned { zone.clone() } else { String::new() },
                    started_at: started_at.clone(),
                };
                if let Err(e) = reports
                    .cast::<server::ReportState>(&Context::internal(), None, &state)
                    .await
                {
                    tracing::warn!(host = agent.host, "state not reported: {e}");
                }
            }
            if !synced.load(Ordering::Relaxed) {
                match agent.sync().await {
                    Ok(count) => {
                        tracing::info!(host = agent.host, ports = count, "agent synced");
                        synced.store(true, Ordering::Relaxed);
                    }
                    Err(e) => tracing::warn!(host = agent.host, "sync failed, retried: {e}"),
                }
            }
        }
    });
    Ok(())
}
