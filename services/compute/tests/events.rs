//! What other services and admins send and read about servers: external
//! events, and the (empty, as nothing moves servers yet) migration list.

mod common;

use common::{create, server_body, setup};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn external_events_and_migrations() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    let id = create(&cloud, &alice, server_body("e", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let missing = uuid::Uuid::new_v4().to_string();
    let send = |who, body| {
        let cloud = &cloud;
        async move {
            cloud
                .send(
                    Method::POST,
                    "/v2.1/os-server-external-events",
                    who,
                    Some(body),
                    Some("2.51"),
                )
                .await
        }
    };
    let plugged = json!({"name": "network-vif-plugged", "server_uuid": id, "tag": "port-1"});
    let all = send(&admin, json!({"events": [plugged]})).await.expect(200);
    assert_eq!(all.body["events"][0]["code"], 200);
    assert_eq!(all.body["events"][0]["status"], "completed");
    let some = send(
        &admin,
        json!({"events": [plugged, {"name": "volume-extended", "server_uuid": missing}]}),
    )
    .await
    .expect(207);
    assert_eq!(some.body["events"][1]["code"], 404);
    send(
        &admin,
        json!({"events": [{"name": "network-changed", "server_uuid": missing}]}),
    )
    .await
    .expect(404);
    send(
        &admin,
        json!({"events": [{"name": "reboot-please", "server_uuid": id}]}),
    )
    .await
    .expect(400);
    send(&admin, json!({"events": []})).await.expect(400);
    send(&alice, json!({"events": [plugged]})).await.expect(403);

    let migrations = cloud
        .send(Method::GET, "/v2.1/os-migrations", &admin, None, None)
        .await
        .expect(200);
    assert_eq!(migrations.body, json!({"migrations": []}));
    cloud
        .send(Method::GET, "/v2.1/os-migrations", &alice, None, None)
        .await
        .expect(403);
}
