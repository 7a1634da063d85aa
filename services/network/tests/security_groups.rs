//! Security groups and rules over HTTP: the default group and its rules,
//! rule checks and duplicates, and the refusals on updates and deletes.

mod common;

use common::{error, Cloud};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn the_default_group_and_new_groups_start_with_neutrons_rules() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let listed = cloud.get("/v2.0/security-groups", &alice).await.expect(200);
    let groups = listed.body["security_groups"].as_array().unwrap().clone();
    assert_eq!(groups.len(), 1, "{groups:?}");
    let default = &groups[0];
    assert_eq!(default["name"], "default");
    assert_eq!(default["description"], "Default security group");
    assert_eq!(default["stateful"], true);
    let rules = default["security_group_rules"].as_array().unwrap();
    assert_eq!(rules.len(), 4);
    let id = default["id"].as_str().unwrap();
    let ingress: Vec<_> = rules
        .iter()
        .filter(|r| r["direction"] == "ingress")
        .collect();
    assert_eq!(ingress.len(), 2);
    assert!(ingress.iter().all(|r| r["remote_group_id"] == json!(id)));
    assert!(rules.iter().all(|r| r["belongs_to_default_sg"] == true));
    // Listing again makes no second default.
    assert_eq!(
        cloud.get("/v2.0/security-groups", &alice).await.body["security_groups"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let web = cloud
        .create(
            "security-groups",
            "security_group",
            &alice,
            json!({"name": "web", "description": "w"}),
        )
        .await;
    let web_rules = web["security_group_rules"].as_array().unwrap();
    assert_eq!(web_rules.len(), 2);
    assert!(web_rules
        .iter()
        .all(|r| r["direction"] == "egress" && r["belongs_to_default_sg"] == false));
    let named_default = cloud
        .send(
            Method::POST,
            "/v2.0/security-groups",
            &alice,
            Some(json!({"security_group": {"name": "Default"}})),
        )
        .await
        .expect(409);
    assert_eq!(error(&named_default).0, "SecurityGroupDefaultAlreadyExists");
    let rename = cloud
        .send(
            Method::PUT,
            &format!("/v2.0/security-groups/{id}"),
            &alice,
            Some(json!({"security_group": {"name": "other"}})),
        )
        .await
        .expect(409);
    assert_eq!(
        error(&rename),
        (
            "SecurityGroupCannotUpdateDefault".into(),
            "Updating default security group not allowed.".into()
        )
    );
    let remove = cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/security-groups/{id}"),
            &alice,
            None,
        )
        .await
        .expect(409);
    assert_eq!(
        error(&remove).1,
        "Insufficient rights for removing default security group."
    );
    let bob = cloud.identity.persona(&["member"]).await;
    let hidden = cloud
        .get(&format!("/v2.0/security-groups/{id}"), &bob)
        .await
        .expect(404);
    assert_eq!(
        error(&hidden),
        (
            "SecurityGroupNotFound".into(),
            format!("Security group {id} does not exist")
        )
    );
}

