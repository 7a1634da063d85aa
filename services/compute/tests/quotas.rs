//! Quota sets and limits: defaults, a project's overrides (admin), usage in
//! detail and in /limits, the keys each microversion shows, and the limits
//! server creation counts against.

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
