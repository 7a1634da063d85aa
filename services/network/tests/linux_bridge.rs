//! The `linux` data plane for real (root, iproute2, ping, dnsmasq, busybox's
//! udhcpc): a host's agent makes a network's bridge with its VXLAN device,
//! enslaves the tap of each port bound there once the tap appears (the port
//! turns ACTIVE then), two guests' namespaces on the bridge reach each
//! other, the last port to leave takes the bridge and its VXLAN device
//! along, and a network scheduled to the host gets a dnsmasq that hands
//! each guest its port's address.

mod common;

use std::process::Command;

use common::Cloud;
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

/// Runs `ip ARGS`, its output when it succeeds.
fn ip(args: &[&str]) -> Result<String, String> {
    let out = Command::new("ip").args(args).output().expect("ip runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Device `name` as iproute2 describes it (`None` when absent).
fn link(name: &str) -> Option<Value> {
    let text = ip(&["-j", "-d", "link", "show", "dev", name]).ok()?;
    serde_json::from_str::<Value>(&text).ok()?.get(0).cloned()
}

/// A namespace standing for a guest: its `eth0` has the port's MAC and
/// address, its peer outside is the port's `tap` (as a compute driver makes
/// it). Dropped, the namespace goes with both ends.
struct Guest {
    netns: String,
}

impl Guest {
    /// A guest with its port's address set.
    fn boot(port: &Value) -> Guest {
        let guest = Guest::bare(port);
        let address = format!(
            "{}/24",
            port["fixed_ips"][0]["ip_address"].as_str().unwrap()
        );
        ip(&["-n", &guest.netns, "addr", "add", &address, "dev", "eth0"]).unwrap();
        guest
    }

    /// A guest whose `eth0` has no address yet.
    fn bare(port: &Value) -> Guest {
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

    /// Whether `address` answers one ping from this guest (2 s at most).
    fn pings(&self, address: &str) -> bool {
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
    fn lease(&self) -> Option<String> {
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
struct Leftovers(Vec<String>);

impl Drop for Leftovers {
    fn drop(&mut self) {
        for name in &self.0 {
            let _ = ip(&["link", "del", name]);
        }
    }
}

/// Device `name` once `done` holds of it (10 s at most).
async fn until_link(name: &str, done: impl Fn(Option<&Value>) -> bool) -> Option<Value> {
    for _ in 0..100 {
        let found = link(name);
        if done(found.as_ref()) {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{name} never got there: {:?}", link(name));
}

/// A subnet without DHCP (no DHCP port holds the bridge).
async fn l2_only_subnet(cloud: &Cloud, admin: &Persona, net: &str, cidr: &str) {
    cloud
        .create(
            "subnets",
            "subnet",
            admin,
            json!({"network_id": net, "ip_version": 4, "cidr": cidr, "enable_dhcp": false}),
        )
        .await;
}

async fn bound_port(cloud: &Cloud, admin: &Persona, net: &str) -> Value {
    cloud
        .create(
            "ports",
            "port",
            admin,
            json!({"network_id": net, "binding:host_id": "linux-a"}),
        )
        .await
}

#[tokio::test]
async fn the_agent_wires_taps_onto_a_vxlan_bridge_and_guests_talk() {
    let cloud = Cloud::with_roles(
        &[
            ferrostack_network::Role::Server,
            ferrostack_network::Role::Agent,
        ],
        |config| {
            config.set("DEFAULT", "host", "linux-a");
            config.set("agent", "report_interval", "1");
            config.set("agent", "polling_interval", "1");
            config.set("agent", "driver", "linux");
            config.set("vxlan", "local_ip", "127.0.0.1");
        },
    )
    .await;
    let admin = cloud.identity.admin_persona().await;
    let agents = cloud
        .until(
            "/v2.0/agents?binary=neutron-linuxbridge-agent",
            &admin,
            |b| b["agents"].as_array().is_some_and(|a| a.len() == 1),
        )
        .await;
    let reported = &agents["agents"][0]["configurations"];
    assert_eq!(reported["driver"], "linux");
    assert_eq!(reported["tunneling_ip"], "127.0.0.1");
    let net = cloud
        .create("networks", "network", &admin, json!({"name": "wired"}))
        .await;
    let net = net["id"].as_str().unwrap().to_string();
    l2_only_subnet(&cloud, &admin, &net, "10.77.0.0/24").await;
    let network = cloud
        .get(&format!("/v2.0/networks/{net}"), &admin)
        .await
        .expect(200)
        .body["network"]
        .clone();
    assert_eq!(network["provider:network_type"], "vxlan");
    let vni = network["provider:segmentation_id"].as_i64().unwrap();
    let (bridge, vxlan) = (format!("brq{}", &net[..11]), format!("vxlan-{vni}"));

    // Bound, but no tap yet: the bridge and its VXLAN device are made, and
    // the port stays DOWN.
    let first = bound_port(&cloud, &admin, &net).await;
    let first_path = format!("/v2.0/ports/{}", first["id"].as_str().unwrap());
    let _made = Leftovers(vec![bridge.clone(), vxlan.clone()]);
    let tunnel = until_link(&vxlan, |l| l.is_some_and(|l| l["master"] == json!(bridge))).await;
    let tunnel = tunnel.expect("the VXLAN device is made");
    assert_eq!(tunnel["master"], json!(bridge));
    assert_eq!(tunnel["linkinfo"]["info_data"]["id"], vni);
    assert_eq!(tunnel["linkinfo"]["info_data"]["local"], "127.0.0.1");
    assert_eq!(tunnel["linkinfo"]["info_data"]["group"], "224.0.0.1");
    assert_eq!(tunnel["mtu"], network["mtu"]);
    assert_eq!(
        cloud.get(&first_path, &admin).await.expect(200).body["port"]["status"],
        "DOWN"
    );

    // The guests' taps appear: each is enslaved, and its port turns ACTIVE.
    let second = bound_port(&cloud, &admin, &net).await;
    let second_path = format!("/v2.0/ports/{}", second["id"].as_str().unwrap());
    let one = Guest::boot(&first);
    let two = Guest::boot(&second);
    for path in [&first_path, &second_path] {
        cloud
            .until(path, &admin, |b| b["port"]["status"] == "ACTIVE")
            .await;
    }
    let tap = format!("tap{}", &first["id"].as_str().unwrap()[..11]);
    assert_eq!(link(&tap).unwrap()["master"], json!(bridge));
    let second_ip = second["fixed_ips"][0]["ip_address"].as_str().unwrap();
    assert!(one.pings(second_ip), "guest one cannot reach {second_ip}");

    // Administratively down, the port's tap leaves the bridge.
    cloud
        .send(
            Method::PUT,
            &second_path,
            &admin,
            Some(json!({"port": {"admin_state_up": false}})),
        )
        .await
        .expect(200);
    cloud
        .until(&second_path, &admin, |b| b["port"]["status"] == "DOWN")
        .await;
    let second_tap = format!("tap{}", &second["id"].as_str().unwrap()[..11]);
    assert_eq!(link(&second_tap).unwrap().get("master"), None);
    assert!(
        !one.pings(second_ip),
        "a port that is down still carries traffic"
    );

    // Deleted, the first port's tap is released; the last port deleted takes
    // the bridge and the VXLAN device along.
    for path in [&first_path, &second_path] {
        cloud
            .send(Method::DELETE, path, &admin, None)
            .await
            .expect(204);
    }
    until_link(&bridge, |l| l.is_none()).await;
    assert_eq!(link(&bridge), None, "the bridge outlived its ports");
    assert_eq!(link(&vxlan), None, "the VXLAN device outlived its bridge");
    assert_eq!(link(&tap).unwrap().get("master"), None);
    drop((one, two));
}

#[tokio::test]
async fn flat_networks_ride_their_mapped_interface() {
    // A veth end stands for the physical interface (no dummy module here).
    let physical = format!("fsphy{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let peer = format!("{physical}p");
    ip(&[
        "link", "add", &physical, "type", "veth", "peer", "name", &peer,
    ])
    .unwrap();
    let _made = Leftovers(vec![physical.clone()]);
    let cloud = Cloud::with_roles(
        &[
            ferrostack_network::Role::Server,
            ferrostack_network::Role::Agent,
        ],
        |config| {
            config.set("DEFAULT", "host", "linux-a");
            config.set("agent", "report_interval", "1");
            config.set("agent", "polling_interval", "1");
            config.set("agent", "driver", "linux");
            config.set(
                "linux_bridge",
                "physical_interface_mappings",
                format!("physnet1:{physical}"),
            );
        },
    )
    .await;
    let admin = cloud.identity.admin_persona().await;
    cloud
        .until(
            "/v2.0/agents?binary=neutron-linuxbridge-agent",
            &admin,
            |b| b["agents"].as_array().is_some_and(|a| a.len() == 1),
        )
        .await;
    let net = cloud
        .create(
            "networks",
            "network",
            &admin,
            json!({"name": "flat", "provider:network_type": "flat",
                   "provider:physical_network": "physnet1"}),
        )
        .await;
    let net = net["id"].as_str().unwrap().to_string();
    l2_only_subnet(&cloud, &admin, &net, "10.78.0.0/24").await;
    let port = bound_port(&cloud, &admin, &net).await;
    let path = format!("/v2.0/ports/{}", port["id"].as_str().unwrap());
    let guest = Guest::boot(&port);
    cloud
        .until(&path, &admin, |b| b["port"]["status"] == "ACTIVE")
        .await;
    let bridge = format!("brq{}", &net[..11]);
    let _bridge = Leftovers(vec![bridge.clone()]);
    assert_eq!(link(&physical).unwrap()["master"], json!(bridge));

    // The last port gone, the bridge goes and the interface is only released.
    cloud
        .send(Method::DELETE, &path, &admin, None)
        .await
        .expect(204);
    until_link(&bridge, |l| l.is_none()).await;
    assert_eq!(link(&bridge), None, "the bridge outlived its ports");
    assert_eq!(link(&physical).unwrap().get("master"), None);
    drop(guest);
}

#[tokio::test]
async fn a_scheduled_network_s_dnsmasq_hands_guests_their_addresses() {
    let cloud = Cloud::with_roles(
        &[
            ferrostack_network::Role::Server,
            ferrostack_network::Role::Agent,
        ],
        |config| {
            config.set("DEFAULT", "host", "linux-a");
            config.set("agent", "report_interval", "1");
            config.set("agent", "polling_interval", "1");
            config.set("agent", "driver", "linux");
            config.set("vxlan", "local_ip", "127.0.0.1");
        },
    )
    .await;
    let admin = cloud.identity.admin_persona().await;
    cloud
        .until("/v2.0/agents?binary=neutron-dhcp-agent", &admin, |b| {
            b["agents"][0]["configurations"]["dhcp_driver"] == "dnsmasq"
        })
        .await;
    let (net, subnet) = cloud
        .network_with_subnet(&admin, "dhcp", "10.79.0.0/24")
        .await;
    let namespace = format!("qdhcp-{net}");
    let _made = Leftovers(vec![format!("brq{}", &net[..11])]);
    let _served = Dhcp(namespace.clone(), cloud.env.dir.join("dhcp").join(&net));

    // Scheduled here: the DHCP port, bound to this host with the subnet's
    // first address, turns ACTIVE once its namespace's device is wired.
    let listed = cloud
        .until(
            &format!("/v2.0/ports?network_id={net}&device_owner=network:dhcp"),
            &admin,
            |b| b["ports"][0]["status"] == "ACTIVE",
        )
        .await;
    let dhcp = &listed["ports"][0];
    assert_eq!(dhcp["binding:host_id"], "linux-a");
    assert!(dhcp["device_id"].as_str().unwrap().starts_with("dhcp"));
    assert!(dhcp["device_id"].as_str().unwrap().ends_with(&net));
    assert_eq!(
        dhcp["fixed_ips"],
        json!([{"subnet_id": subnet, "ip_address": "10.79.0.2"}])
    );
    assert!(ip(&["netns", "list"]).unwrap().contains(&namespace));

    // A guest on a port asks DHCP and gets that port's address.
    let port = bound_port(&cloud, &admin, &net).await;
    let path = format!("/v2.0/ports/{}", port["id"].as_str().unwrap());
    let guest = Guest::bare(&port);
    cloud
        .until(&path, &admin, |b| b["port"]["status"] == "ACTIVE")
        .await;
    let address = port["fixed_ips"][0]["ip_address"].as_str().unwrap();
    assert_eq!(guest.lease().as_deref(), Some(address));

    // The network deleted (its DHCP port does not hold it), DHCP goes with
    // its namespace and files, and the bridge with the last port.
    cloud
        .send(Method::DELETE, &path, &admin, None)
        .await
        .expect(204);
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/networks/{net}"),
            &admin,
            None,
        )
        .await
        .expect(204);
    for _ in 0..100 {
        if !ip(&["netns", "list"]).unwrap().contains(&namespace) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!ip(&["netns", "list"]).unwrap().contains(&namespace));
    assert!(!cloud.env.dir.join("dhcp").join(&net).exists());
    until_link(&format!("brq{}", &net[..11]), |l| l.is_none()).await;
    drop(guest);
}

/// A failed test's DHCP: its dnsmasq is stopped and its namespace deleted.
struct Dhcp(String, std::path::PathBuf);

impl Drop for Dhcp {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.1.join("pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
        let _ = ip(&["netns", "del", &self.0]);
    }
}
