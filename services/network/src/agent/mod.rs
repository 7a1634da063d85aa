//! The agent role: one per host, doing what Neutron's L2, DHCP, L3 and
//! metadata agents do there. It reports each of those agents' state to the
//! server every `[agent] report_interval`, wires the ports bound to its host
//! through its [`DataPlane`] when the server says they changed, and syncs
//! all of them from the server when it starts (and until that succeeds), so
//! a restarted agent rebuilds what it had.

mod data_plane;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ferrostack_rpc::{Client, Context, RemoteError, Router, Runner, Transport};

use crate::config::NetworkConfig;
use crate::rpc::agent as topic;
use crate::rpc::messages::{AgentState, Device, DeviceStatus, HostDevices, PortDelete, PortUpdate};
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
}

fn failed(e: impl std::fmt::Display) -> RemoteError {
    RemoteError {
        kind: "AgentError".into(),
        message: e.to_string(),
    }
}

impl Agent {
    /// Wires `device` and tells the server it is up (or down, when its admin
    /// state is down).
    async fn wire(&self, device: &Device) -> anyhow::Result<()> {
        self.data_plane.plug(device).await?;
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

    /// Wires every port the server has bound to this host.
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
        Ok(list.devices.len())
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
                agent.data_plane.unplug(&gone.port_id).await.map_err(failed)
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
    let agent = Arc::new(Agent {
        host: cfg.service.host.clone(),
        data_plane: Arc::new(Noop),
        plugin: Client::new(transport.clone(), timeout),
    });
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
