//! Hosts as namespaces, each joined to this one by a veth underlay with an
//! agent of its own on a thread inside it (root, iproute2, ping, dnsmasq,
//! busybox's udhcpc):
//! - VXLAN between two hosts: with no multicast group, a network's VXLAN
//!   devices flood to the tunnel endpoints the server names (l2population):
//!   each host's to the other's once both have ports there, so their guests
//!   reach each other; the last port leaving a host takes that host out of
//!   the other's flooding list.
//! - An agent killed, its host's bridge, DHCP namespace and dnsmasq gone
//!   with it (a reboot), rebuilds them all when it starts again, and a guest
//!   gets its lease again; started once more, nothing doubles.

mod common;

use common::linux::{
    floods, l2_only_subnet, link, linux_cloud, linux_cloud_of, until_link, Dhcp, Guest, Host,
    Leftovers,
};
use serde_json::json;

/// The two hosts' underlay addresses, on a /24 of their own.
const HERE: &str = "10.203.77.1";
const THERE: &str = "10.203.77.2";

/// Polls until `done` holds (10 s at most).
async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_on_two_hosts_talk_over_the_tunnels_the_server_names() {
    let mut there = Host::underlay("fs-host-b", THERE, HERE);
    // Both hosts on one in-process bus, whatever the testkit's transport:
    // the other host's agent cannot reach a broker listening on loopback.
    let bus = format!("memory://tunnels-{}", uuid::Uuid::new_v4().simple());
    let cloud = linux_cloud(|config| {
        config.set("vxlan", "local_ip", HERE);
        config.set("DEFAULT", "transport_url", bus);
        // This host's iptables are every test's: only one test's agent here
        // filters.
        config.set("securitygroup", "enable_security_group", "false");
    })
    .await;
    there.start_agent(&cloud, "linux-b");
    let admin = cloud.identity.admin_persona().await;
    let agents = cloud
        .until(
            "/v2.0/agents?binary=neutron-linuxbridge-agent",
            &admin,
            |b| b["agents"].as_array().is_some_and(|a| a.len() == 2),
        )
        .await;
    let mut reported: Vec<&str> = agents["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["configurations"]["tunneling_ip"].as_str().unwrap())
        .collect();
    reported.sort();
    assert_eq!(reported, [HERE, THERE]);

    let net = cloud
        .create("networks", "network", &admin, json!({"name": "two-hosts"}))
        .await;
    let net = net["id"].as_str().unwrap().to_string();
    l2_only_subnet(&cloud, &admin, &net, "10.78.0.0/24").await;
    let vni = cloud
        .get(&format!("/v2.0/networks/{net}"), &admin)
        .await
        .expect(200)
        .body["network"]["provider:segmentation_id"]
        .as_i64()
        .unwrap();
    let (bridge, vxlan) = (format!("brq{}", &net[..11]), format!("vxlan-{vni}"));
    let _made = Leftovers(vec![bridge.clone(), vxlan.clone()]);
    let port_on = |host: &'static str| {
        let (cloud, admin, net) = (&cloud, &admin, &net);
        async move {
            cloud
                .create(
                    "ports",
                    "port",
                    admin,
                    json!({"network_id": net, "binding:host_id": host}),
                )
                .await
        }
    };

    // One host with a port: its VXLAN device floods nowhere yet.
    let first = port_on("linux-a").await;
    until_link(&vxlan, |l| l.is_some()).await;
    let tunnel = link(&vxlan).unwrap();
    assert_eq!(tunnel["linkinfo"]["info_data"].get("group"), None);
    assert_eq!(tunnel["linkinfo"]["info_data"]["local"], HERE);

    // A port on the other host: each host floods to the other.
    let second = port_on("linux-b").await;
    until("this host floods to the other", || {
        floods(None, &vxlan) == [THERE]
    })
    .await;
    until("the other host floods here", || {
        floods(Some(&there.netns), &vxlan) == [HERE]
    })
    .await;
    let one = Guest::boot(&first);
    let two = Guest::boot_on(&second, &there);
    for port in [&first, &second] {
        let path = format!("/v2.0/ports/{}", port["id"].as_str().unwrap());
        cloud
            .until(&path, &admin, |b| b["port"]["status"] == "ACTIVE")
            .await;
    }
    let tap = format!("tap{}", &second["id"].as_str().unwrap()[..11]);
    assert_eq!(there.link(&tap).unwrap()["master"], json!(bridge));
    let second_ip = second["fixed_ips"][0]["ip_address"].as_str().unwrap();
    assert!(
        one.pings_within(second_ip, 5),
        "a guest here cannot reach {second_ip} on the other host"
    );

    // A second port on the other host changes nothing; the last one leaving
    // takes the host out of this one's flooding list, and its bridge goes.
    let third = port_on("linux-b").await;
    for port in [&second, &third] {
        let path = format!("/v2.0/ports/{}", port["id"].as_str().unwrap());
        assert_eq!(floods(None, &vxlan), [THERE]);
        cloud.delete(&path, &admin).await;
    }
    until("the other host leaves the flooding list", || {
        floods(None, &vxlan).is_empty()
    })
    .await;
    until("the other host's bridge goes", || {
        there.link(&bridge).is_none()
    })
    .await;
    assert!(
        !one.pings(second_ip),
        "traffic flows to a host with no port"
    );
    drop((one, two));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_agent_rebuilds_its_host() {
    let mut host = Host::underlay("fs-host-r", "10.203.78.2", "10.203.78.1");
    let bus = format!("memory://restart-{}", uuid::Uuid::new_v4().simple());
    let cloud = linux_cloud_of(&[ferrostack_network::Role::Server], |config| {
        config.set("DEFAULT", "transport_url", bus);
    })
    .await;
    // State is private (as `ferrostack up` keeps it).
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cloud.env.dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    host.start_agent(&cloud, "linux-r");
    let admin = cloud.identity.admin_persona().await;
    cloud
        .until("/v2.0/agents?binary=neutron-dhcp-agent", &admin, |b| {
            b["agents"][0]["configurations"]["dhcp_driver"] == "dnsmasq"
        })
        .await;
    let (net, _) = cloud
        .network_with_subnet(&admin, "rebuilt", "10.80.0.0/24")
        .await;
    let (bridge, namespace) = (format!("brq{}", &net[..11]), format!("qdhcp-{net}"));
    let served = cloud.env.dir.join("linux-r").join("dhcp").join(&net);
    let _served = Dhcp(namespace.clone(), served.clone());
    let port = cloud
        .create(
            "ports",
            "port",
            &admin,
            json!({"network_id": net, "binding:host_id": "linux-r"}),
        )
        .await;
    let path = format!("/v2.0/ports/{}", port["id"].as_str().unwrap());
    let address = port["fixed_ips"][0]["ip_address"].as_str().unwrap();
    let guest = Guest::bare_on(&port, &host);
    cloud
        .until(&path, &admin, |b| b["port"]["status"] == "ACTIVE")
        .await;
    assert_eq!(guest.lease().as_deref(), Some(address));

    // Killed, and its host rebooted: its bridge, namespace and dnsmasq gone.
    host.stop_agent();
    let pid = std::fs::read_to_string(served.join("pid")).unwrap();
    let _ = std::process::Command::new("kill").arg(pid.trim()).status();
    common::linux::ip(&["netns", "del", &namespace]).unwrap();
    host.ip(&["link", "del", &bridge]).unwrap();
    assert_eq!(guest.lease(), None, "DHCP outlived its host");

    // Started again, it rebuilds them from the server and DHCP answers.
    for round in ["restarted", "restarted again"] {
        host.start_agent(&cloud, "linux-r");
        let mut leased = None;
        for _ in 0..10 {
            leased = guest.lease();
            if leased.is_some() {
                break;
            }
        }
        assert_eq!(leased.as_deref(), Some(address), "{round}");
        let tap = format!("tap{}", &port["id"].as_str().unwrap()[..11]);
        assert_eq!(host.link(&tap).unwrap()["master"], json!(bridge), "{round}");
        let dnsmasqs = std::process::Command::new("pgrep")
            .args(["-f", &format!("dnsmasq.*{net}")])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&dnsmasqs.stdout).lines().count(),
            1,
            "{round}: one dnsmasq serves the network"
        );
        host.stop_agent();
    }

    // Gone from the server while the agent was away: cleaned up at its start.
    cloud.delete(&path, &admin).await;
    cloud.delete(&format!("/v2.0/networks/{net}"), &admin).await;
    host.start_agent(&cloud, "linux-r");
    assert!(
        common::linux::namespace_goes(&namespace).await,
        "the DHCP namespace stays"
    );
    until("the bridge goes", || host.link(&bridge).is_none()).await;
    drop(guest);
}
