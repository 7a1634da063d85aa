//! Floating IPs over HTTP: addresses on an external network associated
//! through a router with a project's port, and the refusals that keep the
//! association consistent (one floating IP per fixed address, routers and
//! ports that floating IPs need, other projects' ports, quotas).

mod common;

use common::Cloud;
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

/// An external network with a subnet, a project network and subnet joined
/// to it by the project's router, and a port on the project network.
struct Topology {
    public: String,
    subnet: String,
    router: String,
    port: Value,
}

async fn topology(cloud: &Cloud, admin: &Persona, owner: &Persona) -> Topology {
    let public = cloud
        .create(
            "networks",
            "network",
            admin,
            json!({"name": "public", "router:external": true}),
        )
        .await;
    let public = public["id"].as_str().unwrap().to_string();
    cloud
        .create("subnets", "subnet", admin, json!({"network_id": public, "ip_version": 4, "cidr": "203.0.113.0/24", "enable_dhcp": false}))
        .await;
    let (private, subnet) = cloud
        .network_with_subnet(owner, "private", "10.40.0.0/24")
        .await;
    let router = cloud
        .create(
            "routers",
            "router",
            owner,
            json!({"external_gateway_info": {"network_id": public}}),
        )
        .await;
    let router = router["id"].as_str().unwrap().to_string();
    cloud
        .send(
            Method::PUT,
            &format!("/v2.0/routers/{router}/add_router_interface"),
            owner,
            Some(json!({"subnet_id": subnet})),
        )
        .await
        .expect(200);
    let port = cloud
        .create(
            "ports",
            "port",
            owner,
            json!({"network_id": private, "name": "vm-port", "device_owner": "compute:nova"}),
        )
        .await;
    Topology {
        public,
        subnet,
        router,
        port,
    }
}

