//! Routers for real (root, iproute2, nftables, ping): a router with a
//! gateway on a flat external network (a veth whose far end, in an
//! "upstream" namespace, holds the external subnet's gateway) and an
//! interface on a project's VXLAN network gets its `qrouter-` namespace;
//! a guest reaches upstream through its SNAT, upstream reaches the guest
//! through a floating IP only while it is associated, and the namespace
//! goes with the router.

mod common;

use common::linux::{
    bound_port, ip, l2_only_subnet, linux_cloud, namespace_goes, Guest, Leftovers,
};
use reqwest::Method;
use serde_json::{json, Value};

/// The upstream side of the external network: namespace `fs-up-<tag>`
/// holding `172.31.9.1/24` on the far end of the veth the agent maps
/// `physnet-ext` to.
struct Upstream {
    guest: Guest,
    physical: String,
}

impl Upstream {
    fn new() -> Upstream {
        let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
        let physical = format!("fsext{tag}");
        let netns = format!("fs-up-{tag}");
        ip(&["netns", "add", &netns]).unwrap();
        let guest = Guest { netns };
        let ns = guest.netns.as_str();
        ip(&[
            "link", "add", &physical, "type", "veth", "peer", "name", "eth0", "netns", ns,
        ])
        .unwrap();
        ip(&["link", "set", &physical, "up"]).unwrap();
        ip(&["-n", ns, "link", "set", "eth0", "up"]).unwrap();
        ip(&["-n", ns, "addr", "add", "172.31.9.1/24", "dev", "eth0"]).unwrap();
        Upstream { guest, physical }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = ip(&["link", "del", &self.physical]);
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_snats_its_networks_and_maps_floating_ips() {
    let upstream = Upstream::new();
    let mapping = format!("physnet-ext:{}", upstream.physical);
    let cloud = linux_cloud(|config| {
        config.set("linux_bridge", "physical_interface_mappings", mapping);
    })
    .await;
    let admin = cloud.identity.admin_persona().await;
    cloud
        .until("/v2.0/agents?binary=neutron-l3-agent", &admin, |b| {
            b["agents"][0]["alive"] == true
        })
        .await;

    // The external network, and a project network with a guest on it.
    let external = id(&cloud
        .create(
            "networks",
            "network",
            &admin,
            json!({"name": "ext", "router:external": true,
                   "provider:network_type": "flat", "provider:physical_network": "physnet-ext"}),
        )
        .await);
    cloud
        .create(
            "subnets",
            "subnet",
            &admin,
            json!({"network_id": external, "ip_version": 4, "cidr": "172.31.9.0/24",
                   "gateway_ip": "172.31.9.1", "enable_dhcp": false,
                   "allocation_pools": [{"start": "172.31.9.10", "end": "172.31.9.99"}]}),
        )
        .await;
    let internal = id(&cloud
        .create("networks", "network", &admin, json!({"name": "inside"}))
        .await);
    l2_only_subnet(&cloud, &admin, &internal, "10.80.0.0/24").await;
    let subnet = cloud
        .get(&format!("/v2.0/subnets?network_id={internal}"), &admin)
        .await
        .expect(200)
        .body["subnets"][0]["id"]
        .clone();
    let _made = Leftovers(vec![
        format!("brq{}", &external[..11]),
        format!("brq{}", &internal[..11]),
    ]);

    // The router: its namespace appears with its gateway and interface.
    let router = id(&cloud
        .create(
            "routers",
            "router",
            &admin,
            json!({"name": "r1", "external_gateway_info": {"network_id": external}}),
        )
        .await);
    let namespace = format!("qrouter-{router}");
    let _router_ns = RouterNs(namespace.clone());
    cloud
        .send(
            Method::PUT,
            &format!("/v2.0/routers/{router}/add_router_interface"),
            &admin,
            Some(json!({"subnet_id": subnet})),
        )
        .await
        .expect(200);
    let port = bound_port(&cloud, &admin, &internal).await;
    let guest = Guest::boot(&port);
    guest.route_via("10.80.0.1");
    cloud
        .until(&format!("/v2.0/ports?device_id={router}"), &admin, |b| {
            b["ports"]
                .as_array()
                .is_some_and(|p| p.len() == 2 && p.iter().all(|p| p["status"] == "ACTIVE"))
        })
        .await;
    assert!(ip(&["netns", "list"]).unwrap().contains(&namespace));

    // Out through SNAT: upstream has no route back to 10.80.0.0/24.
    assert!(
        guest.pings_within("172.31.9.1", 10),
        "no way out through SNAT"
    );
    assert!(
        !upstream.guest.pings("10.80.0.1"),
        "upstream reaches inside without a floating IP"
    );

    // In through a floating IP, while it is associated and the guest's
    // groups let it in.
    let default_group = cloud
        .get("/v2.0/security-groups?name=default", &admin)
        .await
        .expect(200)
        .body["security_groups"][0]["id"]
        .clone();
    cloud
        .create(
            "security-group-rules",
            "security_group_rule",
            &admin,
            json!({"security_group_id": default_group, "direction": "ingress",
                   "protocol": "icmp", "remote_ip_prefix": "0.0.0.0/0"}),
        )
        .await;
    let fip = cloud
        .create(
            "floatingips",
            "floatingip",
            &admin,
            json!({"floating_network_id": external, "port_id": id(&port)}),
        )
        .await;
    let floating = fip["floating_ip_address"].as_str().unwrap().to_string();
    assert!(
        upstream.guest.pings_within(&floating, 10),
        "upstream cannot reach the guest at {floating}"
    );
    let fip_path = format!("/v2.0/floatingips/{}", id(&fip));
    cloud
        .until(&fip_path, &admin, |b| b["floatingip"]["status"] == "ACTIVE")
        .await;
    cloud
        .send(
            Method::PUT,
            &fip_path,
            &admin,
            Some(json!({"floatingip": {"port_id": null}})),
        )
        .await
        .expect(200);
    assert_eq!(
        cloud.get(&fip_path, &admin).await.expect(200).body["floatingip"]["status"],
        "DOWN"
    );
    let mut gone = false;
    for _ in 0..20 {
        if !upstream.guest.pings(&floating) {
            gone = true;
            break;
        }
    }
    assert!(gone, "a disassociated floating IP still reaches the guest");

    // Taken apart, the router's namespace goes.
    cloud
        .send(Method::DELETE, &fip_path, &admin, None)
        .await
        .expect(204);
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/ports/{}", id(&port)),
            &admin,
            None,
        )
        .await
        .expect(204);
    cloud
        .send(
            Method::PUT,
            &format!("/v2.0/routers/{router}/remove_router_interface"),
            &admin,
            Some(json!({"subnet_id": subnet})),
        )
        .await
        .expect(200);
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/routers/{router}"),
            &admin,
            None,
        )
        .await
        .expect(204);
    assert!(
        namespace_goes(&namespace).await,
        "the router's namespace outlived it"
    );
    drop(guest);
}

/// A failed test's router namespace, deleted.
struct RouterNs(String);

impl Drop for RouterNs {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.0]);
    }
}
