//! OAuth1 consumers: the secret shown once, updates that cannot touch it, 404s.

use reqwest::Method;
use serde_json::json;

use crate::common::Keystone;

#[tokio::test]
async fn consumers_crud_and_secret() {
    let ks = Keystone::start().await;
    let made = ks
        .admin(
            Method::POST,
            "/v3/OS-OAUTH1/consumers",
            Some(json!({"consumer": {"description": "d"}})),
        )
        .await
        .expect(201)
        .body["consumer"]
        .clone();
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!(made["secret"].as_str().unwrap().len(), 32);
    let path = format!("/v3/OS-OAUTH1/consumers/{id}");
    let shown = ks.admin(Method::GET, &path, None).await.expect(200);
    assert_eq!(shown.body["consumer"]["links"], made["links"]);
    assert_eq!(shown.body["consumer"]["description"], "d");
    assert!(shown.body["consumer"].get("secret").is_none());
    let listed = ks
        .admin(Method::GET, "/v3/OS-OAUTH1/consumers", None)
        .await
        .expect(200);
    assert!(listed.body["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == id.as_str() && c.get("secret").is_none()));
    let empty = ks
        .admin(Method::POST, "/v3/OS-OAUTH1/consumers", Some(json!({})))
        .await
        .expect(201);
    assert_eq!(
        empty.body["consumer"]["description"],
        serde_json::Value::Null
    );

    for bad in [
        json!({"consumer": {"secret": "mine"}}),
        json!({"consumer": {}}),
        json!({"consumer": {"id": "other"}}),
        json!({"consumer": {"description": 7}}),
    ] {
        ks.admin(Method::PATCH, &path, Some(bad)).await.expect(400);
    }
    let updated = ks
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"consumer": {"description": "new"}})),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["consumer"]["description"], "new");

    let member = ks.user_with_role("member").await;
    ks.send(
        Method::POST,
        "/v3/OS-OAUTH1/consumers",
        Some(&member.token),
        Some(json!({"consumer": {}})),
    )
    .await
    .expect(403);
    ks.admin(Method::DELETE, &path, None).await.expect(204);
    ks.admin(Method::GET, &path, None).await.expect(404);
    ks.admin(Method::DELETE, &path, None).await.expect(404);
}
