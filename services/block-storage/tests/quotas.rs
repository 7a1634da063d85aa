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
        json!({"limit": 2, "in_use": 2, "reserved": 0, "allocated": 0})
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
    cloud
        .send(Method::DELETE, &quota, &admin, None, None)
        .await
        .expect(200);
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
