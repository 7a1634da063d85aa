//! The agent role (`nova-compute`): one per compute host; it builds and
//! operates the servers placed on it through its driver, reports the node's
//! resources and its heartbeat to the conductor, and holds no database
//! credentials.

mod assisted_snapshots;
mod consoles;
mod driver;
mod events;
mod fake;
mod manager;
mod migrate;
mod networks;
mod reimage;
mod snapshot;
mod volumes;

use std::sync::Arc;

use ferrostack_rpc::{Client, Context, Runner, Transport};

use crate::config::ComputeConfig;
use crate::network_api::NetworkApi;
use crate::rpc::conductor;
use crate::rpc::messages::{Heartbeat, NodeReport};
use crate::volume_api::VolumeApi;
pub use consoles::{ConsoleOptions, CONSOLE_OPTS};
pub use driver::{
    ConsoleEndpoint, ConsoleProtocol, Driver, DriverError, GuestOp, NodeResources, PowerState,
    DRIVERS,
};
pub use fake::{FakeDriver, FAKE_HOSTS, SPAWN_ERROR_SPEC};
use ferrostack_auth::image_api::ImageApi;
use ferrostack_auth::Authenticator;
pub use manager::{Agent, UNSHELVE_EVENT};
pub use networks::VifPlugging;

/// The binary name `os-services` shows for agents.
pub const BINARY: &str = "nova-compute";

/// What one report says about `host`'s node.
pub fn node_report(host: &str, host_ip: &str, node: NodeResources) -> NodeReport {
    NodeReport {
        host: host.to_string(),
        hypervisor_hostname: host.to_string(),
        hypervisor_type: node.hypervisor_type,
        hypervisor_version: node.hypervisor_version,
        host_ip: host_ip.to_string(),
        vcpus: node.vcpus,
        memory_mb: node.memory_mb,
        local_gb: node.local_gb,
        vcpus_used: node.vcpus_used,
        memory_mb_used: node.memory_mb_used,
        local_gb_used: node.local_gb_used,
        running_vms: node.running_vms,
        cpu_info_json: node.cpu_info.to_string(),
    }
}

/// Starts the agent role on `runner`: one agent per configured host, each
/// with its server on `compute.<host>`, and a heartbeat and a resource report
/// every `report_interval`.
pub async fn start(
    cfg: &ComputeConfig,
    transport: Arc<dyn Transport>,
    runner: &mut Runner,
) -> anyhow::Result<()> {
    let conductor: Client<conductor::Topic> =
        Client::new(transport.clone(), cfg.messaging.rpc_response_timeout);
    let agents: Client<crate::rpc::agent::Topic> =
        Client::new(transport.clone(), cfg.messaging.rpc_response_timeout);
    let auth = cfg.auth.clone().map(Authenticator::new);
    let volumes = Arc::new(VolumeApi::new(
        cfg.cinder_endpoint.clone(),
        auth.clone(),
        cfg.cinder_timeouts,
    ));
    let networks = Arc::new(NetworkApi::new(
        cfg.neutron_endpoint.clone(),
        auth.clone(),
        cfg.neutron_timeouts,
    ));
    let images = Arc::new(ImageApi::new(
        cfg.glance_api_servers.clone(),
        ("image".into(), "public".into()),
        auth,
        cfg.glance_timeouts,
    ));
    for (host, driver) in &cfg.agents {
        let agent = Arc::new(Agent {
            host: host.clone(),
            my_ip: cfg.my_ip.clone(),
            driver: driver.clone(),
            conductor: conductor.clone(),
            agents: agents.clone(),
            volumes: volumes.clone(),
            images: images.clone(),
            consoles: cfg.consoles.clone(),
            networks: networks.clone(),
            zone: cfg.default_zone.clone(),
            reimage_timeout_per_gb: cfg.reimage_timeout_per_gb,
            vif_plugging: cfg.vif_plugging,
            events: Default::default(),
        });
        runner.serve(agent.router().serve(&transport, host).await?);
        report_every(cfg, runner, conductor.clone(), host.clone(), driver.clone());
    }
    Ok(())
}

/// Sends `host`'s heartbeat and node report every `report_interval`.
fn report_every(
    cfg: &ComputeConfig,
    runner: &mut Runner,
    conductor: Client<conductor::Topic>,
    host: String,
    driver: Arc<dyn Driver>,
) {
    let host_ip = cfg.my_ip.clone();
    let zone = cfg.default_zone.clone();
    runner.every("agent reports", cfg.report_interval, move || {
        let (conductor, driver, host, host_ip, zone) = (
            conductor.clone(),
            driver.clone(),
            host.clone(),
            host_ip.clone(),
            zone.clone(),
        );
        async move {
            let context = Context::internal();
            let beat = Heartbeat {
                host: host.clone(),
                binary: BINARY.into(),
                availability_zone: zone,
            };
            if let Err(e) = conductor
                .cast::<conductor::Heartbeat>(&context, None, &beat)
                .await
            {
                tracing::warn!(host, "heartbeat not sent: {e}");
            }
            let report = node_report(&host, &host_ip, driver.resources().await);
            if let Err(e) = conductor
                .cast::<conductor::ReportNode>(&context, None, &report)
                .await
            {
                tracing::warn!(host, "resources not reported: {e}");
            }
        }
    });
}
