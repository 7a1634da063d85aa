//! Server groups: the API at its microversions, quotas, and the scheduler
//! placing members together (affinity) or apart (anti-affinity with
//! max_server_per_host).

mod common;

use std::collections::BTreeMap;

use common::{create, server_body, setup, Cloud, V47};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

async fn group(cloud: &Cloud, who: &Persona, body: Value, version: &str) -> common::Resp {
    cloud
        .send(
            Method::POST,
            "/v2.1/os-server-groups",
            who,
            Some(body),
            Some(version),
        )
        .await
}

/// Boots `count` servers into `group` and returns how many landed on each host.
async fn boot_into(
    cloud: &Cloud,
    alice: &Persona,
    admin: &Persona,
    image: &str,
    group: &str,
    count: i64,
) -> BTreeMap<String, i64> {
    let mut body = server_body("g", image, "1");
    body["server"]["min_count"] = json!(count);
    body["os:scheduler_hints"] = json!({"group": group});
    create(cloud, alice, body).await;
    let shown = cloud
        .send(
            Method::GET,
            &format!("/v2.1/os-server-groups/{group}"),
            alice,
            None,
            None,
        )
        .await
        .expect(200);
    let mut hosts = BTreeMap::new();
    for id in shown.body["server_group"]["members"].as_array().unwrap() {
        let id = id.as_str().unwrap();
        cloud.wait_status(alice, id, "ACTIVE").await;
        let host = cloud
            .send(
                Method::GET,
                &format!("/v2.1/servers/{id}"),
                admin,
                None,
                Some("2.71"),
            )
            .await
            .body["server"]
            .clone();
        assert_eq!(host["server_groups"], json!([group]));
        *hosts
            .entry(host["OS-EXT-SRV-ATTR:host"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    hosts
}

#[tokio::test]
async fn groups_place_their_members() {
    let (cloud, admin, alice, image) = setup(3, |c| c.set("quota", "server_groups", "3")).await;
    // Before 2.64: a list of one policy, metadata; soft policies from 2.15.
    let old = group(
        &cloud,
        &alice,
        json!({"server_group": {"name": "a", "policies": ["affinity"]}}),
        "2.1",
    )
    .await
    .expect(200);
    assert_eq!(old.body["server_group"]["policies"], json!(["affinity"]));
    assert!(old.body["server_group"].get("project_id").is_none());
    group(
        &cloud,
        &alice,
        json!({"server_group": {"name": "s", "policies": ["soft-affinity"]}}),
        "2.14",
    )
    .await
    .expect(400);
    let apart = group(
        &cloud,
        &alice,
        json!({"server_group": {"name": "b", "policy": "anti-affinity", "rules": {"max_server_per_host": 2}}}),
        "2.64",
    )
    .await
    .expect(200);
    let view = &apart.body["server_group"];
    assert_eq!(
        (view["policy"].clone(), view["rules"].clone()),
        (json!("anti-affinity"), json!({"max_server_per_host": 2}))
    );
    assert_eq!(view["project_id"], alice.project_id.as_str());
    group(&cloud, &alice, json!({"server_group": {"name": "c", "policy": "affinity", "rules": {"max_server_per_host": 2}}}), "2.64")
        .await
        .expect(400);

    let together = old.body["server_group"]["id"].as_str().unwrap().to_string();
    let hosts = boot_into(&cloud, &alice, &admin, &image, &together, 3).await;
    assert_eq!(hosts.len(), 1, "affinity: {hosts:?}");
    let spread = view["id"].as_str().unwrap().to_string();
    let hosts = boot_into(&cloud, &alice, &admin, &image, &spread, 6).await;
    assert_eq!(
        hosts.values().copied().collect::<Vec<_>>(),
        [2, 2, 2],
        "anti-affinity: {hosts:?}"
    );
    // No host can take a seventh.
    let mut more = server_body("x", &image, "1");
    more["os:scheduler_hints"] = json!({"group": spread});
    let id = create(&cloud, &alice, more).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..200 {
        let status = cloud
            .send(
                Method::GET,
                &format!("/v2.1/servers/{id}"),
                &alice,
                None,
                V47,
            )
            .await
            .body["server"]["status"]
            .clone();
        if status == "ERROR" {
            break;
        }
        assert_ne!(status, "ACTIVE", "a seventh member found a host");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Another project's group is not found; unknown groups are refused.
    let bob = cloud.identity.persona(&["member"]).await;
    cloud
        .send(
            Method::GET,
            &format!("/v2.1/os-server-groups/{spread}"),
            &bob,
            None,
            None,
        )
        .await
        .expect(404);
    let mut foreign = server_body("f", &image, "1");
    foreign["os:scheduler_hints"] = json!({"group": spread});
    cloud
        .send(Method::POST, "/v2.1/servers", &bob, Some(foreign), V47)
        .await
        .expect(400);

    // Quota: three groups.
    group(
        &cloud,
        &alice,
        json!({"server_group": {"name": "d", "policies": ["anti-affinity"]}}),
        "2.1",
    )
    .await
    .expect(200);
    let over = group(
        &cloud,
        &alice,
        json!({"server_group": {"name": "e", "policies": ["anti-affinity"]}}),
        "2.1",
    )
    .await
    .expect(403);
    assert_eq!(over.message(), "Quota exceeded, too many server groups.");

    let listed = cloud
        .send(Method::GET, "/v2.1/os-server-groups", &alice, None, None)
        .await
        .expect(200);
    assert_eq!(listed.body["server_groups"].as_array().unwrap().len(), 3);
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/os-server-groups/{together}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(204);
    cloud
        .send(
            Method::GET,
            &format!("/v2.1/os-server-groups/{together}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(404);
}
