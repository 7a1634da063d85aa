//! The server role's RPC endpoints: agents' state reports, and the calls
//! with which agents sync their ports, report them wired and learn the
//! networks whose DHCP and the routers they serve, the security groups
//! their firewalls apply and the tunnels their networks flood to.

use std::sync::Arc;

use ferrostack_rpc::{RemoteError, Router, Runner, Transport};

use crate::domain::{Neutron, NeutronError};
use crate::rpc::server;

fn remote(e: NeutronError) -> RemoteError {
    RemoteError {
        kind: e.kind.to_string(),
        message: e.message,
    }
}

/// Serves the agents' topics on `transport` for as long as `runner` runs.
pub async fn start(
    neutron: Arc<Neutron>,
    transport: &Arc<dyn Transport>,
    runner: &mut Runner,
) -> anyhow::Result<()> {
    let host = neutron.cfg.service.host.clone();
    let reports = Router::<server::Reports, Neutron>::new(neutron.clone())
        .route::<server::ReportState, _, _>(|neutron, _, state| async move {
            neutron.record_agent_state(state).await.map_err(remote)
        });
    let plugin = Router::<server::Plugin, Neutron>::new(neutron)
        .route::<server::GetDevices, _, _>(|neutron, _, asked| async move {
            neutron.devices_of_host(&asked.host).await.map_err(remote)
        })
        .route::<server::UpdateDevice, _, _>(|neutron, _, status| async move {
            neutron
                .device_status(&status.port_id, &status.host, status.up)
                .await
                .map_err(remote)
        })
        .route::<server::GetDhcpNetworks, _, _>(|neutron, _, asked| async move {
            neutron.dhcp_networks(&asked.host).await.map_err(remote)
        })
        .route::<server::GetNetworkInfo, _, _>(|neutron, _, asked| async move {
            neutron
                .network_info(&asked.network_id, &asked.host)
                .await
                .map_err(remote)
        })
        .route::<server::GetRouters, _, _>(|neutron, _, asked| async move {
            neutron.routers_of_host(&asked.host).await.map_err(remote)
        })
        .route::<server::GetRouter, _, _>(|neutron, _, asked| async move {
            neutron
                .router_info(&asked.router_id, &asked.host)
                .await
                .map_err(remote)
        })
        .route::<server::UpdateFloatingIps, _, _>(|neutron, _, statuses| async move {
            neutron
                .floating_ip_statuses(&statuses.router_id, &statuses.statuses)
                .await
                .map_err(remote)
        })
        .route::<server::GetSecurityGroups, _, _>(|neutron, _, asked| async move {
            neutron
                .security_groups_info(&asked.group_ids)
                .await
                .map_err(remote)
        })
        .route::<server::GetTunnels, _, _>(|neutron, _, asked| async move {
            neutron
                .tunnels(&asked.network_id, &asked.host)
                .await
                .map_err(remote)
        });
    runner.serve(reports.serve(transport, &host).await?);
    runner.serve(plugin.serve(transport, &host).await?);
    Ok(())
}
