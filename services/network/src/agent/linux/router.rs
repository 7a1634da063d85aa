//! Routers the way Neutron's L3 agent makes them: per router a namespace
//! `qrouter-<router>` forwarding between its interfaces' devices
//! (`qr-<port>`) and its gateway's (`qg-<port>`, which also holds the
//! floating IPs), with the external subnet's gateway as default route, the
//! router's extra routes, and nftables doing SNAT out of the gateway and
//! floating IPs' DNAT/SNAT. Each change rewrites the whole ruleset in one
//! nft transaction; what no longer belongs (interfaces, routes, rules) goes.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use ipnet::IpNet;

use super::ip::ip;
use super::netns;
use crate::rpc::messages::{RouterInfo, RouterPort};

/// The routers of one agent.
pub struct Routers {
    /// `<state_path>/l3`: a file per router served (its ports' ids).
    dir: PathBuf,
}

/// The namespace of router `router_id`.
pub fn namespace(router_id: &str) -> anyhow::Result<String> {
    netns::named("qrouter", router_id)
}

/// A port's devices: its tap outside and `prefix`-named device inside.
fn device_names(port: &RouterPort, prefix: &str) -> anyhow::Result<(String, String)> {
    let device = port.port.as_ref().context("a router port has a device")?;
    let tap = super::tap_name(&device.port_id)?;
    let inner = format!("{prefix}{}", &tap[3..]);
    Ok((tap, inner))
}

