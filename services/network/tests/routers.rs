//! Routers over HTTP: gateways on external networks, interfaces by subnet
//! and by port, extra routes, and the refusals that protect them.

mod common;

use common::{error, Cloud};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn routers_with_a_gateway_interfaces_and_routes() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let public = cloud
        .create(
            "networks",
            "network",
            &admin,
            json!({"name": "public", "router:external": true}),
        )
        .await;
    let public_id = public["id"].as_str().unwrap();
    cloud
        .create("subnets", "subnet", &admin, json!({"network_id": public_id, "ip_version": 4, "cidr": "203.0.113.0/24", "enable_dhcp": false}))
        .await;
    let private = cloud
        .create("networks", "network", &alice, json!({"name": "private"}))
        .await;
    let private_only = cloud
        .send(
            Method::POST,
            "/v2.0/routers",
            &alice,
            Some(json!({"router": {"external_gateway_info": {"network_id": private["id"]}}})),
        )
        .await
        .expect(400);
    assert_eq!(
        error(&private_only).1,
        format!(
            "Bad router request: Network {} is not an external network.",
            private["id"].as_str().unwrap()
        )
    );
    let snat = cloud
        .send(Method::POST, "/v2.0/routers", &alice, Some(json!({"router": {"external_gateway_info": {"network_id": public_id, "enable_snat": false}}})))
        .await
        .expect(403);
    assert_eq!(error(&snat).1, "(rule:create_router and rule:create_router:external_gateway_info:enable_snat) is disallowed by policy");

    let router = cloud
        .create(
            "routers",
            "router",
            &alice,
            json!({"name": "r", "external_gateway_info": {"network_id": public_id}}),
        )
        .await;
    let rid = router["id"].as_str().unwrap();
    assert_eq!(router["status"], "ACTIVE");
    let gateway = &router["external_gateway_info"];
    assert_eq!(gateway["network_id"], json!(public_id));
    assert_eq!(gateway["enable_snat"], true);
    assert!(gateway["external_fixed_ips"][0]["ip_address"]
        .as_str()
        .unwrap()
        .starts_with("203.0.113."));

    // An interface by subnet takes its gateway address.
    let (_, subnet) = cloud
        .network_with_subnet(&alice, "inside", "10.30.0.0/24")
        .await;
    let added = cloud
        .send(
            Method::PUT,
            &format!("/v2.0/routers/{rid}/add_router_interface"),
            &alice,
            Some(json!({"subnet_id": subnet})),
        )
        .await
        .expect(200);
    assert_eq!(added.body["subnet_id"], json!(subnet));
    let port_id = added.body["port_id"].as_str().unwrap().to_string();
    let port = cloud
        .get(&format!("/v2.0/ports/{port_id}"), &alice)
        .await
        .expect(200)
        .body["port"]
        .clone();
    assert_eq!(port["device_owner"], "network:router_interface");
    assert_eq!(port["device_id"], json!(rid));
    assert_eq!(port["fixed_ips"][0]["ip_address"], "10.30.0.1");
    let by_router = cloud
        .get(&format!("/v2.0/ports?device_id={rid}"), &alice)
        .await
        .expect(200);
    assert_eq!(by_router.body["ports"].as_array().unwrap().len(), 1);
    let again = cloud
        .send(
            Method::PUT,
            &format!("/v2.0/routers/{rid}/add_router_interface"),
            &alice,
            Some(json!({"subnet_id": subnet})),
        )
        .await
        .expect(400);
    assert_eq!(
        error(&again).1,
        format!("Bad router request: Router already has a port on subnet {subnet}.")
    );
    let direct = cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/ports/{port_id}"),
            &alice,
            None,
        )
        .await
        .expect(409);
    assert_eq!(error(&direct).0, "ServicePortInUse");
    let busy_subnet = cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/subnets/{subnet}"),
            &alice,
            None,
        )
        .await
        .expect(409);
    assert_eq!(error(&busy_subnet).0, "SubnetInUse");

    // An interface from an unused port; a used port is refused.
    let (net2, _) = cloud
        .network_with_subnet(&alice, "second", "10.31.0.0/24")
        .await;
    let free = cloud
        .create("ports", "port", &alice, json!({"network_id": net2}))
        .await;
    let taken = cloud
        .create(
            "ports",
            "port",
            &alice,
            json!({"network_id": net2, "device_id": "vm-1"}),
        )
        .await;
    let refused = cloud
        .send(
            Method::PUT,
            &format!("/v2.0/routers/{rid}/add_router_interface"),
            &alice,
            Some(json!({"port_id": taken["id"]})),
        )
        .await
        .expect(409);
    assert_eq!(error(&refused).0, "PortInUse");
    cloud
        .send(
            Method::PUT,
            &format!("/v2.0/routers/{rid}/add_router_interface"),
            &alice,
            Some(json!({"port_id": free["id"]})),
        )
        .await
        .expect(200);

    // Extra routes must go through an interface's subnet.
    let path = format!("/v2.0/routers/{rid}");
    let far = cloud
        .send(Method::PUT, &path, &alice, Some(json!({"router": {"routes": [{"destination": "192.168.0.0/16", "nexthop": "172.16.0.1"}]}})))
        .await
        .expect(400);
    assert_eq!(error(&far).0, "InvalidRoutes");
    let routed = cloud
        .send(Method::PUT, &path, &alice, Some(json!({"router": {"routes": [{"destination": "192.168.0.0/16", "nexthop": "10.30.0.9"}]}})))
        .await
        .expect(200);
    assert_eq!(
        routed.body["router"]["routes"],
        json!([{"destination": "192.168.0.0/16", "nexthop": "10.30.0.9"}])
    );
    let needed = cloud
        .send(
            Method::PUT,
            &format!("{path}/remove_router_interface"),
            &alice,
            Some(json!({"subnet_id": subnet})),
        )
        .await
        .expect(409);
    assert_eq!(error(&needed).0, "RouterInterfaceInUseByRoute");
    cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"router": {"routes": []}})),
        )
        .await
        .expect(200);

    let in_use = cloud
        .send(Method::DELETE, &path, &alice, None)
        .await
        .expect(409);
    assert_eq!(error(&in_use).0, "RouterInUse");
    cloud
        .send(
            Method::PUT,
            &format!("{path}/remove_router_interface"),
            &alice,
            Some(json!({"subnet_id": subnet})),
        )
        .await
        .expect(200);
    cloud
        .send(
            Method::PUT,
            &format!("{path}/remove_router_interface"),
            &alice,
            Some(json!({"port_id": free["id"]})),
        )
        .await
        .expect(200);
    let missing = cloud
        .send(
            Method::PUT,
            &format!("{path}/remove_router_interface"),
            &alice,
            Some(json!({"subnet_id": subnet})),
        )
        .await
        .expect(404);
    assert_eq!(error(&missing).0, "RouterInterfaceNotFoundForSubnet");
    // Clearing the gateway frees its address; then the router goes.
    let cleared = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"router": {"external_gateway_info": {}}})),
        )
        .await
        .expect(200);
    assert_eq!(cleared.body["router"]["external_gateway_info"], json!(null));
    cloud
        .send(Method::DELETE, &path, &alice, None)
        .await
        .expect(204);
    let gone = cloud.get(&path, &alice).await.expect(404);
    assert_eq!(
        error(&gone),
        (
            "RouterNotFound".into(),
            format!("Router {rid} could not be found")
        )
    );
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/subnets/{subnet}"),
            &alice,
            None,
        )
        .await
        .expect(204);
}