#[tokio::test]
async fn floating_ips_associate_through_a_router() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let bob = cloud.identity.persona(&["member"]).await;
    let t = topology(&cloud, &admin, &alice).await;
    let port_id = t.port["id"].as_str().unwrap();
    let fixed = t.port["fixed_ips"][0]["ip_address"].as_str().unwrap();

    // Only an external network floats, and a named address is an admin's.
    let private = t.port["network_id"].as_str().unwrap();
    let (_, message) = cloud
        .refused(
            Method::POST,
            "/v2.0/floatingips",
            &alice,
            Some(json!({"floatingip": {"floating_network_id": private}})),
            400,
        )
        .await;
    assert_eq!(
        message,
        format!("Bad floatingip request: Network {private} is not a valid external network.")
    );
    let (kind, _) = cloud
        .refused(Method::POST, "/v2.0/floatingips", &alice, Some(json!({"floatingip": {"floating_network_id": t.public, "floating_ip_address": "203.0.113.50"}})), 403)
        .await;
    assert_eq!(kind, "PolicyNotAuthorized");
    let (_, message) = cloud
        .refused(
            Method::POST,
            "/v2.0/floatingips",
            &alice,
            Some(
                json!({"floatingip": {"floating_network_id": t.public, "fixed_ip_address": fixed}}),
            ),
            400,
        )
        .await;
    assert_eq!(
        message,
        "Bad floatingip request: fixed_ip_address cannot be specified without a port_id."
    );
    let (_, message) = cloud
        .refused(
            Method::POST,
            "/v2.0/floatingips",
            &alice,
            Some(json!({"floatingip": {}})),
            400,
        )
        .await;
    assert_eq!(
        message,
        "Failed to parse request. Required attribute 'floating_network_id' not specified"
    );

    // A port on a subnet no router joins to the external network.
    let (island, island_subnet) = cloud
        .network_with_subnet(&alice, "island", "10.41.0.0/24")
        .await;
    let stranded = cloud
        .create("ports", "port", &alice, json!({"network_id": island}))
        .await;
    let (kind, message) = cloud
        .refused(
            Method::POST,
            "/v2.0/floatingips",
            &alice,
            Some(
                json!({"floatingip": {"floating_network_id": t.public, "port_id": stranded["id"]}}),
            ),
            404,
        )
        .await;
    assert_eq!(kind, "ExternalGatewayForFloatingIPNotFound");
    assert_eq!(message, format!("External network {} is not reachable from subnet {island_subnet}.  Therefore, cannot associate Port {} with a Floating IP.", t.public, stranded["id"].as_str().unwrap()));

    // Associated at create: the router that joins them translates it.
    let fip = cloud
        .create(
            "floatingips",
            "floatingip",
            &alice,
            json!({"floating_network_id": t.public, "port_id": port_id, "description": "web"}),
        )
        .await;
    let fid = fip["id"].as_str().unwrap().to_string();
    assert!(fip["floating_ip_address"]
        .as_str()
        .unwrap()
        .starts_with("203.0.113."));
    assert_eq!(fip["router_id"], json!(t.router));
    assert_eq!(fip["fixed_ip_address"], json!(fixed));
    assert_eq!(fip["port_id"], json!(port_id));
    assert_eq!(fip["project_id"], json!(alice.project_id));
    assert_eq!(fip["status"], "DOWN");
    assert_eq!(fip["description"], "web");
    assert_eq!(fip["port_details"]["name"], "vm-port");
    assert_eq!(fip["port_details"]["device_owner"], "compute:nova");
    assert_eq!(fip["port_details"]["network_id"], json!(private));

    // One floating IP per fixed address and external network.
    let (kind, _) = cloud
        .refused(
            Method::POST,
            "/v2.0/floatingips",
            &alice,
            Some(json!({"floatingip": {"floating_network_id": t.public, "port_id": port_id}})),
            409,
        )
        .await;
    assert_eq!(kind, "FloatingIPPortAlreadyAssociated");

    // Other projects neither see it nor use alice's port.
    let path = format!("/v2.0/floatingips/{fid}");
    let (kind, _) = cloud.refused(Method::GET, &path, &bob, None, 404).await;
    assert_eq!(kind, "FloatingIPNotFound");
    let (kind, _) = cloud
        .refused(
            Method::POST,
            "/v2.0/floatingips",
            &bob,
            Some(json!({"floatingip": {"floating_network_id": t.public, "port_id": port_id}})),
            404,
        )
        .await;
    assert_eq!(kind, "PortNotFound");
    assert_eq!(
        cloud.get("/v2.0/floatingips", &bob).await.expect(200).body["floatingips"],
        json!([])
    );

    // The address's port and the path it needs are protected.
    let held = cloud
        .get(
            &format!("/v2.0/ports?device_id={fid}&device_owner=network:floatingip"),
            &admin,
        )
        .await
        .expect(200)
        .body["ports"][0]
        .clone();
    assert_eq!(held["project_id"], "");
    assert_eq!(
        held["fixed_ips"][0]["ip_address"],
        fip["floating_ip_address"]
    );
    let held_path = format!("/v2.0/ports/{}", held["id"].as_str().unwrap());
    let (kind, _) = cloud
        .refused(Method::DELETE, &held_path, &admin, None, 409)
        .await;
    assert_eq!(kind, "ServicePortInUse");
    let router_path = format!("/v2.0/routers/{}", t.router);
    let (kind, message) = cloud
        .refused(
            Method::PUT,
            &format!("{router_path}/remove_router_interface"),
            &alice,
            Some(json!({"subnet_id": t.subnet})),
            409,
        )
        .await;
    assert_eq!(kind, "RouterInterfaceInUseByFloatingIP");
    assert_eq!(message, format!("Router interface for subnet {} on router {} cannot be deleted, as it is required by one or more floating IPs.", t.subnet, t.router));
    let (kind, _) = cloud
        .refused(
            Method::PUT,
            &router_path,
            &alice,
            Some(json!({"router": {"external_gateway_info": {}}})),
            409,
        )
        .await;
    assert_eq!(kind, "RouterExternalGatewayInUseByFloatingIp");

    // Filters, then disassociation by a null port.
    let listed = cloud
        .get(&format!("/v2.0/floatingips?port_id={port_id}"), &alice)
        .await
        .expect(200);
    assert_eq!(listed.body["floatingips"][0]["id"], json!(fid));
    let none = cloud
        .get("/v2.0/floatingips?status=ACTIVE", &alice)
        .await
        .expect(200);
    assert_eq!(none.body["floatingips"], json!([]));
    let freed = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"floatingip": {"port_id": null}})),
        )
        .await
        .expect(200)
        .body["floatingip"]
        .clone();
    assert_eq!(freed["port_id"], Value::Null);
    assert_eq!(freed["router_id"], Value::Null);
    assert_eq!(freed["fixed_ip_address"], Value::Null);
    assert_eq!(freed["port_details"], Value::Null);
    assert_eq!(freed["revision_number"], 2);
    let (kind, _) = cloud
        .refused(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"floatingip": {"floating_ip_address": "203.0.113.9"}})),
            400,
        )
        .await;
    assert_eq!(kind, "HTTPBadRequest");

    // Associated again by update; deleting the port leaves it unassociated.
    let moved = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"floatingip": {"port_id": port_id, "fixed_ip_address": fixed}})),
        )
        .await
        .expect(200);
    assert_eq!(moved.body["floatingip"]["router_id"], json!(t.router));
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/ports/{port_id}"),
            &alice,
            None,
        )
        .await
        .expect(204);
    let after = cloud.get(&path, &alice).await.expect(200);
    assert_eq!(after.body["floatingip"]["port_id"], Value::Null);

    // Deleting it gives its address back.
    cloud
        .send(Method::DELETE, &path, &alice, None)
        .await
        .expect(204);
    cloud
        .refused(Method::GET, &held_path, &admin, None, 404)
        .await;
    cloud
        .send(
            Method::PUT,
            &format!("{router_path}/remove_router_interface"),
            &alice,
            Some(json!({"subnet_id": t.subnet})),
        )
        .await
        .expect(200);
}

