//! The `linux` data plane, as Neutron's Linux bridge agent wires a host: a
//! bridge `brq<network>` per network, with the network's segment on it (a
//! `vxlan-<id>` device, or the flat network's physical interface), and each
//! port's `tap<port>` device enslaved to it once the device exists (the
//! compute driver makes it; until then the port stays `DOWN`). A VXLAN
//! device floods to the other hosts of its network, as the server names
//! them ([`fdb`]; or to a multicast group without `l2_population`). Networks
//! scheduled here get their DHCP from dnsmasq ([`dhcp`]), routers whose
//! ports are bound here their namespace with NAT ([`router`]).

mod dhcp;
mod fdb;
mod firewall;
mod ip;
mod netns;
mod options;
mod records;
mod router;

use std::collections::{BTreeSet, HashMap};

use anyhow::{bail, Context as _};
use async_trait::async_trait;
use serde_json::{json, Value};

use super::DataPlane;
use crate::rpc::messages::{Device, NetworkInfo, RouterInfo, SecurityGroupList, Tunnels};
use ip::{ip, link, ports_of};
pub use options::{LinuxOptions, LINUX_OPTS};

/// Wires ports onto Linux bridges.
pub struct LinuxBridge {
    opts: LinuxOptions,
    /// Each port's bridge, so the last port leaving takes its bridge along.
    /// One change at a time: bridges are shared between ports.
    bridges: tokio::sync::Mutex<HashMap<String, String>>,
    /// The networks whose bridges this host's agent made, kept across its
    /// restarts.
    records: records::Records,
    /// The vxlan networks wired here, and whether their VXLAN device floods
    /// to the endpoints the server names yet (with `l2_population`).
    flooding: std::sync::Mutex<HashMap<String, bool>>,
    /// How many ports the agent wires (reported in its state).
    devices: std::sync::atomic::AtomicUsize,
    /// The networks' DHCP servers.
    dhcp: dhcp::Dnsmasq,
    /// One DHCP change at a time.
    dhcp_changes: tokio::sync::Mutex<()>,
    /// The routers served here.
    routers: router::Routers,
    /// One router change at a time.
    router_changes: tokio::sync::Mutex<()>,
    /// Security groups on the wire (none without bridge netfilter).
    firewall: Option<firewall::Firewall>,
}

/// `prefix` and the first 11 characters of a server-given id (a UUID: only
/// hex digits and dashes are let through into a device name).
fn device_name(prefix: &str, id: &str) -> anyhow::Result<String> {
    let short = id.get(..11).unwrap_or_default();
    if short.len() != 11 || !short.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        bail!("'{id}' is not an id a device may be named after");
    }
    Ok(format!("{prefix}{short}"))
}

/// The bridge of network `network_id`.
pub fn bridge_name(network_id: &str) -> anyhow::Result<String> {
    device_name("brq", network_id)
}

/// The device of port `port_id` (the compute driver's tap).
pub fn tap_name(port_id: &str) -> anyhow::Result<String> {
    device_name("tap", port_id)
}

impl LinuxBridge {
    /// A data plane wiring with `opts`, keeping its files under `state_path`.
    pub fn new(opts: LinuxOptions, state_path: &std::path::Path) -> Self {
        let firewall = if !opts.enable_security_group {
            tracing::info!(
                "security groups are not enforced ([securitygroup] enable_security_group)"
            );
            None
        } else if firewall::enable() {
            Some(firewall::Firewall::default())
        } else {
            tracing::warn!("no bridge netfilter: security groups are not enforced");
            None
        };
        LinuxBridge {
            opts,
            bridges: Default::default(),
            records: records::Records::new(state_path),
            flooding: Default::default(),
            devices: Default::default(),
            dhcp: dhcp::Dnsmasq::new(state_path),
            dhcp_changes: Default::default(),
            routers: router::Routers::new(state_path),
            router_changes: Default::default(),
            firewall,
        }
    }

    /// Makes the bridge of `device`'s network, with its segment on it (the
    /// segment checked first, so a network this host cannot wire leaves
    /// nothing behind).
    async fn ensure_bridge(&self, device: &Device) -> anyhow::Result<String> {
        let bridge = bridge_name(&device.network_id)?;
        let physical = match device.network_type.as_str() {
            "flat" => Some(
                self.opts
                    .interface_mappings
                    .get(&device.physical_network)
                    .cloned()
                    .with_context(|| {
                        format!(
                            "physical network '{}' has no interface here \
                             ([linux_bridge] physical_interface_mappings)",
                            device.physical_network
                        )
                    })?,
            ),
            "vxlan" | "local" => None,
            other => bail!("network type '{other}' cannot be wired by the linux bridge agent"),
        };
        let segment = match device.network_type.as_str() {
            "vxlan" => {
                let vxlan = self
                    .ensure_vxlan(device.segmentation_id, device.mtu)
                    .await?;
                if self.opts.l2_population {
                    self.flooding_now()
                        .entry(device.network_id.clone())
                        .or_insert(false);
                }
                Some(vxlan)
            }
            _ => physical,
        };
        self.records.add(&device.network_id)?;
        if link(&bridge).await?.is_none() {
            ip(&[
                "link",
                "add",
                &bridge,
                "type",
                "bridge",
                "forward_delay",
                "0",
            ])
            .await?;
        }
        if let Some(segment) = segment {
            ip(&["link", "set", &segment, "master", &bridge, "up"]).await?;
        }
        ip(&["link", "set", &bridge, "up"]).await?;
        Ok(bridge)
    }

