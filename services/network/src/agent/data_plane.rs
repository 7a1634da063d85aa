//! What an agent wires ports with (`[agent] driver`). `noop` wires nothing:
//! ports bind and turn `ACTIVE` as with a real data plane, for clouds that
//! only need the API (tests, CI, a laptop without root).

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::rpc::messages::{Device, NetworkInfo, RouterInfo, SecurityGroupList, Tunnels};

/// Wires and unwires a host's ports.
#[async_trait]
pub trait DataPlane: Send + Sync {
    /// Wires (or rewires) a port bound to this host; idempotent. `false`
    /// when the port's device is not there yet (asked again later).
    async fn plug(&self, device: &Device) -> anyhow::Result<bool>;
    /// Unwires a port that left this host; idempotent.
    async fn unplug(&self, port_id: &str) -> anyhow::Result<()>;
    /// Takes away the bridges this host's agent made whose ports are all
    /// gone (after a full sync: those that went while it was away).
    async fn sweep(&self) -> anyhow::Result<()>;
    /// The networks wired here whose tunnels are to be asked for (the
    /// server names them; none when the host floods to a multicast group).
    fn untunnelled(&self) -> Vec<String>;
    /// Whether network `network_id` is wired here with tunnels.
    fn tunnels_network(&self, network_id: &str) -> bool;
    /// Floods the network's traffic to exactly `tunnels`' endpoints (this
    /// host's own left out).
    async fn set_tunnels(&self, network_id: &str, tunnels: &Tunnels) -> anyhow::Result<()>;
    /// What the agents report about themselves (`configurations`); the
    /// server schedules DHCP only to hosts whose configurations name a
    /// `dhcp_driver`.
    fn configurations(&self) -> Value;
    /// Serves a network's DHCP as `info` says, or stops serving it when it
    /// is not served here (`info.served` false).
    async fn serve_dhcp(&self, info: &NetworkInfo) -> anyhow::Result<()>;
    /// The networks whose DHCP this host serves now (to stop the stale).
    fn dhcp_served(&self) -> Vec<String>;
    /// Serves a router as `info` says, or takes it down when it is not
    /// served here or is administratively down.
    async fn serve_router(&self, info: &RouterInfo) -> anyhow::Result<()>;
    /// The routers this host serves now (to take down the stale).
    fn routers_served(&self) -> Vec<String>;
    /// Filters `device` as its port security says (before it is wired);
    /// true when what is filtered changed.
    fn filter(&self, device: &Device) -> bool;
    /// The security groups of the filtered ports; `None` without a firewall.
    fn filtered_groups(&self) -> Option<Vec<String>>;
    /// Rewrites the filtered ports' filters with `groups`.
    async fn apply_filters(&self, groups: &SecurityGroupList) -> anyhow::Result<()>;
}

/// Wires nothing.
pub struct Noop;

#[async_trait]
impl DataPlane for Noop {
    async fn plug(&self, _: &Device) -> anyhow::Result<bool> {
        Ok(true)
    }

    async fn unplug(&self, _: &str) -> anyhow::Result<()> {
        Ok(())
    }

    async fn sweep(&self) -> anyhow::Result<()> {
        Ok(())
    }

    fn untunnelled(&self) -> Vec<String> {
        Vec::new()
    }

    fn tunnels_network(&self, _: &str) -> bool {
        false
    }

    async fn set_tunnels(&self, _: &str, _: &Tunnels) -> anyhow::Result<()> {
        Ok(())
    }

    fn configurations(&self) -> Value {
        json!({"driver": "noop", "tunnel_types": ["vxlan"], "devices": 0})
    }

    async fn serve_dhcp(&self, _: &NetworkInfo) -> anyhow::Result<()> {
        Ok(())
    }

    fn dhcp_served(&self) -> Vec<String> {
        Vec::new()
    }

    async fn serve_router(&self, _: &RouterInfo) -> anyhow::Result<()> {
        Ok(())
    }

    fn routers_served(&self) -> Vec<String> {
        Vec::new()
    }

    fn filter(&self, _: &Device) -> bool {
        false
    }

    fn filtered_groups(&self) -> Option<Vec<String>> {
        None
    }

    async fn apply_filters(&self, _: &SecurityGroupList) -> anyhow::Result<()> {
        Ok(())
    }
}
