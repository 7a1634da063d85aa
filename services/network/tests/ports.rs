//! Ports over HTTP: addresses (chosen, asked for, concurrent, exhausted),
//! MACs, security groups and port security, bindings, updates and deletes.

mod common;

use common::{error, Cloud};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn ports_get_an_address_a_mac_and_the_default_group() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let (net, subnet) = cloud.network_with_subnet(&alice, "n", "10.0.0.0/24").await;
    let port = cloud
        .create(
            "ports",
            "port",
            &alice,
            json!({"network_id": net, "name": "p"}),
        )
        .await;
    assert_eq!(port["status"], "DOWN");
    assert_eq!(port["admin_state_up"], true);
    assert!(
        port["mac_address"]
            .as_str()
            .unwrap()
            .starts_with("fa:16:3e:"),
        "{port}"
    );
    let ip = port["fixed_ips"][0]["ip_address"].as_str().unwrap();
    assert_eq!(port["fixed_ips"][0]["subnet_id"], json!(subnet));
    let last: u8 = ip.rsplit('.').next().unwrap().parse().unwrap();
    assert!(
        ip.starts_with("10.0.0.") && (2..=254).contains(&last),
        "{ip}"
    );
    assert_eq!(
        port["dns_assignment"][0]["hostname"],
        format!("host-{}", ip.replace('.', "-"))
    );
    assert_eq!(port["port_security_enabled"], true);
    assert_eq!(port["binding:vnic_type"], "normal");
    assert!(
        port.get("binding:host_id").is_none(),
        "binding details are for admins: {port}"
    );
    let groups = cloud
        .get("/v2.0/security-groups?name=default", &alice)
        .await
        .expect(200);
    let default = groups.body["security_groups"][0]["id"].clone();
    assert_eq!(port["security_groups"], json!([default]));

    // Asked-for addresses, and Neutron's refusals (the first port's was
    // picked at random: one it does not hold).
    let wanted = if ip == "10.0.0.50" {
        "10.0.0.51"
    } else {
        "10.0.0.50"
    };
    let fixed = cloud
        .create(
            "ports",
            "port",
            &alice,
            json!({"network_id": net, "fixed_ips": [{"ip_address": wanted}]}),
        )
        .await;
    assert_eq!(
        fixed["fixed_ips"],
        json!([{"subnet_id": subnet, "ip_address": wanted}])
    );
    let post = |fields: serde_json::Value| {
        let (cloud, alice) = (&cloud, &alice);
        async move {
            cloud
                .send(
                    Method::POST,
                    "/v2.0/ports",
                    alice,
                    Some(json!({"port": fields})),
                )
                .await
        }
    };
    let taken = post(json!({"network_id": net, "fixed_ips": [{"ip_address": wanted}]}))
        .await
        .expect(409);
    assert_eq!(
        error(&taken),
        (
            "IpAddressAlreadyAllocated".into(),
            format!("IP address {wanted} already allocated in subnet {subnet}")
        )
    );
    let outside = post(json!({"network_id": net, "fixed_ips": [{"ip_address": "10.9.0.5"}]}))
        .await
        .expect(400);
    assert_eq!(error(&outside).0, "InvalidIpForNetwork");
    let wrong = post(json!({"network_id": net, "fixed_ips": [{"subnet_id": subnet, "ip_address": "10.0.0.255"}]})).await.expect(400);
    assert_eq!(
        error(&wrong),
        (
            "InvalidIpForSubnet".into(),
            "IP address 10.0.0.255 is not a valid IP for the specified subnet.".into()
        )
    );
    let dup = post(json!({"network_id": net, "fixed_ips": [{"ip_address": "10.0.0.7"}, {"ip_address": "10.0.0.7"}]})).await.expect(400);
    assert_eq!(
        error(&dup).1,
        "Invalid input for fixed_ips. Reason: Duplicate IP address '10.0.0.7'."
    );
    let mac = post(json!({"network_id": net, "mac_address": fixed["mac_address"]}))
        .await
        .expect(409);
    assert_eq!(error(&mac).0, "MacAddressInUse");
    let bad_mac = post(json!({"network_id": net, "mac_address": "zz:zz"}))
        .await
        .expect(400);
    assert_eq!(
        error(&bad_mac).1,
        "Invalid input for mac_address. Reason: 'zz:zz' is not a valid MAC address."
    );
    let no_net = post(json!({"network_id": "00000000-0000-0000-0000-000000000000"}))
        .await
        .expect(404);
    assert_eq!(error(&no_net).0, "NetworkNotFound");
    let binding = post(json!({"network_id": net, "binding:host_id": "node1"}))
        .await
        .expect(403);
    assert_eq!(
        error(&binding).1,
        "(rule:create_port and rule:create_port:binding:host_id) is disallowed by policy"
    );
    let none = cloud
        .create(
            "ports",
            "port",
            &alice,
            json!({"network_id": net, "fixed_ips": []}),
        )
        .await;
    assert_eq!(none["fixed_ips"], json!([]));

    // Port security off: no groups, no pairs.
    let open = cloud
        .create(
            "ports",
            "port",
            &alice,
            json!({"network_id": net, "port_security_enabled": false}),
        )
        .await;
    assert_eq!(open["security_groups"], json!([]));
    let both = post(
        json!({"network_id": net, "port_security_enabled": false, "security_groups": [default]}),
    )
    .await
    .expect(400);
    assert_eq!(error(&both).0, "PortSecurityAndIPRequiredForSecurityGroups");
    let pairs = post(json!({"network_id": net, "port_security_enabled": false, "allowed_address_pairs": [{"ip_address": "10.0.0.99"}]})).await.expect(409);
    assert_eq!(error(&pairs).0, "AddressPairAndPortSecurityRequired");
    let path = format!("/v2.0/ports/{}", port["id"].as_str().unwrap());
    let has_groups = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"port": {"port_security_enabled": false}})),
        )
        .await
        .expect(409);
    assert_eq!(error(&has_groups).0, "PortSecurityPortHasSecurityGroup");
    let cleared = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"port": {"port_security_enabled": false, "security_groups": []}})),
        )
        .await
        .expect(200);
    assert_eq!(cleared.body["port"]["security_groups"], json!([]));
    assert_eq!(cleared.body["port"]["revision_number"], 2);

    // New addresses on update (one no port has: others got random ones);
    // the old one is free again.
    let taken = cloud
        .get(&format!("/v2.0/ports?network_id={net}"), &alice)
        .await
        .expect(200)
        .body
        .to_string();
    let free = (60..250)
        .map(|i| format!("10.0.0.{i}"))
        .find(|a| !taken.contains(&format!("\"{a}\"")))
        .unwrap();
    let moved = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"port": {"fixed_ips": [{"ip_address": free}], "name": "moved"}})),
        )
        .await
        .expect(200);
    assert_eq!(
        moved.body["port"]["fixed_ips"][0]["ip_address"],
        json!(free)
    );
    cloud
        .create(
            "ports",
            "port",
            &alice,
            json!({"network_id": net, "fixed_ips": [{"ip_address": ip}]}),
        )
        .await;

    // Admins see and set bindings; without an agent a binding fails.
    let admin = cloud.identity.admin_persona().await;
    let bound = cloud
        .send(
            Method::PUT,
            &path,
            &admin,
            Some(json!({"port": {"binding:host_id": "node1"}})),
        )
        .await
        .expect(200);
    assert_eq!(bound.body["port"]["binding:host_id"], "node1");
    assert_eq!(bound.body["port"]["binding:vif_type"], "binding_failed");
    let by_device = cloud
        .get(
            &format!("/v2.0/ports?fixed_ips=ip_address%3D{free}"),
            &alice,
        )
        .await
        .expect(200);
    assert_eq!(by_device.body["ports"].as_array().unwrap().len(), 1);

    cloud
        .send(Method::DELETE, &path, &alice, None)
        .await
        .expect(204);
    let gone = cloud.get(&path, &alice).await.expect(404);
    assert_eq!(error(&gone).0, "PortNotFound");
    cloud
        .create(
            "ports",
            "port",
            &alice,
            json!({"network_id": net, "fixed_ips": [{"ip_address": free}]}),
        )
        .await;
}