/// The address of a router port's first IPv4 address (`10.0.0.1/24`).
fn first_v4(port: &RouterPort) -> Option<std::net::Ipv4Addr> {
    port.addresses
        .iter()
        .filter_map(|a| a.parse::<IpNet>().ok())
        .find_map(|n| match n.addr() {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
}

/// The router's nftables ruleset (IPv4 NAT); every address in it is
/// re-rendered from a parsed value, so nothing else gets into it.
fn ruleset(info: &RouterInfo, gateway_device: Option<&str>) -> anyhow::Result<String> {
    let mut pre = Vec::new();
    let mut post = Vec::new();
    if let (Some(gw), Some(qg)) = (&info.gateway, gateway_device) {
        for nat in &info.floating_ips {
            let floating: std::net::Ipv4Addr = nat.floating_ip.parse()?;
            let fixed: std::net::Ipv4Addr = nat.fixed_ip.parse()?;
            pre.push(format!("ip daddr {floating} dnat to {fixed}"));
            post.push(format!(
                "ip saddr {fixed} oifname \"{qg}\" snat to {floating}"
            ));
        }
        if info.enable_snat {
            if let Some(address) = first_v4(gw) {
                post.push(format!("oifname \"{qg}\" snat to {address}"));
            }
        }
    }
    let chain = |name: &str, hook: &str, priority: &str, rules: &[String]| {
        let mut text = format!(
            "  chain {name} {{\n    type nat hook {hook} priority {priority}; policy accept;\n"
        );
        for rule in rules {
            text.push_str(&format!("    {rule}\n"));
        }
        text.push_str("  }\n");
        text
    };
    Ok(format!(
        "flush ruleset\ntable ip neutron-l3 {{\n{}{}}}\n",
        chain("prerouting", "prerouting", "dstnat", &pre),
        chain("postrouting", "postrouting", "srcnat", &post)
    ))
}

impl Routers {
    /// The routers under `state_path`.
    pub fn new(state_path: &Path) -> Self {
        Routers {
            dir: state_path.join("l3"),
        }
    }

    /// The routers this agent serves (those with a file).
    pub fn served(&self) -> Vec<String> {
        netns::served(&self.dir)
    }

    /// Makes (or brings up to date) the router's namespace, devices,
    /// routes and NAT.
    pub async fn serve(&self, info: &RouterInfo) -> anyhow::Result<()> {
        let ns = namespace(&info.router_id)?;
        netns::ensure(&ns).await?;
        netns::exec(&ns, "sysctl", &["-qw", "net.ipv4.ip_forward=1"], "").await?;
        let mut wanted = Vec::new();
        let mut ports = Vec::new();
        for port in &info.interfaces {
            let (tap, inner) = device_names(port, "qr-")?;
            let device = port.port.as_ref().context("a router port has a device")?;
            netns::veth_into(
                &ns,
                &tap,
                &inner,
                &device.mac_address,
                device.mtu,
                &port.addresses,
            )
            .await?;
            wanted.push(inner);
            ports.push(device.port_id.clone());
        }
        let mut gateway_device = None;
        if let Some(gw) = &info.gateway {
            let (tap, inner) = device_names(gw, "qg-")?;
            let device = gw.port.as_ref().context("a router port has a device")?;
            let mut addresses = gw.addresses.clone();
            for nat in &info.floating_ips {
                let floating: std::net::Ipv4Addr = nat.floating_ip.parse()?;
                addresses.push(format!("{floating}/32"));
            }
            netns::veth_into(
                &ns,
                &tap,
                &inner,
                &device.mac_address,
                device.mtu,
                &addresses,
            )
            .await?;
            gateway_device = Some(inner.clone());
            wanted.push(inner);
            ports.push(device.port_id.clone());
        }
        for stale in netns::devices(&ns).await? {
            if (stale.starts_with("qr-") || stale.starts_with("qg-")) && !wanted.contains(&stale) {
                ip(&["-n", &ns, "link", "del", &stale]).await?;
            }
        }
        self.route(&ns, info, gateway_device.as_deref()).await?;
        netns::exec(
            &ns,
            "nft",
            &["-f", "-"],
            &ruleset(info, gateway_device.as_deref())?,
        )
        .await?;
        tokio::fs::create_dir_all(&self.dir).await?;
        tokio::fs::write(self.dir.join(&info.router_id), ports.join("\n")).await?;
        Ok(())
    }

    /// The default route through the external gateway and the router's
    /// extra routes, replacing those it had.
    async fn route(&self, ns: &str, info: &RouterInfo, qg: Option<&str>) -> anyhow::Result<()> {
        ip(&["-n", ns, "route", "flush", "proto", "static"]).await?;
        if let (Some(gw), Some(qg)) = (&info.gateway, qg) {
            if let Ok(IpAddr::V4(via)) = gw.gateway_ip.parse::<IpAddr>() {
                let via = via.to_string();
                ip(&[
                    "-n", ns, "route", "replace", "default", "via", &via, "dev", qg, "proto",
                    "static",
                ])
                .await?;
            }
        }
        for route in &info.routes {
            let destination: IpNet = route.destination.parse()?;
            let nexthop: IpAddr = route.nexthop.parse()?;
            let (destination, nexthop) = (destination.to_string(), nexthop.to_string());
            ip(&[
                "-n",
                ns,
                "route",
                "replace",
                &destination,
                "via",
                &nexthop,
                "proto",
                "static",
            ])
            .await?;
        }
        Ok(())
    }

    /// Takes router `router_id` down: its namespace (with its devices) and
    /// its file go. Returns the ports it had (to unwire).
    pub async fn stop(&self, router_id: &str) -> anyhow::Result<Vec<String>> {
        let ns = namespace(router_id)?;
        let file = self.dir.join(router_id);
        let ports = tokio::fs::read_to_string(&file)
            .await
            .map(|t| t.lines().map(String::from).collect())
            .unwrap_or_default();
        netns::delete(&ns).await?;
        match tokio::fs::remove_file(&file).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(ports),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::messages::{Device, FloatingNat};

    fn port(id: &str, address: &str) -> RouterPort {
        RouterPort {
            port: Some(Device {
                port_id: id.into(),
                ..Device::default()
            }),
            addresses: vec![address.into()],
            gateway_ip: "172.24.4.1".into(),
        }
    }

    #[test]
    fn the_ruleset_snats_out_of_the_gateway_and_maps_floating_ips() {
        let info = RouterInfo {
            served: true,
            enable_snat: true,
            gateway: Some(port(
                "3f2a9c1e-7b6d-4e8f-9a0b-1c2d3e4f5a6b",
                "172.24.4.5/24",
            )),
            floating_ips: vec![FloatingNat {
                floating_ip: "172.24.4.10".into(),
                fixed_ip: "10.0.0.5".into(),
                id: "f1".into(),
            }],
            ..RouterInfo::default()
        };
        let text = ruleset(&info, Some("qg-3f2a9c1e-7b")).unwrap();
        assert!(text.starts_with("flush ruleset\ntable ip neutron-l3 {\n"));
        assert!(text.contains("    ip daddr 172.24.4.10 dnat to 10.0.0.5\n"));
        let fip = text
            .find("ip saddr 10.0.0.5 oifname \"qg-3f2a9c1e-7b\" snat to 172.24.4.10")
            .unwrap();
        let snat = text
            .find("oifname \"qg-3f2a9c1e-7b\" snat to 172.24.4.5\n")
            .unwrap();
        assert!(fip < snat, "a floating IP's SNAT comes before the router's");
        let without = ruleset(
            &RouterInfo {
                enable_snat: false,
                ..info.clone()
            },
            Some("qg-x"),
        )
        .unwrap();
        assert!(!without.contains("snat to 172.24.4.5"));
    }

    #[test]
    fn hostile_addresses_never_reach_the_ruleset() {
        let info = RouterInfo {
            gateway: Some(port(
                "3f2a9c1e-7b6d-4e8f-9a0b-1c2d3e4f5a6b",
                "172.24.4.5/24",
            )),
            floating_ips: vec![FloatingNat {
                floating_ip: "172.24.4.10; flush ruleset".into(),
                fixed_ip: "10.0.0.5".into(),
                id: "f1".into(),
            }],
            ..RouterInfo::default()
        };
        assert!(ruleset(&info, Some("qg-x")).is_err());
        assert!(namespace("../../x").is_err());
    }
}
