//! DHCP the way Neutron's dnsmasq driver serves it: per network a namespace
//! `qdhcp-<network>` holding the DHCP port's device (`ns-<port>`, whose veth
//! peer `tap<port>` sits on the network's bridge) and a dnsmasq bound to it,
//! handing each port its own address only (static ranges, hosts by MAC)
//! with the subnets' gateway, DNS servers and host routes, all on its
//! command line: dnsmasq runs as `nobody`, which cannot read files in the
//! private state directory (`<state_path>/dhcp/<network>/` keeps its pid
//! and arguments). A change restarts it with its new arguments. IPv4 only.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use ipnet::IpNet;

use super::netns;
use crate::rpc::messages::{DhcpSubnet, NetworkInfo};

/// The dnsmasqs of one agent.
pub struct Dnsmasq {
    /// `<state_path>/dhcp`: a directory per network served.
    dir: PathBuf,
}

/// The namespace of network `network_id`'s DHCP.
pub fn namespace(network_id: &str) -> anyhow::Result<String> {
    netns::named("qdhcp", network_id)
}

/// The `--dhcp-range` of an IPv4 subnet: static (only the hosts'
/// addresses are handed out), tagged with the subnet.
fn range(subnet: &DhcpSubnet) -> anyhow::Result<Option<String>> {
    let cidr: IpNet = subnet.cidr.parse()?;
    let IpNet::V4(v4) = cidr else {
        return Ok(None);
    };
    Ok(Some(format!(
        "set:subnet-{},{},static,{},86400s",
        subnet.id,
        v4.network(),
        v4.netmask()
    )))
}

/// The `--dhcp-host` entries, one per line: `MAC,name.domain.,address` per
/// IPv4 address. Only MACs and DNS-safe names get in (a hostile name could
/// add entries, tags or options).
fn dhcp_hosts(info: &NetworkInfo) -> String {
    let dns_safe = |text: &str| {
        !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
    };
    let mac = |text: &str| {
        let bytes: Vec<&str> = text.split(':').collect();
        bytes.len() == 6
            && bytes
                .iter()
                .all(|b| b.len() == 2 && u8::from_str_radix(b, 16).is_ok())
    };
    let mut text = String::new();
    for host in &info.hosts {
        let Ok(IpAddr::V4(address)) = host.ip_address.parse::<IpAddr>() else {
            continue;
        };
        if !mac(&host.mac_address) {
            continue;
        }
        let name = if dns_safe(&host.hostname) && dns_safe(&info.dns_domain) {
            format!("{}.{}.", host.hostname, info.dns_domain)
        } else {
            format!("host-{}", address.to_string().replace('.', "-"))
        };
        text.push_str(&format!("{},{name},{address}\n", host.mac_address));
    }
    text
}

/// The `--dhcp-option` entries, one per line: each IPv4 subnet's router,
/// DNS servers, routes and the network's MTU (what VXLAN guests need to
/// fit in their tunnel). Addresses are re-rendered from parsed values.
fn dhcp_options(info: &NetworkInfo) -> String {
    let mtu = info.port.as_ref().map_or(0, |p| p.mtu);
    let mut text = String::new();
    for subnet in info.subnets.iter().filter(|s| s.ip_version == 4) {
        let tag = format!("tag:subnet-{}", subnet.id);
        let gateway = subnet.gateway_ip.parse::<std::net::Ipv4Addr>().ok();
        let router = gateway.map(|g| g.to_string()).unwrap_or_default();
        text.push_str(&format!("{tag},option:router,{router}\n"));
        let servers: Vec<String> = subnet
            .dns_nameservers
            .iter()
            .filter_map(|a| a.parse::<std::net::Ipv4Addr>().ok())
            .map(|a| a.to_string())
            .collect();
        if !servers.is_empty() {
            text.push_str(&format!("{tag},option:dns-server,{}\n", servers.join(",")));
        }
        let mut routes: Vec<String> = subnet
            .host_routes
            .iter()
            .filter_map(|r| {
                let destination: ipnet::Ipv4Net = r.destination.parse().ok()?;
                let nexthop: std::net::Ipv4Addr = r.nexthop.parse().ok()?;
                Some(format!("{destination},{nexthop}"))
            })
            .collect();
        if !routes.is_empty() {
            if let Some(gateway) = gateway {
                routes.push(format!("0.0.0.0/0,{gateway}"));
            }
            text.push_str(&format!(
                "{tag},option:classless-static-route,{}\n",
                routes.join(",")
            ));
        }
        if mtu > 0 {
            text.push_str(&format!("{tag},option:mtu,{mtu}\n"));
        }
    }
    text
}

