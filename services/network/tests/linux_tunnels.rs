//! VXLAN between two hosts for real (root, iproute2, ping): this one, and a
//! namespace joined to it by a veth underlay with an agent of its own. With
//! no multicast group, a network's VXLAN devices flood to the tunnel
//! endpoints the server names (l2population): each host's to the other's
//! once both have ports there, so their guests reach each other; the last
//! port leaving a host takes that host out of the other's flooding list.

mod common;

use common::linux::{
    floods, l2_only_subnet, link, linux_cloud, until_link, Guest, Host, Leftovers,
};
use reqwest::Method;
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
        cloud
            .send(Method::DELETE, &path, &admin, None)
            .await
            .expect(204);
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
