//! Servers with ports: compute asks the network service for them on the
//! user's token, binds them to the server's host, shows their addresses, and
//! deletes (or releases) them with the server.

mod common;

use common::networks::{body, boot, network, ports_of, routed_public, unused_ip};
use common::{create, setup_with_networks, Cloud, V47};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

async fn refused(cloud: &Cloud, who: &Persona, body: Value, version: &str) -> (u16, String) {
    let resp = cloud
        .send(
            Method::POST,
            "/v2.1/servers",
            who,
            Some(body),
            Some(version),
        )
        .await;
    (resp.status, resp.message())
}

#[tokio::test]
async fn a_server_gets_bound_ports_and_gives_them_back() {
    let (cloud, _admin, alice, image) = setup_with_networks(1, |_| {}).await;
    let net = network(&cloud, &alice, "private", "10.1.0.0/24").await;

    // A port made for the server, on its host, with its address shown.
    let (id, server) = boot(&cloud, &alice, &image, json!([{"uuid": net}])).await;
    let ports = ports_of(&cloud, &alice, &id).await;
    assert_eq!(ports.len(), 1, "{ports:?}");
    let port = &ports[0];
    assert_eq!(port["device_owner"], "compute:nova");
    let ip = port["fixed_ips"][0]["ip_address"].as_str().unwrap();
    let addresses = &server["addresses"]["private"];
    assert_eq!(addresses[0]["addr"], ip, "{server}");
    assert_eq!(addresses[0]["version"], 4);
    assert_eq!(addresses[0]["OS-EXT-IPS:type"], "fixed");
    assert_eq!(addresses[0]["OS-EXT-IPS-MAC:mac_addr"], port["mac_address"]);
    let ips = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}/ips"),
            &alice,
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        ips.body,
        json!({"addresses": {"private": [{"version": 4, "addr": ip}]}})
    );
    let one = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}/ips/private"),
            &alice,
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(one.body, json!({"private": [{"version": 4, "addr": ip}]}));
    let other = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}/ips/public"),
            &alice,
            None,
            None,
        )
        .await
        .expect(404);
    assert_eq!(
        other.message(),
        "Instance is not a member of specified network"
    );
    let admin_view = cloud
        .network_api(
            Method::GET,
            &format!("/v2.0/ports/{}", port["id"].as_str().unwrap()),
            &_admin,
            None,
        )
        .await;
    assert_eq!(admin_view.body["port"]["binding:host_id"], "node1");
    assert_eq!(admin_view.body["port"]["status"], "ACTIVE");

    // Listed by a regular expression of its fixed address.
    let listed = |filter: String| {
        let cloud = &cloud;
        let alice = &alice;
        async move {
            cloud
                .send(
                    Method::GET,
                    &format!("/v2.1/servers?{filter}"),
                    alice,
                    None,
                    None,
                )
                .await
                .expect(200)
                .body["servers"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(listed("ip=10.1.0.".into()).await, 1);
    assert_eq!(listed(format!("ip={ip}")).await, 1);
    assert_eq!(listed("ip=1.1.0".into()).await, 0);
    assert_eq!(listed("ip6=10.1".into()).await, 0);

    // Update replies carry no security groups (show and detail do); every
    // reply names its request as Nova did.
    let renamed = cloud
        .send(
            Method::PUT,
            &format!("/v2.1/servers/{id}"),
            &alice,
            Some(json!({"server": {"name": "s2"}})),
            None,
        )
        .await
        .expect(200);
    assert!(renamed.body["server"].get("security_groups").is_none());
    assert!(renamed.header("x-compute-request-id").is_some());

    // No guest posted a password; clearing it is fine; injecting network
    // info is an admin's action.
    let password = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}/os-server-password"),
            &alice,
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(password.body, json!({"password": ""}));
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/servers/{id}/os-server-password"),
            &alice,
            None,
            None,
        )
        .await
        .expect(204);
    let inject = json!({"injectNetworkInfo": null});
    let action = format!("/v2.1/servers/{id}/action");
    cloud
        .send(Method::POST, &action, &alice, Some(inject.clone()), None)
        .await
        .expect(403);
    cloud
        .send(Method::POST, &action, &_admin, Some(inject), None)
        .await
        .expect(202);

    // A port of the user's own, with a fixed address, is taken and given back.
    let fixed = unused_ip(&cloud, &alice, &net, "10.1.0", 77).await;
    let own = cloud
        .network_api(
            Method::POST,
            "/v2.0/ports",
            &alice,
            Some(json!({"port": {"network_id": net, "fixed_ips": [{"ip_address": fixed}]}})),
        )
        .await;
    let own_id = own.body["port"]["id"].as_str().unwrap().to_string();
    let (taker, server) = boot(&cloud, &alice, &image, json!([{"port": own_id}])).await;
    assert_eq!(server["addresses"]["private"][0]["addr"], fixed.as_str());
    let (status, message) = refused(
        &cloud,
        &alice,
        body(&image, json!([{"port": own_id}])),
        "2.47",
    )
    .await;
    assert_eq!(
        (status, message),
        (409, format!("Port {own_id} is still in use."))
    );

    for server in [&id, &taker] {
        cloud
            .send(
                Method::DELETE,
                &format!("/v2.1/servers/{server}"),
                &alice,
                None,
                None,
            )
            .await
            .expect(204);
        cloud.wait_status(&alice, server, "DELETED").await;
    }
    assert!(ports_of(&cloud, &alice, &id).await.is_empty());
    let kept = cloud
        .network_api(Method::GET, &format!("/v2.0/ports/{own_id}"), &alice, None)
        .await;
    assert_eq!(kept.status, 200, "the user's own port stays");
    assert_eq!(kept.body["port"]["device_id"], "");
    assert_eq!(kept.body["port"]["device_owner"], "");
}