#[tokio::test]
async fn floating_ips_count_against_the_quota() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let t = topology(&cloud, &admin, &alice).await;
    cloud
        .send(
            Method::PUT,
            &format!("/v2.0/quotas/{}", alice.project_id),
            &admin,
            Some(json!({"quota": {"floatingip": 1}})),
        )
        .await
        .expect(200);
    let body = json!({"floatingip": {"floating_network_id": t.public}});
    cloud
        .send(
            Method::POST,
            "/v2.0/floatingips",
            &alice,
            Some(body.clone()),
        )
        .await
        .expect(201);
    let (kind, _) = cloud
        .refused(Method::POST, "/v2.0/floatingips", &alice, Some(body), 409)
        .await;
    assert_eq!(kind, "OverQuota");
    // The refused one's address went back: only one port holds one.
    let held = cloud
        .get("/v2.0/ports?device_owner=network:floatingip", &admin)
        .await
        .expect(200);
    assert_eq!(held.body["ports"].as_array().unwrap().len(), 1);
    let details = cloud
        .get(
            &format!("/v2.0/quotas/{}/details", alice.project_id),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(details.body["quota"]["floatingip"]["used"], 1);
    // An admin names the address.
    let named = cloud
        .create(
            "floatingips",
            "floatingip",
            &admin,
            json!({"floating_network_id": t.public, "floating_ip_address": "203.0.113.77"}),
        )
        .await;
    assert_eq!(named["floating_ip_address"], "203.0.113.77");
}

#[tokio::test]
async fn deleting_an_external_network_takes_its_unused_floating_ips() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let t = topology(&cloud, &admin, &alice).await;
    let unused = cloud
        .create(
            "floatingips",
            "floatingip",
            &admin,
            json!({"floating_network_id": t.public}),
        )
        .await;
    let used = cloud
        .create(
            "floatingips",
            "floatingip",
            &alice,
            json!({"floating_network_id": t.public, "port_id": t.port["id"]}),
        )
        .await;
    let router = format!("/v2.0/routers/{}", t.router);
    cloud
        .send(
            Method::PUT,
            &format!("{router}/remove_router_interface"),
            &alice,
            Some(json!({"subnet_id": t.subnet})),
        )
        .await
        .expect(409);
    // An associated one keeps the network; once gone, the network goes with
    // the unused one.
    let network = format!("/v2.0/networks/{}", t.public);
    let (kind, _) = cloud
        .refused(Method::DELETE, &network, &admin, None, 409)
        .await;
    assert_eq!(kind, "NetworkInUse");
    let still = format!("/v2.0/floatingips/{}", unused["id"].as_str().unwrap());
    cloud.get(&still, &admin).await.expect(200);
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/floatingips/{}", used["id"].as_str().unwrap()),
            &alice,
            None,
        )
        .await
        .expect(204);
    cloud
        .send(
            Method::PUT,
            &router,
            &alice,
            Some(json!({"router": {"external_gateway_info": {}}})),
        )
        .await
        .expect(200);
    cloud
        .send(Method::DELETE, &network, &admin, None)
        .await
        .expect(204);
    cloud.refused(Method::GET, &still, &admin, None, 404).await;
}
