//! The `linux` data plane for real (root, iproute2, ping, dnsmasq, busybox's
//! udhcpc): a host's agent makes a network's bridge with its VXLAN device,
//! enslaves the tap of each port bound there once the tap appears (the port
//! turns ACTIVE then), two guests' namespaces on the bridge reach each
//! other, the last port to leave takes the bridge and its VXLAN device
//! along, and a network scheduled to the host gets a dnsmasq that hands
//! each guest its port's address.

mod common;

use common::linux::{
    bound_port, ip, l2_only_subnet, link, linux_cloud, namespace_goes, until_link, Dhcp, Guest,
    Leftovers,
};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_wires_taps_onto_a_vxlan_bridge_and_guests_talk() {
    let cloud = linux_cloud(|_| {}).await;
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
    assert_eq!(tunnel["linkinfo"]["info_data"].get("group"), None);
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
        cloud.delete(path, &admin).await;
    }
    until_link(&bridge, |l| l.is_none()).await;
    assert_eq!(link(&bridge), None, "the bridge outlived its ports");
    assert_eq!(link(&vxlan), None, "the VXLAN device outlived its bridge");
    assert_eq!(link(&tap).unwrap().get("master"), None);
    drop((one, two));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flat_networks_ride_their_mapped_interface() {
    // A veth end stands for the physical interface (no dummy module here).
    let physical = format!("fsphy{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let peer = format!("{physical}p");
    ip(&[
        "link", "add", &physical, "type", "veth", "peer", "name", &peer,
    ])
    .unwrap();
    let _made = Leftovers(vec![physical.clone()]);
    let cloud = linux_cloud(|config| {
        config.set(
            "linux_bridge",
            "physical_interface_mappings",
            format!("physnet1:{physical}"),
        );
    })
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
    cloud.delete(&path, &admin).await;
    until_link(&bridge, |l| l.is_none()).await;
    assert_eq!(link(&bridge), None, "the bridge outlived its ports");
    assert_eq!(link(&physical).unwrap().get("master"), None);
    drop(guest);

    // A physical network without an interface here: its port stays DOWN and
    // nothing is made for it.
    let unmapped = cloud
        .create(
            "networks",
            "network",
            &admin,
            json!({"name": "unmapped", "provider:network_type": "flat",
                   "provider:physical_network": "physnet9"}),
        )
        .await;
    let unmapped = unmapped["id"].as_str().unwrap().to_string();
    l2_only_subnet(&cloud, &admin, &unmapped, "10.82.0.0/24").await;
    let port = bound_port(&cloud, &admin, &unmapped).await;
    let guest = Guest::boot(&port);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let path = format!("/v2.0/ports/{}", port["id"].as_str().unwrap());
    assert_eq!(
        cloud.get(&path, &admin).await.expect(200).body["port"]["status"],
        "DOWN"
    );
    assert_eq!(link(&format!("brq{}", &unmapped[..11])), None);
    cloud.delete(&path, &admin).await;
    drop(guest);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_network_s_dnsmasq_hands_guests_their_addresses() {
    let cloud = linux_cloud(|_| {}).await;
    let admin = cloud.identity.admin_persona().await;
    cloud
        .until("/v2.0/agents?binary=neutron-dhcp-agent", &admin, |b| {
            b["agents"][0]["configurations"]["dhcp_driver"] == "dnsmasq"
        })
        .await;
    // State is private (as `ferrostack up` keeps it): dnsmasq, once it runs
    // as nobody, cannot read its files there again.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cloud.env.dir, std::fs::Permissions::from_mode(0o700)).unwrap();
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
    cloud.delete(&path, &admin).await;
    cloud.delete(&format!("/v2.0/networks/{net}"), &admin).await;
    assert!(namespace_goes(&namespace).await);
    assert!(!cloud.env.dir.join("dhcp").join(&net).exists());
    until_link(&format!("brq{}", &net[..11]), |l| l.is_none()).await;
    drop(guest);
}
