//! Nova's proxies to the network service: security groups and their rules,
//! floating IPs and their pools, and the nova-network era network lists,
//! up to 2.35; the server actions that use them.

mod common;

use common::networks::{boot, network, routed_public};
use common::{setup_with_networks, Cloud, Resp};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

const V1: Option<&str> = Some("2.1");

async fn nova(
    cloud: &Cloud,
    method: Method,
    path: &str,
    who: &Persona,
    body: Option<Value>,
) -> Resp {
    cloud
        .send(method, &format!("/v2.1{path}"), who, body, V1)
        .await
}

async fn action(cloud: &Cloud, who: &Persona, server: &str, body: Value) -> Resp {
    nova(
        cloud,
        Method::POST,
        &format!("/servers/{server}/action"),
        who,
        Some(body),
    )
    .await
}

fn rule(parent: &str, fields: Value) -> Value {
    let mut rule = json!({ "parent_group_id": parent });
    for (k, v) in fields.as_object().unwrap() {
        rule[k] = v.clone();
    }
    json!({ "security_group_rule": rule })
}

fn names(groups: &Value) -> Vec<String> {
    groups["security_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn security_groups_and_rules_through_nova() {
    let (cloud, _admin, alice, image) = setup_with_networks(1, |_| {}).await;
    let made = nova(
        &cloud,
        Method::POST,
        "/os-security-groups",
        &alice,
        Some(json!({"security_group": {"name": "web", "description": "for web"}})),
    )
    .await
    .expect(200);
    let group = &made.body["security_group"];
    let web = group["id"].as_str().unwrap().to_string();
    assert_eq!(group["name"], "web");
    assert_eq!(group["description"], "for web");
    assert_eq!(group["tenant_id"], alice.project_id.as_str());
    // Neutron's egress rules are not Nova's to show.
    assert_eq!(group["rules"], json!([]), "{group}");

    // A cidr rule, shown in Nova's shape; the same again is refused.
    let ssh = rule(
        &web,
        json!({"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "10.0.0.0/8"}),
    );
    let created = nova(
        &cloud,
        Method::POST,
        "/os-security-group-rules",
        &alice,
        Some(ssh.clone()),
    )
    .await
    .expect(200);
    let ssh_rule = &created.body["security_group_rule"];
    assert_eq!(
        (
            ssh_rule["ip_protocol"].clone(),
            ssh_rule["from_port"].clone(),
            ssh_rule["to_port"].clone()
        ),
        (json!("tcp"), json!(22), json!(22))
    );
    assert_eq!(ssh_rule["ip_range"], json!({"cidr": "10.0.0.0/8"}));
    assert_eq!(ssh_rule["group"], json!({}));
    assert_eq!(ssh_rule["parent_group_id"], web.as_str());
    let again = nova(
        &cloud,
        Method::POST,
        "/os-security-group-rules",
        &alice,
        Some(ssh),
    )
    .await
    .expect(400);
    assert_eq!(
        again.message(),
        format!("This rule already exists in group {web}")
    );

    // A rule from a source group opens the protocol's whole range.
    let grouped = nova(
        &cloud,
        Method::POST,
        "/os-security-group-rules",
        &alice,
        Some(rule(&web, json!({"ip_protocol": "icmp", "group_id": web}))),
    )
    .await
    .expect(200);
    let grouped = &grouped.body["security_group_rule"];
    assert_eq!(
        (grouped["from_port"].clone(), grouped["to_port"].clone()),
        (json!(-1), json!(-1))
    );
    assert_eq!(
        grouped["group"],
        json!({"name": "web", "tenant_id": alice.project_id})
    );
    assert_eq!(grouped["ip_range"], json!({}));

    // Bad rules get Nova's 400s.
    for (fields, message) in [
        (
            json!({"ip_protocol": "gre", "from_port": 1, "to_port": 2}),
            "Invalid IP protocol gre.",
        ),
        (
            json!({"ip_protocol": "tcp", "from_port": 80, "to_port": 22}),
            "Invalid port range 80:22. Former value cannot be greater than the later",
        ),
        (
            json!({"ip_protocol": "tcp", "from_port": "a", "to_port": 22}),
            "Invalid input received: To and From ports must be integers",
        ),
        (
            json!({"ip_protocol": "tcp", "from_port": 1, "to_port": 2, "cidr": "10.0.0.0/0"}),
            "Bad prefix for network in cidr 10.0.0.0/0",
        ),
        (
            json!({"ip_protocol": "tcp", "from_port": 1, "to_port": 2, "cidr": "nonsense"}),
            "Invalid cidr nonsense.",
        ),
        (
            json!({"cidr": "10.0.0.0/8"}),
            "Not enough parameters to build a valid rule.",
        ),
    ] {
        let refused = nova(
            &cloud,
            Method::POST,
            "/os-security-group-rules",
            &alice,
            Some(rule(&web, fields)),
        )
        .await
        .expect(400);
        assert_eq!(refused.message(), message);
    }
    let unknown = "0a9e0f8e-6bd4-4b76-a6d5-2d4f1e0e2a11";
    nova(
        &cloud,
        Method::POST,
        "/os-security-group-rules",
        &alice,
        Some(rule(
            unknown,
            json!({"ip_protocol": "tcp", "from_port": 1, "to_port": 2}),
        )),
    )
    .await
    .expect(404);

    // Show, update, list; the microversion after 2.35 has none of them.
    let shown = nova(
        &cloud,
        Method::GET,
        &format!("/os-security-groups/{web}"),
        &alice,
        None,
    )
    .await
    .expect(200);
    assert_eq!(
        shown.body["security_group"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let updated = nova(
        &cloud,
        Method::PUT,
        &format!("/os-security-groups/{web}"),
        &alice,
        Some(json!({"security_group": {"name": "www", "description": "d"}})),
    )
    .await
    .expect(200);
    assert_eq!(updated.body["security_group"]["name"], "www");
    let listed = nova(&cloud, Method::GET, "/os-security-groups", &alice, None)
        .await
        .expect(200);
    assert!(
        names(&listed.body).contains(&"www".to_string()),
        "{}",
        listed.body
    );
    let limited = nova(
        &cloud,
        Method::GET,
        "/os-security-groups?limit=1",
        &alice,
        None,
    )
    .await
    .expect(200);
    assert_eq!(limited.body["security_groups"].as_array().unwrap().len(), 1);
    nova(
        &cloud,
        Method::GET,
        "/os-security-groups?limit=x",
        &alice,
        None,
    )
    .await
    .expect(400);
    let bad_id = nova(
        &cloud,
        Method::GET,
        "/os-security-groups/not-a-uuid",
        &alice,
        None,
    )
    .await
    .expect(400);
    assert_eq!(bad_id.message(), "Security group id should be uuid");
    nova(
        &cloud,
        Method::GET,
        &format!("/os-security-groups/{unknown}"),
        &alice,
        None,
    )
    .await
    .expect(404);
    nova(
        &cloud,
        Method::PUT,
        &format!("/os-security-groups/{web}"),
        &alice,
        Some(json!({"security_group": {"name": "x"}})),
    )
    .await
    .expect(400);
    cloud
        .send(
            Method::GET,
            "/v2.1/os-security-groups",
            &alice,
            None,
            Some("2.36"),
        )
        .await
        .expect(404);

    // A server's groups: added by name, in use, removed.
    let net = network(&cloud, &alice, "private", "10.9.0.0/24").await;
    let (server, _) = boot(&cloud, &alice, &image, json!([{"uuid": net}])).await;
    action(
        &cloud,
        &alice,
        &server,
        json!({"addSecurityGroup": {"name": "www"}}),
    )
    .await
    .expect(202);
    let of_server = nova(
        &cloud,
        Method::GET,
        &format!("/servers/{server}/os-security-groups"),
        &alice,
        None,
    )
    .await
    .expect(200);
    assert!(
        names(&of_server.body).contains(&"www".to_string()),
        "{}",
        of_server.body
    );
    let shown = nova(
        &cloud,
        Method::GET,
        &format!("/servers/{server}"),
        &alice,
        None,
    )
    .await
    .expect(200);
    assert!(
        shown.body["server"]["security_groups"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "www"})),
        "{}",
        shown.body
    );
    let missing = action(
        &cloud,
        &alice,
        &server,
        json!({"addSecurityGroup": {"name": "nope"}}),
    )
    .await
    .expect(404);
    assert_eq!(
        missing.message(),
        format!(
            "Security group nope is not found for project {}",
            alice.project_id
        )
    );
    action(
        &cloud,
        &alice,
        &server,
        json!({"addSecurityGroup": {"name": ""}}),
    )
    .await
    .expect(400);
    action(
        &cloud,
        &alice,
        &server,
        json!({"addSecurityGroup": {"name": " "}}),
    )
    .await
    .expect(400);
    nova(
        &cloud,
        Method::DELETE,
        &format!("/os-security-groups/{web}"),
        &alice,
        None,
    )
    .await
    .expect(400);
    action(
        &cloud,
        &alice,
        &server,
        json!({"removeSecurityGroup": {"name": web}}),
    )
    .await
    .expect(202);
    let not_on = action(
        &cloud,
        &alice,
        &server,
        json!({"removeSecurityGroup": {"name": "www"}}),
    )
    .await
    .expect(404);
    assert_eq!(
        not_on.message(),
        format!("Security group www not associated with the instance {server}")
    );

    // Rules and groups deleted.
    let rule_id = created.body["security_group_rule"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    nova(
        &cloud,
        Method::DELETE,
        &format!("/os-security-group-rules/{rule_id}"),
        &alice,
        None,
    )
    .await
    .expect(202);
    nova(
        &cloud,
        Method::DELETE,
        &format!("/os-security-group-rules/{rule_id}"),
        &alice,
        None,
    )
    .await
    .expect(404);
    nova(
        &cloud,
        Method::DELETE,
        &format!("/os-security-groups/{web}"),
        &alice,
        None,
    )
    .await
    .expect(202);
    nova(
        &cloud,
        Method::GET,
        &format!("/os-security-groups/{web}"),
        &alice,
        None,
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn floating_ips_through_nova() {
    let (cloud, admin, alice, image) = setup_with_networks(1, |_| {}).await;
    let net = network(&cloud, &alice, "private", "10.8.0.0/24").await;
    routed_public(&cloud, &admin, &alice, &net).await;

    let pools = nova(&cloud, Method::GET, "/os-floating-ip-pools", &alice, None)
        .await
        .expect(200);
    assert_eq!(
        pools.body,
        json!({"floating_ip_pools": [{"name": "public"}]})
    );

    // Allocated from a pool; an unknown pool (or the default "nova") is 404.
    let made = nova(
        &cloud,
        Method::POST,
        "/os-floating-ips",
        &alice,
        Some(json!({"pool": "public"})),
    )
    .await
    .expect(200);
    let fip = made.body["floating_ip"].clone();
    let (fip_id, address) = (
        fip["id"].as_str().unwrap().to_string(),
        fip["ip"].as_str().unwrap().to_string(),
    );
    assert!(address.starts_with("172.24.4."), "{fip}");
    assert_eq!(
        (
            fip["pool"].clone(),
            fip["instance_id"].clone(),
            fip["fixed_ip"].clone()
        ),
        (json!("public"), Value::Null, Value::Null)
    );
    let unknown = nova(
        &cloud,
        Method::POST,
        "/os-floating-ips",
        &alice,
        Some(json!({"pool": "nope"})),
    )
    .await
    .expect(404);
    assert_eq!(unknown.message(), "Floating IP pool not found.");
    nova(&cloud, Method::POST, "/os-floating-ips", &alice, None)
        .await
        .expect(404);
    nova(
        &cloud,
        Method::POST,
        "/os-floating-ips",
        &alice,
        Some(json!({"pool": 1})),
    )
    .await
    .expect(400);

    // Pointed at a server's fixed address, shown with it, taken off.
    let (server, view) = boot(&cloud, &alice, &image, json!([{"uuid": net}])).await;
    let fixed = view["addresses"]["private"][0]["addr"]
        .as_str()
        .unwrap()
        .to_string();
    action(
        &cloud,
        &alice,
        &server,
        json!({"addFloatingIp": {"address": address, "fixed_address": "10.8.0.250"}}),
    )
    .await
    .expect(400);
    action(
        &cloud,
        &alice,
        &server,
        json!({"addFloatingIp": {"address": "172.24.4.254"}}),
    )
    .await
    .expect(404);
    action(
        &cloud,
        &alice,
        &server,
        json!({"addFloatingIp": {"address": address}}),
    )
    .await
    .expect(202);
    let shown = nova(
        &cloud,
        Method::GET,
        &format!("/os-floating-ips/{fip_id}"),
        &alice,
        None,
    )
    .await
    .expect(200);
    assert_eq!(shown.body["floating_ip"]["instance_id"], server.as_str());
    assert_eq!(shown.body["floating_ip"]["fixed_ip"], fixed.as_str());
    let server_view = nova(
        &cloud,
        Method::GET,
        &format!("/servers/{server}"),
        &alice,
        None,
    )
    .await
    .expect(200);
    let addresses = server_view.body["server"]["addresses"]["private"].to_string();
    assert!(addresses.contains(&address), "{addresses}");
    let listed = nova(&cloud, Method::GET, "/os-floating-ips", &alice, None)
        .await
        .expect(200);
    assert_eq!(listed.body["floating_ips"].as_array().unwrap().len(), 1);
    let elsewhere = "0a9e0f8e-6bd4-4b76-a6d5-2d4f1e0e2a11";
    let not_there = action(
        &cloud,
        &alice,
        elsewhere,
        json!({"removeFloatingIp": {"address": address}}),
    )
    .await
    .expect(409);
    assert_eq!(
        not_there.message(),
        format!("Floating IP {address} is not associated with instance {elsewhere}.")
    );
    cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{server}/action"),
            &alice,
            Some(json!({"removeFloatingIp": {"address": address}})),
            Some("2.44"),
        )
        .await
        .expect(404);
    action(
        &cloud,
        &alice,
        &server,
        json!({"removeFloatingIp": {"address": address}}),
    )
    .await
    .expect(202);
    let shown = nova(
        &cloud,
        Method::GET,
        &format!("/os-floating-ips/{fip_id}"),
        &alice,
        None,
    )
    .await
    .expect(200);
    assert_eq!(shown.body["floating_ip"]["instance_id"], Value::Null);
    action(
        &cloud,
        &alice,
        &server,
        json!({"removeFloatingIp": {"address": address}}),
    )
    .await
    .expect(409);

    // Released.
    nova(
        &cloud,
        Method::DELETE,
        &format!("/os-floating-ips/{fip_id}"),
        &alice,
        None,
    )
    .await
    .expect(202);
    let gone = nova(
        &cloud,
        Method::GET,
        &format!("/os-floating-ips/{fip_id}"),
        &alice,
        None,
    )
    .await
    .expect(404);
    assert_eq!(
        gone.message(),
        format!("Floating IP not found for ID {fip_id}")
    );
    nova(
        &cloud,
        Method::DELETE,
        &format!("/os-floating-ips/{fip_id}"),
        &alice,
        None,
    )
    .await
    .expect(404);
    cloud
        .send(
            Method::GET,
            "/v2.1/os-floating-ips",
            &alice,
            None,
            Some("2.36"),
        )
        .await
        .expect(404);
}

#[tokio::test]
async fn networks_as_nova_network_showed_them() {
    let (cloud, admin, alice, _image) = setup_with_networks(1, |_| {}).await;
    let net = network(&cloud, &alice, "private", "10.7.0.0/24").await;
    let listed = nova(&cloud, Method::GET, "/os-networks", &alice, None)
        .await
        .expect(200);
    let mine = listed.body["networks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == net.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{}", listed.body));
    assert_eq!(mine["label"], "private");
    assert_eq!(mine["cidr"], Value::Null);
    assert!(mine.get("project_id").is_none());
    let as_admin = nova(
        &cloud,
        Method::GET,
        &format!("/os-networks/{net}"),
        &admin,
        None,
    )
    .await
    .expect(200);
    assert!(as_admin.body["network"].get("project_id").is_some());
    let tenant = nova(
        &cloud,
        Method::GET,
        &format!("/os-tenant-networks/{net}"),
        &alice,
        None,
    )
    .await
    .expect(200);
    assert_eq!(
        tenant.body,
        json!({"network": {"id": net, "cidr": "None", "label": "private"}})
    );
    let tenants = nova(&cloud, Method::GET, "/os-tenant-networks", &alice, None)
        .await
        .expect(200);
    assert!(tenants.body["networks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["id"] == net.as_str()));
    let missing = nova(
        &cloud,
        Method::GET,
        "/os-networks/0a9e0f8e-6bd4-4b76-a6d5-2d4f1e0e2a11",
        &alice,
        None,
    )
    .await
    .expect(404);
    assert_eq!(missing.message(), "Network not found");
    nova(
        &cloud,
        Method::POST,
        "/os-networks",
        &alice,
        Some(json!({"network": {}})),
    )
    .await
    .expect(410);
    nova(
        &cloud,
        Method::DELETE,
        &format!("/os-tenant-networks/{net}"),
        &alice,
        None,
    )
    .await
    .expect(410);
    cloud
        .send(Method::GET, "/v2.1/os-networks", &alice, None, Some("2.36"))
        .await
        .expect(404);
}
