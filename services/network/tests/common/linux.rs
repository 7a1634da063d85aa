//! The `linux` data plane's test fixtures: `ip` and device lookups, guests
//! as namespaces, a cloud whose agent wires for real, and guards that clean
//! up what a failed test leaves.
//!
//! The guests' commands block: tests using them run on a multi-threaded
//! runtime, so the in-process server and agent go on meanwhile.

use std::process::Command;

use ferrostack_identity::testing::Persona;
use serde_json::{json, Value};

use super::Cloud;

/// A cloud whose agent (host `linux-a`) wires with the `linux` data plane,
/// tunnelling from 127.0.0.1, also configured by `configure`. Its VXLAN ids
/// are its own (clouds of tests running at once share the host's devices).
pub async fn linux_cloud(configure: impl FnOnce(&mut ferrostack_config::Config)) -> Cloud {
    use ferrostack_network::Role;
    linux_cloud_of(&[Role::Server, Role::Agent], configure).await
}

/// [`linux_cloud`] with `roles` only (the server alone: its agents run on
/// [`Host`]s).
pub async fn linux_cloud_of(
    roles: &[ferrostack_network::Role],
    configure: impl FnOnce(&mut ferrostack_config::Config),
) -> Cloud {
    let first = 1000 + uuid::Uuid::new_v4().as_u128() % 1_000_000 * 10;
    Cloud::with_roles(roles, |config| {
        config.set(
            "ml2_type_vxlan",
            "vni_ranges",
            format!("{first}:{}", first + 9),
        );
        config.set("DEFAULT", "host", "linux-a");
        config.set("agent", "report_interval", "1");
        config.set("agent", "polling_interval", "1");
        config.set("agent", "driver", "linux");
        config.set("vxlan", "local_ip", "127.0.0.1");
        // No multicast group: on one host it loops floods back into the
        // bridge, which then learns guests' MACs behind the tunnel.
        config.set("vxlan", "vxlan_group", "");
        configure(config);
    })
    .await
}

/// Runs `ip ARGS`, its output when it succeeds.
pub fn ip(args: &[&str]) -> Result<String, String> {
    let out = Command::new("ip").args(args).output().expect("ip runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Device `name` as iproute2 describes it (`None` when absent).
pub fn link(name: &str) -> Option<Value> {
    let text = ip(&["-j", "-d", "link", "show", "dev", name]).ok()?;
    serde_json::from_str::<Value>(&text).ok()?.get(0).cloned()
}

/// A namespace standing for a guest: its `eth0` has the port's MAC and
/// address, its peer outside is the port's `tap` (as a compute driver makes
/// it). Dropped, the namespace goes with both ends.
pub struct Guest {
    pub netns: String,
}

impl Guest {
    /// A guest with its port's address set.
    pub fn boot(port: &Value) -> Guest {
        let guest = Guest::bare(port);
        let address = format!(
            "{}/24",
            port["fixed_ips"][0]["ip_address"].as_str().unwrap()
        );
        ip(&["-n", &guest.netns, "addr", "add", &address, "dev", "eth0"]).unwrap();
        guest
    }

    /// A guest with its port's address set, its tap on `host`.
    pub fn boot_on(port: &Value, host: &Host) -> Guest {
        let guest = Guest::boot(port);
        host.take_tap(port);
        guest
    }

    /// A guest with no address yet, its tap on `host`.
    pub fn bare_on(port: &Value, host: &Host) -> Guest {
        let guest = Guest::bare(port);
        host.take_tap(port);
        guest
    }

    /// A guest whose `eth0` has no address yet.
    pub fn bare(port: &Value) -> Guest {
        let id = port["id"].as_str().unwrap();
        let netns = format!("fs-guest-{}", &id[..8]);
        let tap = format!("tap{}", &id[..11]);
        let mac = port["mac_address"].as_str().unwrap();
        ip(&["netns", "add", &netns]).unwrap();
        let guest = Guest { netns };
        let ns = guest.netns.as_str();
        ip(&[
            "link", "add", &tap, "type", "veth", "peer", "name", "eth0", "netns", ns,
        ])
        .unwrap();
        ip(&["-n", ns, "link", "set", "eth0", "address", mac, "up"]).unwrap();
        ip(&["-n", ns, "link", "set", "lo", "up"]).unwrap();
        guest
    }

    /// Sends what is not on its subnet to `gateway`.
    pub fn route_via(&self, gateway: &str) {
        ip(&["-n", &self.netns, "route", "add", "default", "via", gateway]).unwrap();
    }

    /// Whether `address` answers a ping within `seconds` (one ping a second).
    pub fn pings_within(&self, address: &str, seconds: u32) -> bool {
        (0..seconds).any(|_| self.pings(address))
    }

    /// Whether `address` answers one ping from this guest (2 s at most).
    pub fn pings(&self, address: &str) -> bool {
        Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.netns,
                "ping",
                "-c",
                "1",
                "-W",
                "2",
                address,
            ])
            .output()
            .expect("ping runs")
            .status
            .success()
    }

    /// The address DHCP offers this guest (busybox's udhcpc, 5 tries).
    pub fn lease(&self) -> Option<String> {
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.netns,
                "busybox",
                "udhcpc",
                "-i",
                "eth0",
            ])
            .args(["-n", "-q", "-f", "-t", "5", "-T", "1", "-s", "/bin/true"])
            .output()
            .expect("udhcpc runs");
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        let after = text.split("lease of ").nth(1)?;
        Some(after.split_whitespace().next()?.to_string())
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.netns]);
    }
}