/// dnsmasq's pid in `pid_file` while that process is the one serving
/// `dir` (a pid taken over by another process is not it).
fn running(pid_file: &Path, dir: &Path) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(pid_file)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let needle = dir.to_string_lossy();
    String::from_utf8_lossy(&cmdline)
        .contains(needle.as_ref())
        .then_some(pid)
}

/// Stops dnsmasq `pid` (serving `dir`) and waits for it to be gone (its
/// socket free for the next one), 5 s at most.
async fn stop_process(pid: i32, dir: &Path) -> anyhow::Result<()> {
    // SAFETY: kill(2) on a pid read back from its own /proc entry.
    if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
        bail!("dnsmasq {pid}: {}", std::io::Error::last_os_error());
    }
    for _ in 0..100 {
        if running(&dir.join("pid"), dir).is_none() {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    bail!("dnsmasq {pid} does not stop")
}

impl Dnsmasq {
    /// The dnsmasqs under `state_path`.
    pub fn new(state_path: &Path) -> Self {
        Dnsmasq {
            dir: state_path.join("dhcp"),
        }
    }

    /// The networks this agent serves DHCP for (those with a directory).
    pub fn served(&self) -> Vec<String> {
        netns::served(&self.dir)
    }

    /// Makes the namespace and the DHCP port's device in it, then starts
    /// (or updates) dnsmasq.
    pub async fn serve(&self, info: &NetworkInfo) -> anyhow::Result<()> {
        let port = info
            .port
            .as_ref()
            .context("a served network has a DHCP port")?;
        let ns = namespace(&info.network_id)?;
        let tap = super::tap_name(&port.port_id)?;
        let inner = format!("ns-{}", &tap[3..]);
        let mut addresses = Vec::new();
        for address in &port.fixed_ips {
            let address: IpAddr = address.parse()?;
            if let Some(subnet) = info
                .subnets
                .iter()
                .filter_map(|s| s.cidr.parse::<IpNet>().ok())
                .find(|c| c.contains(&address))
            {
                addresses.push(format!("{address}/{}", subnet.prefix_len()));
            }
        }
        netns::ensure(&ns).await?;
        netns::veth_into(&ns, &tap, &inner, &port.mac_address, port.mtu, &addresses).await?;
        self.run(info, &ns, &inner).await?;
        tokio::fs::write(self.dir.join(&info.network_id).join("port"), &port.port_id).await?;
        Ok(())
    }

    /// Writes the network's files and starts dnsmasq, or signals the one
    /// running (restarting it when its arguments changed).
    async fn run(&self, info: &NetworkInfo, ns: &str, inner: &str) -> anyhow::Result<()> {
        let dir = self.dir.join(&info.network_id);
        tokio::fs::create_dir_all(&dir).await?;
        let pid = dir.join("pid");
        let mut args = vec![
            "netns".to_string(),
            "exec".into(),
            ns.into(),
            "dnsmasq".into(),
            "--conf-file=/dev/null".into(),
            "--no-hosts".into(),
            "--no-resolv".into(),
            "--port=0".into(),
            "--bind-interfaces".into(),
            format!("--interface={inner}"),
            "--except-interface=lo".into(),
            format!("--pid-file={}", pid.display()),
            "--leasefile-ro".into(),
            "--dhcp-authoritative".into(),
            format!("--domain={}", info.dns_domain),
        ];
        for subnet in &info.subnets {
            if let Some(range) = range(subnet)? {
                args.push(format!("--dhcp-range={range}"));
            }
        }
        args.extend(dhcp_hosts(info).lines().map(|l| format!("--dhcp-host={l}")));
        args.extend(
            dhcp_options(info)
                .lines()
                .map(|l| format!("--dhcp-option={l}")),
        );
        let args_file = dir.join("args");
        let wanted = args.join("\n");
        let same = tokio::fs::read_to_string(&args_file).await.ok() == Some(wanted.clone());
        let current = running(&pid, &dir);
        if same && current.is_some() {
            return Ok(());
        }
        tokio::fs::write(&args_file, &wanted).await?;
        if let Some(pid) = current {
            stop_process(pid, &dir).await?;
        }
        let out = tokio::process::Command::new("ip")
            .args(&args)
            .kill_on_drop(true)
            .output()
            .await
            .context("dnsmasq cannot run")?;
        if !out.status.success() {
            bail!("dnsmasq: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(())
    }

    /// Stops serving network `network_id`: dnsmasq, the files, and last the
    /// namespace (with the DHCP port's devices), so that a namespace gone
    /// means everything is. Returns the DHCP port it had.
    pub async fn stop(&self, network_id: &str) -> anyhow::Result<Option<String>> {
        let ns = namespace(network_id)?;
        let dir = self.dir.join(network_id);
        let port = tokio::fs::read_to_string(dir.join("port")).await.ok();
        if let Some(pid) = running(&dir.join("pid"), &dir) {
            stop_process(pid, &dir).await?;
        }
        match tokio::fs::remove_dir_all(&dir).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        netns::delete(&ns).await?;
        Ok(port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::messages::{DhcpHost, HostRoute};

    fn info() -> NetworkInfo {
        NetworkInfo {
            served: true,
            network_id: "3f2a9c1e-7b6d-4e8f-9a0b-1c2d3e4f5a6b".into(),
            port: Some(crate::rpc::messages::Device {
                mtu: 1450,
                ..Default::default()
            }),
            subnets: vec![
                DhcpSubnet {
                    id: "s4".into(),
                    cidr: "10.0.0.0/24".into(),
                    gateway_ip: "10.0.0.1".into(),
                    ip_version: 4,
                    dns_nameservers: vec!["192.0.2.53".into()],
                    host_routes: vec![HostRoute {
                        destination: "192.168.0.0/16".into(),
                        nexthop: "10.0.0.254".into(),
                    }],
                },
                DhcpSubnet {
                    id: "s6".into(),
                    cidr: "2001:db8::/64".into(),
                    ip_version: 6,
                    ..DhcpSubnet::default()
                },
            ],
            hosts: vec![
                DhcpHost {
                    mac_address: "fa:16:3e:00:00:01".into(),
                    ip_address: "10.0.0.5".into(),
                    hostname: "host-10-0-0-5".into(),
                    subnet_id: "s4".into(),
                },
                DhcpHost {
                    mac_address: "fa:16:3e:00:00:01".into(),
                    ip_address: "2001:db8::5".into(),
                    hostname: "host-2001-db8--5".into(),
                    subnet_id: "s6".into(),
                },
            ],
            dns_domain: "openstacklocal".into(),
        }
    }

    #[test]
    fn entries_say_what_dnsmasq_hands_out() {
        let info = info();
        assert_eq!(
            dhcp_hosts(&info),
            "fa:16:3e:00:00:01,host-10-0-0-5.openstacklocal.,10.0.0.5\n"
        );
        assert_eq!(
            dhcp_options(&info),
            "tag:subnet-s4,option:router,10.0.0.1\n\
             tag:subnet-s4,option:dns-server,192.0.2.53\n\
             tag:subnet-s4,option:classless-static-route,192.168.0.0/16,10.0.0.254,0.0.0.0/0,10.0.0.1\n\
             tag:subnet-s4,option:mtu,1450\n"
        );
        assert_eq!(
            range(&info.subnets[0]).unwrap().as_deref(),
            Some("set:subnet-s4,10.0.0.0,static,255.255.255.0,86400s")
        );
        assert_eq!(range(&info.subnets[1]).unwrap(), None);
    }

    #[test]
    fn hostile_names_never_reach_the_host_entries() {
        let mut info = info();
        info.hosts[0].hostname = "x,10.0.0.9\nfa:16:3e:00:00:02,evil".into();
        info.hosts[1].mac_address = "fa:16:3e:00:00:03,set:known".into();
        info.hosts[1].ip_address = "10.0.0.6".into();
        info.subnets[0].dns_nameservers = vec!["192.0.2.53\n--dhcp-option=evil".into()];
        assert_eq!(
            dhcp_hosts(&info),
            "fa:16:3e:00:00:01,host-10-0-0-5,10.0.0.5\n"
        );
        let hostname = NetworkInfo {
            hosts: vec![DhcpHost {
                hostname: "tag:x".into(),
                ..info.hosts[0].clone()
            }],
            ..info.clone()
        };
        assert_eq!(
            dhcp_hosts(&hostname),
            "fa:16:3e:00:00:01,host-10-0-0-5,10.0.0.5\n"
        );
        assert!(!dhcp_options(&info).contains("evil"));
    }

    #[test]
    fn namespaces_are_named_after_network_ids_only() {
        assert_eq!(
            namespace("3f2a9c1e-7b6d-4e8f-9a0b-1c2d3e4f5a6b").unwrap(),
            "qdhcp-3f2a9c1e-7b6d-4e8f-9a0b-1c2d3e4f5a6b"
        );
        assert!(namespace("../../../../etc/passwd-aaaaaaaaaaaaaaaaaaaa").is_err());
    }
}
