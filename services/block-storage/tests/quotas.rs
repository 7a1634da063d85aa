//! Quotas, limits and availability zones.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn quotas_limit_creates_and_report_usage() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let quota = format!(
        "/v3/{}/os-quota-sets/{}",
        admin.project_id, alice.project_id
    );
    let defaults = cloud
        .send(
            Method::GET,
            &format!("{quota}/defaults"),
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(defaults["quota_set"]["volumes"], 10);
    assert_eq!(defaults["quota_set"]["gigabytes"], 1000);
    // Members cannot change quotas, nor read other projects'.
    cloud
        .send(
            Method::PUT,
            &format!(
                "/v3/{}/os-quota-sets/{}",
                alice.project_id, alice.project_id
            ),
            &alice,
            Some(json!({"quota_set": {"volumes": 100}})),
            None,
        )
        .await
        .expect(403);
    cloud
        .send(
            Method::GET,
            &format!(
                "/v3/{}/os-quota-sets/{}",
                alice.project_id, admin.project_id
            ),
            &alice,
            None,
            None,
        )
        .await
        .expect(403);
    cloud
        .send(
            Method::PUT,
            &quota,
            &admin,
            Some(json!({"quota_set": {"bogus": 1}})),
            None,
        )
        .await
        .expect(400);
    let set = cloud
        .send(
            Method::PUT,
            &quota,
            &admin,
            Some(json!({"quota_set": {"volumes": 2, "gigabytes": 3}})),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(set["quota_set"]["volumes"], 2);

    let volumes = format!("/v3/{}/volumes", alice.project_id);
    let resp = cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"size": 4}})),
            None,
        )
        .await
        .expect(413);
    assert!(resp.body["overLimit"]["message"]
        .as_str()
        .unwrap()
        .starts_with("VolumeSizeExceedsAvailableQuota"));
    for _ in 0..2 {
        cloud
            .send(
                Method::POST,
                &volumes,
                &alice,
                Some(json!({"volume": {"size": 1}})),
                None,
            )
            .await
            .expect(202);
    }
    let resp = cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(413);
    assert_eq!(
        resp.body["overLimit"]["message"],
        "VolumeLimitExceeded: Maximum number of volumes allowed (2) exceeded for quota 'volumes'."
    );
    let own = format!(
        "/v3/{}/os-quota-sets/{}?usage=true",
        alice.project_id, alice.project_id
    );
    let usage = cloud
        .send(Method::GET, &own, &alice, None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(
        usage["quota_set"]["volumes"],
        json!({"limit": 2, "in_use": 2, "reserved": 0})
    );
    assert_eq!(usage["quota_set"]["gigabytes"]["in_use"], 2);
    let limits = cloud
        .send(
            Method::GET,
            &format!("/v3/{}/limits", alice.project_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(limits["limits"]["absolute"]["maxTotalVolumes"], 2);
    assert_eq!(limits["limits"]["absolute"]["totalVolumesUsed"], 2);
    // Reset to the defaults: 200 and no body, as Cinder answers.
    let reset = cloud
        .send(Method::DELETE, &quota, &admin, None, None)
        .await
        .expect(200);
    assert_eq!(reset.body, serde_json::json!(""), "no body");
    let usage = cloud
        .send(Method::GET, &own, &alice, None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(usage["quota_set"]["volumes"]["limit"], 10);

    let zones = cloud
        .send(
            Method::GET,
            &format!("/v3/{}/os-availability-zone", alice.project_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        zones["availabilityZoneInfo"],
        json!([{"zoneName": "nova", "zoneState": {"available": true}}])
    );
}

#[tokio::test]
async fn per_type_quotas() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let quota = format!(
        "/v3/{}/os-quota-sets/{}",
        admin.project_id, alice.project_id
    );
    let defaults = cloud
        .send(
            Method::GET,
            &format!("{quota}/defaults"),
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        defaults["quota_set"],
        json!({"id": alice.project_id, "volumes": 10, "snapshots": 10, "gigabytes": 1000,
            "backups": 10, "backup_gigabytes": 1000, "groups": 10, "per_volume_gigabytes": -1,
            "volumes___DEFAULT__": -1, "snapshots___DEFAULT__": -1, "gigabytes___DEFAULT__": -1})
    );
    cloud
        .send(
            Method::POST,
            &format!("/v3/{}/types", admin.project_id),
            &admin,
            Some(json!({"volume_type": {"name": "gold"}})),
            None,
        )
        .await
        .expect(200);
    let resp = cloud
        .send(
            Method::PUT,
            &quota,
            &admin,
            Some(json!({"quota_set": {"volumes_bronze": 1}})),
            None,
        )
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid input received: Bad key(s) in quota set: volumes_bronze"
    );
    let resp = cloud
        .send(
            Method::PUT,
            &quota,
            &admin,
            Some(json!({"quota_set": {"volumes": -2}})),
            None,
        )
        .await
        .expect(400);
    assert_eq!(resp.message(), "volumes must be >= -1");
    let set = cloud
        .send(
            Method::PUT,
            &quota,
            &admin,
            Some(
                json!({"quota_set": {"volumes_gold": 1, "gigabytes_gold": 3, "snapshots_gold": 1}}),
            ),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(set["quota_set"]["volumes_gold"], 1);
    assert!(set["quota_set"].get("id").is_none());
    let volumes = format!("/v3/{}/volumes", alice.project_id);
    let create = |size: i64, kind: &'static str| {
        let (cloud, alice, volumes) = (&cloud, &alice, volumes.clone());
        async move {
            cloud
                .send(
                    Method::POST,
                    &volumes,
                    alice,
                    Some(json!({"volume": {"size": size, "volume_type": kind}})),
                    None,
                )
                .await
        }
    };
    let resp = create(4, "gold").await.expect(413);
    assert_eq!(
        resp.message(),
        "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes_gold quota. Requested 4G, quota is 3G and 0G has been consumed."
    );
    let first = create(1, "gold").await.expect(202);
    let first = first.body["volume"]["id"].as_str().unwrap().to_string();
    let resp = create(1, "gold").await.expect(413);
    assert_eq!(
        resp.message(),
        "VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded for quota 'volumes_gold'."
    );
    // Other types are not limited by gold's quota.
    create(1, "__DEFAULT__").await.expect(202);
    cloud.wait_status(&alice, &first, "available").await;
    let snapshots = format!("/v3/{}/snapshots", alice.project_id);
    let snap = || {
        let body = json!({"snapshot": {"volume_id": first}});
        let (cloud, snapshots, alice) = (&cloud, snapshots.clone(), &alice);
        async move {
            cloud
                .send(Method::POST, &snapshots, alice, Some(body), None)
                .await
        }
    };
    snap().await.expect(202);
    let resp = snap().await.expect(413);
    assert_eq!(
        resp.message(),
        "SnapshotLimitExceeded: Maximum number of snapshots allowed (1) exceeded"
    );
    let usage = cloud
        .send(
            Method::GET,
            &format!("{quota}?usage=true"),
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        usage["quota_set"]["volumes_gold"],
        json!({"limit": 1, "in_use": 1, "reserved": 0})
    );
    assert_eq!(usage["quota_set"]["gigabytes_gold"]["in_use"], 2);
    assert_eq!(usage["quota_set"]["snapshots_gold"]["in_use"], 1);
    assert_eq!(usage["quota_set"]["volumes___DEFAULT__"]["in_use"], 1);
    let resp = cloud
        .send(
            Method::PUT,
            &quota,
            &admin,
            Some(json!({"quota_set": {"volumes_gold": 0}})),
            None,
        )
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "Quota volumes_gold limit must be equal or greater than existing resources. Current usage is 1 and the requested limit is 0."
    );
    // Renaming the type moves its limits and usage.
    let types = cloud
        .send(
            Method::GET,
            &format!("/v3/{}/types", admin.project_id),
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    let gold = types["volume_types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "gold")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud
        .send(
            Method::PUT,
            &format!("/v3/{}/types/{gold}", admin.project_id),
            &admin,
            Some(json!({"volume_type": {"name": "platinum"}})),
            None,
        )
        .await
        .expect(200);
    let usage = cloud
        .send(
            Method::GET,
            &format!("{quota}?usage=true"),
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert!(usage["quota_set"].get("volumes_gold").is_none());
    assert_eq!(
        usage["quota_set"]["volumes_platinum"],
        json!({"limit": 1, "in_use": 1, "reserved": 0})
    );
}

async fn set_quota(cloud: &Cloud, project: &str, values: serde_json::Value) {
    let admin = cloud.identity.admin_persona().await;
    cloud
        .send(
            Method::PUT,
            &format!("/v3/{}/os-quota-sets/{project}", admin.project_id),
            &admin,
            Some(json!({ "quota_set": values })),
            None,
        )
        .await
        .expect(200);
}

/// Many creates at once at the limit: exactly as many volumes as it allows.
#[tokio::test]
async fn concurrent_creates_never_pass_the_limit() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    set_quota(&cloud, &alice.project_id, json!({"volumes": 5})).await;
    let path = format!("/v3/{}/volumes", alice.project_id);
    let creates = (0..50).map(|i| {
        cloud.send(
            Method::POST,
            &path,
            &alice,
            Some(json!({"volume": {"size": 1, "name": format!("v{i}")}})),
            None,
        )
    });
    let statuses: Vec<u16> = futures::future::join_all(creates)
        .await
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 413).count(),
        45,
        "{statuses:?}"
    );
    let listed = cloud
        .send(Method::GET, &path, &alice, None, None)
        .await
        .body;
    assert_eq!(listed["volumes"].as_array().unwrap().len(), 5);
}

/// os-extend claims gigabytes (and per-volume size) as a create does, and the
/// backend must have room for the growth.
#[tokio::test]
async fn extend_is_held_to_quota_and_capacity() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let created = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes", alice.project_id),
            &alice,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(202);
    let id = created.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "available").await;
    let action = format!("/v3/{}/volumes/{id}/action", alice.project_id);
    let extend = |size: i64| {
        cloud.send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-extend": {"new_size": size}})),
            None,
        )
    };
    set_quota(
        &cloud,
        &alice.project_id,
        json!({"gigabytes": 3, "per_volume_gigabytes": 1000}),
    )
    .await;
    let refused = extend(4).await.expect(413).message();
    assert!(
        refused.contains("exceeds allowed gigabytes quota"),
        "{refused}"
    );
    set_quota(
        &cloud,
        &alice.project_id,
        json!({"gigabytes": 1_000_000, "per_volume_gigabytes": 2}),
    )
    .await;
    let refused = extend(3).await.expect(413).message();
    assert!(refused.contains("VolumeSizeExceedsLimit"), "{refused}");
    extend(2).await.expect(202);
    let volume = cloud.wait_status(&alice, &id, "available").await;
    assert_eq!(volume["size"], 2);

    // More than the backend's disk holds: refused by the volume host, the
    // volume back as it was, with a user message.
    set_quota(
        &cloud,
        &alice.project_id,
        json!({"per_volume_gigabytes": -1}),
    )
    .await;
    extend(900_000).await.expect(202);
    let mut volume = cloud.wait_status(&alice, &id, "available").await;
    for _ in 0..100 {
        if volume["size"] == 2 && volume["status"] == "available" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        volume = cloud.wait_status(&alice, &id, "available").await;
    }
    assert_eq!(volume["size"], 2);
    let messages = cloud
        .send(
            Method::GET,
            &format!("/v3/{}/messages", alice.project_id),
            &alice,
            None,
            Some("volume 3.3"),
        )
        .await
        .expect(200)
        .body;
    let events: Vec<&str> = messages["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["event_id"].as_str())
        .collect();
    assert!(events.contains(&"VOLUME_VOLUME_007_003"), "{messages}");
    // The extend that never happened no longer counts in usage.
    let usage = cloud
        .send(
            Method::GET,
            &format!(
                "/v3/{}/os-quota-sets/{}?usage=true",
                alice.project_id, alice.project_id
            ),
            &alice,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(usage["quota_set"]["gigabytes"]["in_use"], 2, "{usage}");
}

/// Quota classes: the `default` class sets every project's default limits
/// (its own overrides still win); other classes are kept; admin only.
#[tokio::test]
async fn the_default_quota_class_sets_project_defaults() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let class = |name: &str| format!("/v3/{}/os-quota-class-sets/{name}", admin.project_id);
    let shown = cloud
        .send(Method::GET, &class("default"), &admin, None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(shown["quota_class_set"]["id"], "default");
    assert_eq!(shown["quota_class_set"]["volumes"], 10);
    assert_eq!(shown["quota_class_set"]["backup_gigabytes"], 1000);
    cloud
        .send(
            Method::GET,
            &format!("/v3/{}/os-quota-class-sets/default", alice.project_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(403);

    let updated = cloud
        .send(
            Method::PUT,
            &class("default"),
            &admin,
            Some(json!({"quota_class_set": {"volumes": 3, "snapshots": "4", "volumes___DEFAULT__": 2}})),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(updated["quota_class_set"]["volumes"], 3);
    assert_eq!(updated["quota_class_set"]["snapshots"], 4);
    assert_eq!(updated["quota_class_set"]["volumes___DEFAULT__"], 2);
    assert!(updated["quota_class_set"].get("id").is_none());
    let defaults = cloud
        .send(
            Method::GET,
            &format!(
                "/v3/{}/os-quota-sets/{}/defaults",
                alice.project_id, alice.project_id
            ),
            &alice,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(defaults["quota_set"]["volumes"], 3);
    let limits = cloud
        .send(
            Method::GET,
            &format!("/v3/{}/limits", alice.project_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(limits["limits"]["absolute"]["maxTotalVolumes"], 3);

    // Another class is its own; unknown keys and bad values are refused.
    let gold = cloud
        .send(
            Method::PUT,
            &class("gold"),
            &admin,
            Some(json!({"quota_class_set": {"volumes": 50}})),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(gold["quota_class_set"]["volumes"], 50);
    assert_eq!(
        gold["quota_class_set"]["snapshots"], 4,
        "the rest are the defaults"
    );
    let resp = cloud
        .send(
            Method::PUT,
            &class("default"),
            &admin,
            Some(json!({"quota_class_set": {"wheels": 4}})),
            None,
        )
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid input received: Bad key(s) in quota set: wheels"
    );
    let resp = cloud
        .send(
            Method::PUT,
            &class("default"),
            &admin,
            Some(json!({"quota_class_set": {"volumes": -5}})),
            None,
        )
        .await
        .expect(400);
    assert_eq!(resp.message(), "volumes must be >= -1");
    cloud
        .send(
            Method::PUT,
            &class("default"),
            &admin,
            Some(json!({"volumes": 5})),
            None,
        )
        .await
        .expect(400);
}