/// Devices a failed test would leave behind, deleted when dropped.
pub struct Leftovers(pub Vec<String>);

impl Drop for Leftovers {
    fn drop(&mut self) {
        for name in &self.0 {
            // A bridge's VXLAN device goes with it.
            let ports = ip(&["-j", "-d", "link", "show", "master", name]).unwrap_or_default();
            let ports: Vec<Value> = serde_json::from_str(&ports).unwrap_or_default();
            for port in ports {
                if port["linkinfo"]["info_kind"] == "vxlan" {
                    let _ = ip(&["link", "del", port["ifname"].as_str().unwrap_or_default()]);
                }
            }
            let _ = ip(&["link", "del", name]);
        }
    }
}

/// Device `name` once `done` holds of it (10 s at most).
pub async fn until_link(name: &str, done: impl Fn(Option<&Value>) -> bool) -> Option<Value> {
    for _ in 0..100 {
        let found = link(name);
        if done(found.as_ref()) {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{name} never got there: {:?}", link(name));
}

/// Whether namespace `name` is gone within 10 s.
pub async fn namespace_goes(name: &str) -> bool {
    for _ in 0..100 {
        if !ip(&["netns", "list"]).unwrap().contains(name) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// A subnet without DHCP (no DHCP port holds the bridge).
pub async fn l2_only_subnet(cloud: &Cloud, admin: &Persona, net: &str, cidr: &str) {
    cloud
        .create(
            "subnets",
            "subnet",
            admin,
            json!({"network_id": net, "ip_version": 4, "cidr": cidr, "enable_dhcp": false}),
        )
        .await;
}

pub async fn bound_port(cloud: &Cloud, admin: &Persona, net: &str) -> Value {
    cloud
        .create(
            "ports",
            "port",
            admin,
            json!({"network_id": net, "binding:host_id": "linux-a"}),
        )
        .await
}

/// A failed test's DHCP: its dnsmasq is stopped and its namespace deleted.
pub struct Dhcp(pub String, pub std::path::PathBuf);

impl Drop for Dhcp {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.1.join("pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
        let _ = ip(&["netns", "del", &self.0]);
    }
}

/// Another host: a namespace joined to this one by a veth "underlay"
/// (`address` there, `peer` here), where an agent wires ports as host
/// `name`. The agent runs on a thread of its own inside the namespace, so
/// the devices and processes it makes are the namespace's; it shares the
/// cloud's in-process bus. Dropped, the agent stops and the namespace goes
/// with what it holds.
pub struct Host {
    pub netns: String,
    pub address: String,
    underlay: String,
    stop: tokio_util::sync::CancellationToken,
    agent: Option<std::thread::JoinHandle<()>>,
}

impl Host {
    /// Namespace `netns` at `address`/24, this host at `peer` on the same
    /// /24 (an address the cloud's agent tunnels from).
    pub fn underlay(netns: &str, address: &str, peer: &str) -> Host {
        let underlay = format!("ful{}", &netns[netns.len().saturating_sub(8)..]);
        let _ = ip(&["netns", "del", netns]);
        let _ = ip(&["link", "del", &underlay]);
        ip(&["netns", "add", netns]).unwrap();
        ip(&[
            "link", "add", &underlay, "type", "veth", "peer", "name", "eth0", "netns", netns,
        ])
        .unwrap();
        ip(&["addr", "add", &format!("{peer}/24"), "dev", &underlay]).unwrap();
        ip(&["link", "set", &underlay, "up"]).unwrap();
        let cidr = format!("{address}/24");
        let steps: [&[&str]; 3] = [
            &["-n", netns, "addr", "add", &cidr, "dev", "eth0"],
            &["-n", netns, "link", "set", "eth0", "up"],
            &["-n", netns, "link", "set", "lo", "up"],
        ];
        for args in steps {
            ip(args).unwrap();
        }
        Host {
            netns: netns.to_string(),
            address: address.to_string(),
            underlay,
            stop: Default::default(),
            agent: None,
        }
    }

    /// Starts the agent of host `name` there, configured as `cloud`'s but
    /// tunnelling from the namespace's address, with a state directory of
    /// its own.
    pub fn start_agent(&mut self, cloud: &Cloud, name: &str) {
        let mut config = cloud.env.config.clone();
        let state = cloud.env.dir.join(name);
        config.set("DEFAULT", "host", name);
        config.set("DEFAULT", "state_path", state.display().to_string());
        config.set("vxlan", "local_ip", &self.address);
        let (netns, stop) = (self.netns.clone(), self.stop.clone());
        self.agent = Some(std::thread::spawn(move || {
            use std::os::fd::AsRawFd;
            let namespace = std::fs::File::open(format!("/run/netns/{netns}")).unwrap();
            // SAFETY: a valid descriptor of a network namespace; the
            // namespace changes for this thread alone.
            let entered = unsafe { libc::setns(namespace.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(entered, 0, "setns: {}", std::io::Error::last_os_error());
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let roles = [ferrostack_network::Role::Agent];
                let running = ferrostack_network::start(&config, &roles, stop.clone())
                    .await
                    .expect("the agent starts");
                stop.cancelled().await;
                drop(running);
            });
        }));
    }

    /// Stops the agent (as if killed: what it made stays).
    pub fn stop_agent(&mut self) {
        self.stop.cancel();
        if let Some(agent) = self.agent.take() {
            agent.join().expect("the agent's thread ends");
        }
        self.stop = Default::default();
    }

    /// Moves `port`'s tap here (as a compute driver on this host makes it).
    fn take_tap(&self, port: &Value) {
        let tap = format!("tap{}", &port["id"].as_str().unwrap()[..11]);
        ip(&["link", "set", &tap, "netns", &self.netns]).unwrap();
    }

    /// `ip ARGS` in the namespace.
    pub fn ip(&self, args: &[&str]) -> Result<String, String> {
        let mut all = vec!["-n", self.netns.as_str()];
        all.extend_from_slice(args);
        ip(&all)
    }

    /// Device `name` there, as [`link`] reads it here.
    pub fn link(&self, name: &str) -> Option<Value> {
        let text = self.ip(&["-j", "-d", "link", "show", "dev", name]).ok()?;
        serde_json::from_str::<Value>(&text).ok()?.get(0).cloned()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(agent) = self.agent.take() {
            let _ = agent.join();
        }
        let _ = ip(&["netns", "del", &self.netns]);
        let _ = ip(&["link", "del", &self.underlay]);
    }
}

/// The endpoints VXLAN device `device` floods to, run in namespace `netns`
/// (here when `None`).
pub fn floods(netns: Option<&str>, device: &str) -> Vec<String> {
    let mut args = vec![];
    if let Some(netns) = netns {
        args.extend(["-n", netns]);
    }
    args.extend(["-j", "fdb", "show", "dev", device]);
    let out = Command::new("bridge")
        .args(&args)
        .output()
        .expect("bridge runs");
    let entries: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let mut found: Vec<String> = entries
        .iter()
        .filter(|e| e["mac"] == "00:00:00:00:00:00")
        .filter_map(|e| e["dst"].as_str().map(str::to_string))
        .collect();
    found.sort();
    found
}
