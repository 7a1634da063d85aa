//! The quota API: limits, defaults, details, admin updates and resets.

mod common;

use common::{error, Cloud};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn projects_read_their_limits_and_admins_change_them() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let project = alice.project_id.clone();
    let path = format!("/v2.0/quotas/{project}");
    let own = cloud.get(&path, &alice).await.expect(200);
    assert_eq!(
        own.body["quota"],
        json!({"floatingip": 50, "network": 100, "port": 500, "rbac_policy": 10, "router": 10, "security_group": 10, "security_group_rule": 100, "subnet": 100})
    );
    let bob = cloud.identity.persona(&["member"]).await;
    let other = cloud.get(&path, &bob).await.expect(403);
    assert_eq!(
        error(&other),
        ("AdminRequired".into(), "User does not have admin privileges: Only admin is authorized to access quotas for another project.".into())
    );
    assert_eq!(
        cloud
            .get(&format!("{path}/default"), &alice)
            .await
            .expect(200)
            .body["quota"]["port"],
        500
    );
    let me = cloud.get("/v2.0/quotas/project", &alice).await.expect(200);
    assert_eq!(me.body["project"]["project_id"], json!(project));

    cloud.create("networks", "network", &alice, json!({})).await;
    let details = cloud
        .get(&format!("{path}/details"), &alice)
        .await
        .expect(200);
    assert_eq!(
        details.body["quota"]["network"],
        json!({"limit": 100, "used": 1, "reserved": 0})
    );
    // The default security group counts.
    assert_eq!(details.body["quota"]["security_group"]["used"], 1);

    let refused = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"quota": {"network": 5}})),
        )
        .await
        .expect(403);
    assert_eq!(error(&refused).0, "PolicyNotAuthorized");
    let set = cloud
        .send(
            Method::PUT,
            &path,
            &admin,
            Some(json!({"quota": {"network": 1, "port": "20", "check_limit": true}})),
        )
        .await
        .expect(200);
    assert_eq!(set.body["quota"]["network"], 1);
    assert_eq!(set.body["quota"]["port"], 20);
    let over = cloud
        .send(
            Method::POST,
            "/v2.0/networks",
            &alice,
            Some(json!({"network": {}})),
        )
        .await
        .expect(409);
    assert_eq!(error(&over).1, "Quota exceeded for resources: ['network'].");
    let below = cloud
        .send(
            Method::PUT,
            &path,
            &admin,
            Some(json!({"quota": {"network": 0}})),
        )
        .await
        .expect(400);
    assert_eq!(
        error(&below).1,
        "Quota limit 0 for network must be greater than or equal to already used 1"
    );
    cloud
        .send(
            Method::PUT,
            &path,
            &admin,
            Some(json!({"quota": {"network": 0, "force": true}})),
        )
        .await
        .expect(200);
    let unknown = cloud
        .send(
            Method::PUT,
            &path,
            &admin,
            Some(json!({"quota": {"routers": 3}})),
        )
        .await
        .expect(400);
    assert_eq!(error(&unknown).1, "Unrecognized attribute(s) 'routers'");
    let listed = cloud.get("/v2.0/quotas", &admin).await.expect(200);
    assert_eq!(listed.body["quotas"][0]["project_id"], json!(project));
    cloud
        .send(Method::DELETE, &path, &admin, None)
        .await
        .expect(204);
    assert_eq!(cloud.get(&path, &alice).await.body["quota"]["network"], 100);
    cloud
        .send(
            Method::POST,
            "/v2.0/quotas",
            &admin,
            Some(json!({"quota": {}})),
        )
        .await
        .expect(501);
}