    /// Makes `vxlan-<vni>`, tunnelling from `[vxlan] local_ip`.
    async fn ensure_vxlan(&self, vni: i64, mtu: i64) -> anyhow::Result<String> {
        if !self.opts.enable_vxlan {
            bail!("vxlan networks are not wired on this host ([vxlan] enable_vxlan)");
        }
        let Some(local) = self.opts.local_ip else {
            bail!("[vxlan] local_ip is needed to wire vxlan networks");
        };
        if !(1..1 << 24).contains(&vni) {
            bail!("{vni} is not a VXLAN id");
        }
        let name = format!("vxlan-{vni}");
        if let Some(existing) = link(&name).await? {
            let id = existing
                .linkinfo
                .and_then(|i| i.info_data)
                .map(|d| d["id"].clone());
            if id != Some(json!(vni)) {
                bail!("{name} exists and is not VXLAN {vni}");
            }
            return Ok(name);
        }
        let (vni, local, mtu) = (vni.to_string(), local.to_string(), mtu.to_string());
        let mut args = vec![
            "link", "add", &name, "mtu", &mtu, "type", "vxlan", "id", &vni,
        ];
        args.extend(["local", &local]);
        let group = (!self.opts.l2_population)
            .then_some(self.opts.vxlan_group)
            .flatten()
            .map(|g| g.to_string());
        let via = match &group {
            Some(_) => ip::device_with(&local)
                .await?
                .with_context(|| format!("no device holds [vxlan] local_ip {local}"))?,
            None => String::new(),
        };
        if let Some(group) = &group {
            args.extend(["group", group, "dev", &via]);
        }
        let port = self.opts.udp_dstport.map(|p| p.to_string());
        if let Some(port) = &port {
            args.extend(["dstport", port]);
        }
        ip(&args).await?;
        Ok(name)
    }

    fn flooding_now(&self) -> std::sync::MutexGuard<'_, HashMap<String, bool>> {
        self.flooding.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes `bridge` and its VXLAN device away once no port uses it; the
    /// kernel releases what else is on it (a physical interface, a tap).
    /// Devices vanishing meanwhile (a namespace deleted with its veth) are
    /// no error.
    async fn remove_bridge(&self, bridge: &str) -> anyhow::Result<()> {
        self.flooding_now()
            .retain(|network, _| bridge_name(network).is_ok_and(|b| b != bridge));
        for port in ports_of(bridge).await? {
            if port.kind() == "vxlan" {
                gone_or(ip(&["link", "del", &port.ifname]).await, &port.ifname).await?;
            }
        }
        gone_or(ip(&["link", "del", bridge]).await, bridge).await?;
        self.records.remove(bridge)
    }
}

/// `result`, or success when it failed because `device` is gone.
async fn gone_or(result: anyhow::Result<String>, device: &str) -> anyhow::Result<()> {
    match result {
        Err(e) if link(device).await?.is_some() => Err(e),
        _ => Ok(()),
    }
}

#[async_trait]
impl DataPlane for LinuxBridge {
    async fn plug(&self, device: &Device) -> anyhow::Result<bool> {
        let mut bridges = self.bridges.lock().await;
        let tap = tap_name(&device.port_id)?;
        let bridge = self.ensure_bridge(device).await?;
        bridges.insert(device.port_id.clone(), bridge.clone());
        self.devices
            .store(bridges.len(), std::sync::atomic::Ordering::Relaxed);
        if link(&tap).await?.is_none() {
            return Ok(false);
        }
        if device.admin_state_up {
            let mtu = device.mtu.to_string();
            ip(&["link", "set", &tap, "master", &bridge, "mtu", &mtu, "up"]).await?;
        } else {
            ip(&["link", "set", &tap, "nomaster"]).await?;
        }
        Ok(true)
    }

    async fn unplug(&self, port_id: &str) -> anyhow::Result<()> {
        if let Some(firewall) = &self.firewall {
            firewall.forget(port_id);
        }
        let mut bridges = self.bridges.lock().await;
        let tap = tap_name(port_id)?;
        let bridge = bridges.remove(port_id);
        self.devices
            .store(bridges.len(), std::sync::atomic::Ordering::Relaxed);
        if link(&tap).await?.is_some_and(|l| l.master.is_some()) {
            gone_or(ip(&["link", "set", &tap, "nomaster"]).await, &tap).await?;
        }
        match bridge {
            Some(bridge) if !bridges.values().any(|b| *b == bridge) => {
                self.remove_bridge(&bridge).await
            }
            _ => Ok(()),
        }
    }