#[tokio::test]
async fn networks_are_checked_at_create() {
    let (cloud, _admin, alice, image) = setup_with_networks(1, |_| {}).await;
    let missing = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        refused(
            &cloud,
            &alice,
            body(&image, json!([{"uuid": missing}])),
            "2.47"
        )
        .await,
        (400, format!("Network {missing} could not be found."))
    );
    assert_eq!(
        refused(
            &cloud,
            &alice,
            body(&image, json!([{"port": missing}])),
            "2.47"
        )
        .await,
        (400, format!("Port id {missing} could not be found."))
    );
    assert_eq!(
        refused(
            &cloud,
            &alice,
            body(&image, json!([{"uuid": "not-a-uuid"}])),
            "2.47"
        )
        .await,
        (
            400,
            "Bad networks format: network uuid is not in proper format (not-a-uuid)".into()
        )
    );
    assert_eq!(
        refused(
            &cloud,
            &alice,
            body(&image, json!([{"port": missing, "fixed_ip": "10.0.0.3"}])),
            "2.47"
        )
        .await
        .0,
        400
    );
    assert_eq!(
        refused(
            &cloud,
            &alice,
            body(&image, json!([{"uuid": missing, "fixed_ip": "ten"}])),
            "2.47"
        )
        .await
        .0,
        400
    );
    // `auto` with no network to use.
    assert_eq!(
        refused(&cloud, &alice, body(&image, json!("auto")), "2.47").await,
        (
            400,
            format!(
                "Unable to automatically allocate a network for project {}",
                alice.project_id
            )
        )
    );

    // `auto` (and no `networks` before 2.37) takes the project's one network.
    let net = network(&cloud, &alice, "mine", "10.2.0.0/24").await;
    let (id, server) = boot(&cloud, &alice, &image, json!("auto")).await;
    assert_eq!(server["addresses"]["mine"][0]["version"], 4, "{server}");
    let old = json!({"server": {"name": "old", "imageRef": image, "flavorRef": "1"}});
    let resp = cloud
        .send(
            Method::POST,
            "/v2.1/servers",
            &alice,
            Some(old),
            Some("2.36"),
        )
        .await
        .expect(202);
    let old_id = resp.body["server"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &old_id, "ACTIVE").await;
    assert_eq!(ports_of(&cloud, &alice, &old_id).await.len(), 1);

    // A port cannot serve two servers of one request.
    let port = ports_of(&cloud, &alice, &id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut two = body(&image, json!([{"port": port}]));
    two["server"]["max_count"] = json!(2);
    assert_eq!(refused(&cloud, &alice, two, "2.47").await.0, 400);

    // Two networks make `auto` ambiguous.
    network(&cloud, &alice, "second", "10.3.0.0/24").await;
    assert_eq!(
        refused(&cloud, &alice, body(&image, json!("auto")), "2.47").await,
        (
            409,
            "Multiple possible networks found, use a Network ID to be more specific.".into()
        )
    );
    // `none` still boots without ports.
    let (bare, server) = boot(&cloud, &alice, &image, json!("none")).await;
    assert_eq!(server["addresses"], json!({}));
    assert!(ports_of(&cloud, &alice, &bare).await.is_empty());
    let _ = (net, V47);
}