/// Concurrent creates on one subnet, by two projects on a shared network (so
/// no quota lock orders them), get distinct addresses; an exhausted subnet
/// answers Neutron's 409.
#[tokio::test]
async fn concurrent_ports_never_share_an_address() {
    let cloud = Cloud::with_config(|c| c.set("quotas", "quota_port", "-1")).await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let bob = cloud.identity.persona(&["member"]).await;
    let net = cloud
        .create("networks", "network", &admin, json!({"shared": true}))
        .await;
    let net_id = net["id"].as_str().unwrap().to_string();
    cloud
        .create("subnets", "subnet", &admin, json!({"network_id": net_id, "ip_version": 4, "cidr": "10.5.0.0/26", "enable_dhcp": false}))
        .await;
    let creates = (0..50).map(|i| {
        let (cloud, net_id) = (&cloud, net_id.clone());
        let who = if i % 2 == 0 { &alice } else { &bob };
        async move {
            cloud
                .send(
                    Method::POST,
                    "/v2.0/ports",
                    who,
                    Some(json!({"port": {"network_id": net_id}})),
                )
                .await
        }
    });
    let results = futures::future::join_all(creates).await;
    let mut addresses: Vec<String> = results
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.body);
            r.body["port"]["fixed_ips"][0]["ip_address"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    addresses.sort();
    addresses.dedup();
    assert_eq!(addresses.len(), 50);
    // 61 usable addresses of a /26 without its gateway: 11 left.
    for _ in 0..11 {
        cloud
            .create("ports", "port", &alice, json!({"network_id": net_id}))
            .await;
    }
    let full = cloud
        .send(
            Method::POST,
            "/v2.0/ports",
            &alice,
            Some(json!({"port": {"network_id": net_id}})),
        )
        .await
        .expect(409);
    assert_eq!(
        error(&full),
        (
            "IpAddressGenerationFailure".into(),
            format!("No more IP addresses available on network {net_id}.")
        )
    );
}