    fn configurations(&self) -> Value {
        let mut tunnel_types = Vec::new();
        if self.opts.enable_vxlan {
            tunnel_types.push("vxlan");
        }
        json!({
            "driver": "linux",
            "tunnel_types": tunnel_types,
            "tunneling_ip": self.opts.local_ip.map(|a| a.to_string()),
            "l2_population": self.opts.l2_population,
            "interface_mappings": self.opts.interface_mappings,
            "devices": self.devices.load(std::sync::atomic::Ordering::Relaxed),
            "dhcp_driver": "dnsmasq",
            "firewall_driver": self.firewall.as_ref().map(|_| "iptables"),
        })
    }

    async fn sweep(&self) -> anyhow::Result<()> {
        let bridges = self.bridges.lock().await;
        for network in self.records.all() {
            let bridge = bridge_name(&network)?;
            if !bridges.values().any(|b| *b == bridge) {
                tracing::info!(network, "its ports are gone: {bridge} taken away");
                self.remove_bridge(&bridge).await?;
            }
        }
        Ok(())
    }

    fn untunnelled(&self) -> Vec<String> {
        let flooding = self.flooding_now();
        flooding
            .iter()
            .filter(|(_, done)| !**done)
            .map(|(network, _)| network.clone())
            .collect()
    }

    fn tunnels_network(&self, network_id: &str) -> bool {
        self.flooding_now().contains_key(network_id)
    }

    async fn set_tunnels(&self, network_id: &str, tunnels: &Tunnels) -> anyhow::Result<()> {
        // Not while a port's change makes or takes the device away.
        let _bridges = self.bridges.lock().await;
        let device = format!("vxlan-{}", tunnels.segmentation_id);
        if tunnels.network_type != "vxlan"
            || !self.tunnels_network(network_id)
            || link(&device).await?.is_none()
        {
            self.flooding_now().remove(network_id);
            return Ok(());
        }
        let own = self.opts.local_ip;
        let endpoints: BTreeSet<String> = tunnels
            .endpoints
            .iter()
            .filter_map(|e| e.parse::<std::net::IpAddr>().ok())
            .filter(|e| Some(*e) != own)
            .map(|e| e.to_string())
            .collect();
        fdb::flood_to(&device, &endpoints).await?;
        self.flooding_now().insert(network_id.to_string(), true);
        Ok(())
    }

    fn filter(&self, device: &Device) -> bool {
        self.firewall.as_ref().is_some_and(|f| f.track(device))
    }

    fn filtered_groups(&self) -> Option<Vec<String>> {
        self.firewall.as_ref().map(firewall::Firewall::groups)
    }

    async fn apply_filters(&self, groups: &SecurityGroupList) -> anyhow::Result<()> {
        match &self.firewall {
            Some(firewall) => firewall.apply(groups).await,
            None => Ok(()),
        }
    }

    async fn serve_dhcp(&self, info: &NetworkInfo) -> anyhow::Result<()> {
        let _one = self.dhcp_changes.lock().await;
        match info.port.as_ref().filter(|_| info.served) {
            Some(port) => {
                self.dhcp.serve(info).await?;
                // Its device is there now: wired at once, not at the next poll.
                self.plug(port).await?;
                Ok(())
            }
            None => {
                // Its port's devices went with the namespace; its bridge may go.
                if let Some(port) = self.dhcp.stop(&info.network_id).await? {
                    self.unplug(&port).await?;
                }
                Ok(())
            }
        }
    }

    fn dhcp_served(&self) -> Vec<String> {
        self.dhcp.served()
    }

    async fn serve_router(&self, info: &RouterInfo) -> anyhow::Result<()> {
        let _one = self.router_changes.lock().await;
        if info.served && info.admin_state_up {
            self.routers.serve(info).await?;
            // Their devices are there now: wired at once, not at the next poll.
            for port in info.interfaces.iter().chain(info.gateway.iter()) {
                if let Some(device) = &port.port {
                    self.plug(device).await?;
                }
            }
            return Ok(());
        }
        for port in self.routers.stop(&info.router_id).await? {
            self.unplug(&port).await?;
        }
        Ok(())
    }

    fn routers_served(&self) -> Vec<String> {
        self.routers.served()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_after_ids_and_only_ids() {
        let id = "3f2a9c1e-7b6d-4e8f-9a0b-1c2d3e4f5a6b";
        assert_eq!(bridge_name(id).unwrap(), "brq3f2a9c1e-7b");
        assert_eq!(tap_name(id).unwrap(), "tap3f2a9c1e-7b");
        for bad in [
            "",
            "short",
            "../../etc/x-7b6d",
            "3f2a9c1e 7b6d-4e8f",
            "ééééééé-7b6d",
        ] {
            assert!(tap_name(bad).is_err(), "{bad}");
        }
    }
}