#[tokio::test]
async fn a_port_that_cannot_be_made_fails_the_build() {
    let (cloud, _admin, alice, image) = setup_with_networks(1, |_| {}).await;
    let net = network(&cloud, &alice, "small", "10.4.0.0/24").await;
    // An address outside the subnet: the network service refuses the port.
    let id = create(
        &cloud,
        &alice,
        body(&image, json!([{"uuid": net, "fixed_ip": "192.0.2.10"}])),
    )
    .await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut server = Value::Null;
    for _ in 0..200 {
        server = cloud
            .send(
                Method::GET,
                &format!("/v2.1/servers/{id}"),
                &alice,
                None,
                V47,
            )
            .await
            .body["server"]
            .clone();
        if server["status"] == "ERROR" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(server["status"], "ERROR", "{server}");
    assert!(ports_of(&cloud, &alice, &id).await.is_empty());
}

/// Polls server `id` until `check` holds for its `addresses`.
async fn wait_addresses(cloud: &Cloud, who: &Persona, id: &str, check: impl Fn(&Value) -> bool) {
    let mut addresses = Value::Null;
    for _ in 0..100 {
        addresses = cloud
            .send(Method::GET, &format!("/v2.1/servers/{id}"), who, None, V47)
            .await
            .body["server"]["addresses"]
            .clone();
        if check(&addresses) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the addresses of {id} never changed as expected: {addresses}");
}

#[tokio::test]
async fn the_network_service_tells_compute_of_floating_ips_and_deleted_ports() {
    let (cloud, admin, alice, image) = setup_with_networks(1, |_| {}).await;
    let net = network(&cloud, &alice, "private", "10.5.0.0/24").await;
    let public = routed_public(&cloud, &admin, &alice, &net).await;
    let (id, _) = boot(&cloud, &alice, &image, json!([{"uuid": net}])).await;
    let port = ports_of(&cloud, &alice, &id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Associated: the floating address joins the server's addresses.
    let fip = cloud
        .network_api(
            Method::POST,
            "/v2.0/floatingips",
            &alice,
            Some(json!({"floatingip": {"floating_network_id": public, "port_id": port}})),
        )
        .await;
    assert_eq!(fip.status, 201, "{}", fip.body);
    let address = fip.body["floatingip"]["floating_ip_address"]
        .as_str()
        .unwrap()
        .to_string();
    let fip_id = fip.body["floatingip"]["id"].as_str().unwrap().to_string();
    wait_addresses(&cloud, &alice, &id, |a| {
        a["private"].as_array().is_some_and(|l| {
            l.iter()
                .any(|e| e["addr"] == address.as_str() && e["OS-EXT-IPS:type"] == "floating")
        })
    })
    .await;

    // Disassociated: gone again.
    let off = cloud
        .network_api(
            Method::PUT,
            &format!("/v2.0/floatingips/{fip_id}"),
            &alice,
            Some(json!({"floatingip": {"port_id": null}})),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    wait_addresses(&cloud, &alice, &id, |a| {
        a["private"].as_array().is_some_and(|l| l.len() == 1)
    })
    .await;

    // The port deleted behind compute's back: the server has no address left.
    let deleted = cloud
        .network_api(Method::DELETE, &format!("/v2.0/ports/{port}"), &alice, None)
        .await;
    assert_eq!(deleted.status, 204);
    wait_addresses(&cloud, &alice, &id, |a| a == &json!({})).await;
}

#[tokio::test]
async fn security_groups_go_on_the_ports_made() {
    let (cloud, _admin, alice, image) = setup_with_networks(1, |_| {}).await;
    let net = network(&cloud, &alice, "private", "10.6.0.0/24").await;
    let web = cloud
        .network_api(
            Method::POST,
            "/v2.0/security-groups",
            &alice,
            Some(json!({"security_group": {"name": "web"}})),
        )
        .await;
    assert_eq!(web.status, 201, "{}", web.body);
    let web_id = web.body["security_group"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let mut asked = body(&image, json!([{"uuid": net}]));
    asked["server"]["security_groups"] = json!([{"name": "web"}]);
    let created = create(&cloud, &alice, asked).await;
    assert_eq!(
        created["server"]["security_groups"],
        json!([{"name": "web"}])
    );
    let id = created["server"]["id"].as_str().unwrap().to_string();
    let server = cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(server["security_groups"], json!([{"name": "web"}]));
    let ports = ports_of(&cloud, &alice, &id).await;
    assert_eq!(ports[0]["security_groups"], json!([web_id]));

    // None asked: the network service's default group.
    let (plain, server) = boot(&cloud, &alice, &image, json!([{"uuid": net}])).await;
    assert_eq!(server["security_groups"], json!([{"name": "default"}]));
    assert_eq!(ports_of(&cloud, &alice, &plain).await.len(), 1);

    let mut unknown = body(&image, json!([{"uuid": net}]));
    unknown["server"]["security_groups"] = json!([{"name": "nope"}]);
    assert_eq!(
        refused(&cloud, &alice, unknown, "2.47").await,
        (400, "Security group nope not found.".into())
    );
    let mut bad = body(&image, json!([{"uuid": net}]));
    bad["server"]["security_groups"] = json!([{"id": web_id}]);
    assert_eq!(refused(&cloud, &alice, bad, "2.47").await.0, 400);
}

#[tokio::test]
async fn ports_follow_their_server_to_another_host() {
    let (cloud, admin, alice, image) = setup_with_networks(2, |_| {}).await;
    let net = network(&cloud, &alice, "private", "10.7.0.0/24").await;
    let (id, _) = boot(&cloud, &alice, &image, json!([{"uuid": net}])).await;
    let host_of = |server: Value| server["OS-EXT-SRV-ATTR:host"].as_str().unwrap().to_string();
    let view = |id: String| {
        let cloud = &cloud;
        let admin = &admin;
        async move {
            cloud
                .send(
                    Method::GET,
                    &format!("/v2.1/servers/{id}"),
                    admin,
                    None,
                    V47,
                )
                .await
                .body["server"]
                .clone()
        }
    };
    let source = host_of(view(id.clone()).await);
    let port = ports_of(&cloud, &alice, &id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let binding = || async {
        cloud
            .network_api(Method::GET, &format!("/v2.0/ports/{port}"), &admin, None)
            .await
            .body["port"]["binding:host_id"]
            .clone()
    };
    assert_eq!(binding().await, source.as_str());

    cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{id}/action"),
            &admin,
            Some(json!({"migrate": null})),
            None,
        )
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "VERIFY_RESIZE").await;
    let dest = host_of(view(id.clone()).await);
    assert_ne!(dest, source);
    assert_eq!(binding().await, dest.as_str());

    // Reverted: the port goes back with the server.
    cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{id}/action"),
            &alice,
            Some(json!({"revertResize": null})),
            None,
        )
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(binding().await, source.as_str());
}

#[tokio::test]
async fn a_server_deleted_while_it_builds_leaves_no_port() {
    let (cloud, _admin, alice, image) =
        setup_with_networks(1, |c| c.set("fake", "spawn_delay_ms", "1000")).await;
    let net = network(&cloud, &alice, "private", "10.8.0.0/24").await;
    let id = create(&cloud, &alice, body(&image, json!([{"uuid": net}]))).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Its port is made before its guest spawns.
    for _ in 0..100 {
        if !ports_of(&cloud, &alice, &id).await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(ports_of(&cloud, &alice, &id).await.len(), 1);
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/servers/{id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(204);
    cloud.wait_status(&alice, &id, "DELETED").await;
    for _ in 0..100 {
        if ports_of(&cloud, &alice, &id).await.is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the port of deleted server {id} stayed");
}

#[tokio::test]
async fn interfaces_attach_and_detach() {
    let (cloud, admin, alice, image) = setup_with_networks(1, |_| {}).await;
    let net = network(&cloud, &alice, "private", "10.9.0.0/24").await;
    let (id, _) = boot(&cloud, &alice, &image, json!([{"uuid": net}])).await;
    let path = format!("/v2.1/servers/{id}/os-interface");
    let send = |method: Method, path: String, body: Option<Value>| {
        let cloud = &cloud;
        let alice = &alice;
        async move { cloud.send(method, &path, alice, body, Some("2.70")).await }
    };

    // On a network at a fixed address, tagged.
    let fixed = unused_ip(&cloud, &alice, &net, "10.9.0", 50).await;
    let added = send(
        Method::POST,
        path.clone(),
        Some(json!({"interfaceAttachment": {"net_id": net, "tag": "data",
            "fixed_ips": [{"ip_address": fixed}]}})),
    )
    .await
    .expect(200);
    let attachment = &added.body["interfaceAttachment"];
    assert_eq!(attachment["fixed_ips"][0]["ip_address"], fixed.as_str());
    assert_eq!(attachment["net_id"], net.as_str());
    assert_eq!(attachment["tag"], "data");
    let port = attachment["port_id"].as_str().unwrap().to_string();
    let listed = send(Method::GET, path.clone(), None).await.expect(200);
    assert_eq!(
        listed.body["interfaceAttachments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let shown = send(Method::GET, format!("{path}/{port}"), None)
        .await
        .expect(200);
    assert_eq!(
        shown.body["interfaceAttachment"]["mac_addr"],
        attachment["mac_addr"]
    );
    let server = cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(server["addresses"]["private"].as_array().unwrap().len(), 2);
    let diagnostics = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}/diagnostics"),
            &admin,
            None,
            Some("2.48"),
        )
        .await
        .expect(200);
    assert_eq!(diagnostics.body["num_nics"], 2);

    // The user's own port, in use by now, cannot go to another server.
    send(
        Method::POST,
        path.clone(),
        Some(json!({"interfaceAttachment": {"port_id": port}})),
    )
    .await
    .expect(409);
    let missing = uuid::Uuid::new_v4().to_string();
    let gone = send(
        Method::POST,
        path.clone(),
        Some(json!({"interfaceAttachment": {"net_id": missing}})),
    )
    .await
    .expect(404);
    assert_eq!(
        gone.message(),
        format!("Network {missing} could not be found.")
    );
    // Without a network: the project's only one.
    let auto = send(Method::POST, path.clone(), None).await.expect(200);
    let auto_port = auto.body["interfaceAttachment"]["port_id"]
        .as_str()
        .unwrap()
        .to_string();

    // Detached: the ports made for it are deleted.
    for made in [&port, &auto_port] {
        send(Method::DELETE, format!("{path}/{made}"), None)
            .await
            .expect(202);
        let after = cloud
            .network_api(Method::GET, &format!("/v2.0/ports/{made}"), &alice, None)
            .await;
        assert_eq!(after.status, 404);
    }
    let not_ours = send(Method::DELETE, format!("{path}/{missing}"), None)
        .await
        .expect(404);
    assert_eq!(
        not_ours.message(),
        format!("Instance {id} does not have a port with id {missing}")
    );
    let server = cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(server["addresses"]["private"].as_array().unwrap().len(), 1);
    let actions = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}/os-instance-actions"),
            &alice,
            None,
            None,
        )
        .await
        .expect(200);
    let names: Vec<&str> = actions.body["instanceActions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    assert!(
        names.contains(&"attach_interface") && names.contains(&"detach_interface"),
        "{names:?}"
    );

    // Shelved (offloaded): no interface changes.
    cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{id}/action"),
            &alice,
            Some(json!({"shelve": null})),
            None,
        )
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "SHELVED_OFFLOADED").await;
    send(
        Method::POST,
        path.clone(),
        Some(json!({"interfaceAttachment": {"net_id": net}})),
    )
    .await
    .expect(409);
}