/// Concurrent creates at the limit make exactly as many ports as it allows.
#[tokio::test]
async fn concurrent_creates_never_pass_the_quota() {
    let cloud = Cloud::with_config(|c| c.set("quotas", "quota_port", "10")).await;
    let alice = cloud.identity.persona(&["member"]).await;
    let net = cloud.create("networks", "network", &alice, json!({})).await;
    let creates = (0..30).map(|_| {
        let (cloud, alice, net_id) = (&cloud, &alice, net["id"].clone());
        async move {
            cloud
                .send(
                    Method::POST,
                    "/v2.0/ports",
                    alice,
                    Some(json!({"port": {"network_id": net_id}})),
                )
                .await
                .status
        }
    });
    let statuses = futures::future::join_all(creates).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        10,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let listed = cloud.get("/v2.0/ports", &alice).await.expect(200);
    assert_eq!(listed.body["ports"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn quotas_bound_what_a_project_makes() {
    let cloud = Cloud::with_config(|c| c.set("quotas", "quota_port", "2")).await;
    let alice = cloud.identity.persona(&["member"]).await;
    let net = cloud.create("networks", "network", &alice, json!({})).await;
    for _ in 0..2 {
        cloud
            .create("ports", "port", &alice, json!({"network_id": net["id"]}))
            .await;
    }
    let over = cloud
        .send(
            Method::POST,
            "/v2.0/ports",
            &alice,
            Some(json!({"port": {"network_id": net["id"]}})),
        )
        .await
        .expect(409);
    assert_eq!(
        error(&over),
        (
            "OverQuota".into(),
            "Quota exceeded for resources: ['port'].".into()
        )
    );
}
