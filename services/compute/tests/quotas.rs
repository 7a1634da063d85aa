//! Quota sets and limits: defaults, a project's overrides (admin), usage in
//! detail and in /limits, the keys each microversion shows, and the limits
//! server creation counts against; quota classes, whose `default` class sets
//! every project's defaults.

mod common;

use common::{create, server_body, setup, V47};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn quota_sets_and_limits() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    let path = format!("/v2.1/os-quota-sets/{}", alice.project_id);
    let shown = cloud
        .send(Method::GET, &path, &alice, None, None)
        .await
        .expect(200);
    let set = &shown.body["quota_set"];
    assert_eq!(set["id"], alice.project_id.as_str());
    assert_eq!(
        (set["instances"].clone(), set["cores"].clone()),
        (json!(10), json!(20))
    );
    assert_eq!(set["floating_ips"], 10, "network quotas before 2.36");
    let later = cloud
        .send(Method::GET, &path, &alice, None, Some("2.57"))
        .await
        .body["quota_set"]
        .clone();
    assert!(later.get("floating_ips").is_none() && later.get("injected_files").is_none());

    // Only an admin sets them; a limit below usage needs force.
    cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"quota_set": {"instances": 1}})),
            None,
        )
        .await
        .expect(403);
    let updated = cloud
        .send(
            Method::PUT,
            &path,
            &admin,
            Some(json!({"quota_set": {"instances": "1", "ram": 1024}})),
            None,
        )
        .await
        .expect(200);
    assert_eq!(updated.body["quota_set"]["instances"], 1);
    assert!(updated.body["quota_set"].get("id").is_none());
    for bad in [
        json!({"instances": -2}),
        json!({"instances": "many"}),
        json!({"wings": 1}),
    ] {
        cloud
            .send(
                Method::PUT,
                &path,
                &admin,
                Some(json!({"quota_set": bad})),
                None,
            )
            .await
            .expect(400);
    }

    // Creation counts against the override.
    let id = create(&cloud, &alice, server_body("q", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let over = cloud
        .send(
            Method::POST,
            "/v2.1/servers",
            &alice,
            Some(server_body("r", &image, "1")),
            V47,
        )
        .await
        .expect(403);
    assert_eq!(
        over.message(),
        "Quota exceeded for instances: Requested 1, but already used 1 of 1 instances"
    );
    let detail = cloud
        .send(Method::GET, &format!("{path}/detail"), &alice, None, None)
        .await
        .expect(200);
    assert_eq!(
        detail.body["quota_set"]["instances"],
        json!({"limit": 1, "in_use": 1, "reserved": 0})
    );
    assert_eq!(detail.body["quota_set"]["ram"]["in_use"], 512);
    let refused = cloud
        .send(
            Method::PUT,
            &path,
            &admin,
            Some(json!({"quota_set": {"ram": 100}})),
            None,
        )
        .await
        .expect(400);
    assert_eq!(
        refused.message(),
        "Quota limit 100 for ram must be greater than or equal to already used and reserved 512."
    );
    cloud
        .send(
            Method::PUT,
            &path,
            &admin,
            Some(json!({"quota_set": {"ram": 100, "force": true}})),
            None,
        )
        .await
        .expect(200);

    let limits = cloud
        .send(Method::GET, "/v2.1/limits", &alice, None, None)
        .await
        .expect(200);
    let absolute = &limits.body["limits"]["absolute"];
    assert_eq!(absolute["maxTotalInstances"], 1);
    assert_eq!(absolute["totalInstancesUsed"], 1);
    assert_eq!(absolute["totalRAMUsed"], 512);
    assert_eq!(absolute["maxImageMeta"], 128);
    let newer = cloud
        .send(Method::GET, "/v2.1/limits", &alice, None, Some("2.57"))
        .await
        .body["limits"]["absolute"]
        .clone();
    assert!(newer.get("maxImageMeta").is_none() && newer.get("maxPersonality").is_none());
    cloud
        .send(
            Method::GET,
            &format!("/v2.1/limits?tenant_id={}", admin.project_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(403);
    let other = cloud
        .send(
            Method::GET,
            &format!("/v2.1/limits?tenant_id={}", alice.project_id),
            &admin,
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(other.body["limits"]["absolute"]["totalInstancesUsed"], 1);

    // Reset.
    cloud
        .send(Method::DELETE, &path, &admin, None, None)
        .await
        .expect(202);
    let defaults = cloud
        .send(Method::GET, &format!("{path}/defaults"), &alice, None, None)
        .await
        .expect(200);
    assert_eq!(defaults.body["quota_set"]["instances"], 10);
    assert_eq!(
        cloud
            .send(Method::GET, &path, &alice, None, None)
            .await
            .body["quota_set"]["instances"],
        10
    );
}

#[tokio::test]
async fn the_default_quota_class_sets_the_defaults() {
    let (cloud, admin, alice, _) = setup(1, |_| {}).await;
    let send = |method: Method, path: &str, body: Option<serde_json::Value>, version, who| {
        let (cloud, path) = (&cloud, format!("/v2.1/{path}"));
        async move { cloud.send(method, &path, who, body, version).await }
    };
    let shown = send(
        Method::GET,
        "os-quota-class-sets/default",
        None,
        None,
        &admin,
    )
    .await
    .expect(200)
    .body;
    let set = &shown["quota_class_set"];
    assert_eq!(set["id"], "default");
    assert_eq!(set["instances"], 10);
    assert_eq!(set["floating_ips"], 10, "network quotas before 2.50");
    assert!(
        set.get("server_groups").is_none(),
        "server groups from 2.50"
    );
    let later = send(
        Method::GET,
        "os-quota-class-sets/default",
        None,
        Some("2.57"),
        &admin,
    )
    .await
    .body;
    assert!(later["quota_class_set"].get("server_groups").is_some());
    assert!(later["quota_class_set"].get("injected_files").is_none());
    assert!(later["quota_class_set"].get("floating_ips").is_none());

    send(
        Method::PUT,
        "os-quota-class-sets/default",
        Some(json!({"quota_class_set": {"instances": 3}})),
        None,
        &alice,
    )
    .await
    .expect(403);
    send(
        Method::GET,
        "os-quota-class-sets/default",
        None,
        None,
        &alice,
    )
    .await
    .expect(403);
    for bad in [
        json!({"quota_class_set": {"instances": -2}}),
        json!({"quota_class_set": {"bogus": 1}}),
        json!({}),
    ] {
        send(
            Method::PUT,
            "os-quota-class-sets/default",
            Some(bad),
            None,
            &admin,
        )
        .await
        .expect(400);
    }
    let updated = send(
        Method::PUT,
        "os-quota-class-sets/default",
        Some(json!({"quota_class_set": {"instances": 3, "cores": "30"}})),
        None,
        &admin,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(updated["quota_class_set"]["instances"], 3);
    assert!(updated["quota_class_set"].get("id").is_none());
    // Before 2.50 a class keeps its network quotas too (tempest raises every
    // value it is shown and reads them back).
    let kept = send(
        Method::PUT,
        "os-quota-class-sets/default",
        Some(json!({"quota_class_set": {"floating_ips": 110, "fixed_ips": 99}})),
        None,
        &admin,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(kept["quota_class_set"]["floating_ips"], 110);
    let shown = send(
        Method::GET,
        "os-quota-class-sets/default",
        None,
        None,
        &admin,
    )
    .await
    .body;
    assert_eq!(shown["quota_class_set"]["fixed_ips"], 99);
    send(
        Method::PUT,
        "os-quota-class-sets/default",
        Some(json!({"quota_class_set": {"floating_ips": 1}})),
        Some("2.50"),
        &admin,
    )
    .await
    .expect(400);
    // Every project's defaults and limits follow the default class.
    let defaults = send(
        Method::GET,
        &format!("os-quota-sets/{}/defaults", alice.project_id),
        None,
        None,
        &alice,
    )
    .await
    .body;
    assert_eq!(defaults["quota_set"]["instances"], 3);
    let mine = send(
        Method::GET,
        &format!("os-quota-sets/{}", alice.project_id),
        None,
        None,
        &alice,
    )
    .await
    .body;
    assert_eq!(mine["quota_set"]["cores"], 30);
    // Another class does not change the defaults.
    send(
        Method::PUT,
        "os-quota-class-sets/gold",
        Some(json!({"quota_class_set": {"instances": 50}})),
        None,
        &admin,
    )
    .await
    .expect(200);
    let gold = send(Method::GET, "os-quota-class-sets/gold", None, None, &admin)
        .await
        .body;
    assert_eq!(
        (
            gold["quota_class_set"]["instances"].clone(),
            gold["quota_class_set"]["cores"].clone()
        ),
        (json!(50), json!(20))
    );
    let defaults = send(
        Method::GET,
        &format!("os-quota-sets/{}/defaults", alice.project_id),
        None,
        None,
        &alice,
    )
    .await
    .body;
    assert_eq!(defaults["quota_set"]["instances"], 3);
}

#[tokio::test]
async fn users_have_quotas_of_their_own_within_the_project() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    let project = format!("/v2.1/os-quota-sets/{}", alice.project_id);
    let own = format!("{project}?user_id={}", alice.user_id);
    let limit = |body: &serde_json::Value| body["quota_set"]["instances"].clone();
    let set = cloud
        .send(
            Method::PUT,
            &own,
            &admin,
            Some(json!({"quota_set": {"instances": 1}})),
            None,
        )
        .await
        .expect(200);
    assert_eq!(limit(&set.body), 1);
    let shown = cloud.send(Method::GET, &own, &alice, None, None).await;
    assert_eq!(limit(&shown.expect(200).body), 1);
    let shown = cloud.send(Method::GET, &project, &alice, None, None).await;
    assert_eq!(limit(&shown.expect(200).body), 10, "the project's changed");

    // The user's limit holds the user's creates, not the project's others.
    let first = create(&cloud, &alice, server_body("one", &image, "1")).await;
    let first = first["server"]["id"].as_str().unwrap().to_string();
    let refused = cloud
        .send(
            Method::POST,
            "/v2.1/servers",
            &alice,
            Some(server_body("two", &image, "1")),
            V47,
        )
        .await
        .expect(403);
    assert_eq!(
        refused.message(),
        "Quota exceeded for instances: Requested 1, but already used 1 of 1 instances"
    );
    let detail = cloud
        .send(
            Method::GET,
            &format!("{project}/detail?user_id={}", alice.user_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        detail.body["quota_set"]["instances"],
        json!({"limit": 1, "in_use": 1, "reserved": 0})
    );

    // At least what the user uses, at most what the project allows.
    for (instances, message) in [
        (
            0,
            "Quota limit 0 for instances must be greater than or equal to already used and reserved 1.",
        ),
        (
            11,
            "Quota limit 11 for instances must be less than or equal to 10.",
        ),
    ] {
        let refused = cloud
            .send(
                Method::PUT,
                &own,
                &admin,
                Some(json!({"quota_set": {"instances": instances}})),
                None,
            )
            .await
            .expect(400);
        assert_eq!(refused.message(), message);
    }

    // Reset, the user is back under the project's limits.
    cloud
        .send(Method::DELETE, &own, &admin, None, None)
        .await
        .expect(202);
    let shown = cloud.send(Method::GET, &own, &alice, None, None).await;
    assert_eq!(limit(&shown.expect(200).body), 10);
    create(&cloud, &alice, server_body("two", &image, "1")).await;

    // A project's reset takes its users' own limits too.
    cloud
        .send(
            Method::PUT,
            &own,
            &admin,
            Some(json!({"quota_set": {"instances": 5}})),
            None,
        )
        .await
        .expect(200);
    cloud
        .send(Method::DELETE, &project, &admin, None, None)
        .await
        .expect(202);
    let shown = cloud.send(Method::GET, &own, &alice, None, None).await;
    assert_eq!(limit(&shown.expect(200).body), 10);
    cloud.delete_server(&alice, &first).await;
}