#[tokio::test]
async fn rules_are_checked_and_never_duplicated() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let group = cloud
        .create(
            "security-groups",
            "security_group",
            &alice,
            json!({"name": "g"}),
        )
        .await;
    let gid = group["id"].as_str().unwrap();
    let ssh = cloud
        .create(
            "security-group-rules",
            "security_group_rule",
            &alice,
            json!({
                "security_group_id": gid, "direction": "ingress", "protocol": "TCP",
                "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.5/24"
            }),
        )
        .await;
    assert_eq!(ssh["protocol"], "tcp");
    assert_eq!(ssh["ethertype"], "IPv4");
    assert_eq!(ssh["remote_ip_prefix"], "10.0.0.5/24");
    assert_eq!(ssh["normalized_cidr"], "10.0.0.0/24");
    let post = |fields: serde_json::Value| {
        let (cloud, alice) = (&cloud, &alice);
        async move {
            cloud
                .send(
                    Method::POST,
                    "/v2.0/security-group-rules",
                    alice,
                    Some(json!({"security_group_rule": fields})),
                )
                .await
        }
    };
    // The same rule by the protocol's number.
    let again = post(json!({
        "security_group_id": gid, "direction": "ingress", "protocol": "6",
        "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.0/24"
    }))
    .await
    .expect(409);
    assert_eq!(
        error(&again),
        (
            "SecurityGroupRuleExists".into(),
            format!(
                "Security group rule already exists. Rule id is {}.",
                ssh["id"].as_str().unwrap()
            )
        )
    );
    let ports = post(json!({"security_group_id": gid, "direction": "ingress", "protocol": "tcp", "port_range_min": 30, "port_range_max": 20})).await.expect(400);
    assert_eq!(error(&ports).0, "SecurityGroupInvalidPortRange");
    let direction = post(json!({"security_group_id": gid, "direction": "sideways"}))
        .await
        .expect(400);
    assert_eq!(
        error(&direction).1,
        "Invalid input for direction. Reason: sideways is not in ['ingress', 'egress']."
    );
    let protocol =
        post(json!({"security_group_id": gid, "direction": "ingress", "protocol": "bogus"}))
            .await
            .expect(400);
    assert_eq!(error(&protocol).0, "SecurityGroupRuleInvalidProtocol");
    let conflict = post(json!({"security_group_id": gid, "direction": "ingress", "ethertype": "IPv4", "remote_ip_prefix": "2001:db8::/64"})).await.expect(400);
    assert_eq!(
        error(&conflict).1,
        "Conflicting value ethertype IPv4 for CIDR 2001:db8::/64"
    );
    let missing_group = post(json!({"security_group_id": "00000000-0000-0000-0000-000000000000", "direction": "ingress"})).await.expect(404);
    assert_eq!(error(&missing_group).0, "SecurityGroupNotFound");
    let icmp = post(json!({"security_group_id": gid, "direction": "ingress", "protocol": "icmp", "port_range_min": 8, "port_range_max": 0})).await.expect(201);
    assert_eq!(icmp.body["security_group_rule"]["port_range_min"], 8);
    let duplicate_bulk = cloud
        .send(Method::POST, "/v2.0/security-group-rules", &alice, Some(json!({"security_group_rules": [
            {"security_group_id": gid, "direction": "egress", "protocol": "udp", "port_range_min": 53, "port_range_max": 53},
            {"security_group_id": gid, "direction": "egress", "protocol": "17", "port_range_min": 53, "port_range_max": 53},
        ]})))
        .await
        .expect(409);
    assert_eq!(error(&duplicate_bulk).0, "DuplicateSecurityGroupRuleInPost");

    let listed = cloud
        .get(
            &format!("/v2.0/security-group-rules?security_group_id={gid}&direction=ingress"),
            &alice,
        )
        .await
        .expect(200);
    assert_eq!(
        listed.body["security_group_rules"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let rule_path = format!("/v2.0/security-group-rules/{}", ssh["id"].as_str().unwrap());
    cloud
        .send(
            Method::PUT,
            &rule_path,
            &alice,
            Some(json!({"security_group_rule": {"description": "x"}})),
        )
        .await
        .expect(405);
    cloud
        .send(Method::DELETE, &rule_path, &alice, None)
        .await
        .expect(204);
    let gone = cloud.get(&rule_path, &alice).await.expect(404);
    assert_eq!(error(&gone).0, "SecurityGroupRuleNotFound");
    let shown = cloud
        .get(&format!("/v2.0/security-groups/{gid}"), &alice)
        .await
        .body["security_group"]
        .clone();
    assert_eq!(shown["security_group_rules"].as_array().unwrap().len(), 3);
    assert!(shown["revision_number"].as_i64().unwrap() > 1);
}

#[tokio::test]
async fn groups_in_use_stay() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let (net, _) = cloud.network_with_subnet(&alice, "n", "10.0.0.0/24").await;
    let group = cloud
        .create(
            "security-groups",
            "security_group",
            &alice,
            json!({"name": "g"}),
        )
        .await;
    let gid = group["id"].as_str().unwrap();
    let port = cloud
        .create(
            "ports",
            "port",
            &alice,
            json!({"network_id": net, "security_groups": [gid]}),
        )
        .await;
    assert_eq!(port["security_groups"], json!([gid]));
    let busy = cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/security-groups/{gid}"),
            &alice,
            None,
        )
        .await
        .expect(409);
    assert_eq!(
        error(&busy),
        (
            "SecurityGroupInUse".into(),
            format!("Security Group {gid} in use.")
        )
    );
    let stateless = cloud
        .send(
            Method::PUT,
            &format!("/v2.0/security-groups/{gid}"),
            &alice,
            Some(json!({"security_group": {"stateful": false}})),
        )
        .await
        .expect(409);
    assert_eq!(error(&stateless).0, "SecurityGroupInUse");
    let unknown = cloud
        .send(Method::POST, "/v2.0/ports", &alice, Some(json!({"port": {"network_id": net, "security_groups": ["00000000-0000-0000-0000-000000000001"]}})))
        .await
        .expect(404);
    assert_eq!(
        error(&unknown).1,
        "Security group 00000000-0000-0000-0000-000000000001 does not exist"
    );
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/ports/{}", port["id"].as_str().unwrap()),
            &alice,
            None,
        )
        .await
        .expect(204);
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/security-groups/{gid}"),
            &alice,
            None,
        )
        .await
        .expect(204);
    let admin = cloud.identity.admin_persona().await;
    // An admin may remove a project's default group.
    let groups = cloud
        .get(
            &format!("/v2.0/security-groups?project_id={}", alice.project_id),
            &admin,
        )
        .await
        .expect(200);
    let default = groups.body["security_groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "default")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/security-groups/{default}"),
            &admin,
            None,
        )
        .await
        .expect(204);
}
