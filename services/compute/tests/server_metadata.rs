//! A server's metadata and tags: read, merged, replaced, per item, within the
//! quotas, and refused while the server is locked.

mod common;

use common::{create, server_body, setup, V47};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn metadata_and_tags() {
    let (cloud, admin, alice, image) = setup(1, |c| c.set("quota", "metadata_items", "3")).await;
    let id = create(&cloud, &alice, server_body("m", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let path = format!("/v2.1/servers/{id}/metadata");
    let send = |method: Method, path: String, body: Option<serde_json::Value>| {
        let (cloud, alice) = (&cloud, &alice);
        async move { cloud.send(method, &path, alice, body, Some("2.26")).await }
    };
    let merged = send(
        Method::POST,
        path.clone(),
        Some(json!({"metadata": {"a": "1", "b": "2"}})),
    )
    .await
    .expect(200);
    assert_eq!(merged.body["metadata"], json!({"a": "1", "b": "2"}));
    let replaced = send(
        Method::PUT,
        path.clone(),
        Some(json!({"metadata": {"c": "3"}})),
    )
    .await
    .expect(200);
    assert_eq!(replaced.body["metadata"], json!({"c": "3"}));
    send(
        Method::PUT,
        format!("{path}/d"),
        Some(json!({"meta": {"d": "4"}})),
    )
    .await
    .expect(200);
    assert_eq!(
        send(Method::GET, format!("{path}/d"), None)
            .await
            .expect(200)
            .body,
        json!({"meta": {"d": "4"}})
    );
    assert_eq!(
        send(
            Method::PUT,
            format!("{path}/d"),
            Some(json!({"meta": {"e": "4"}}))
        )
        .await
        .expect(400)
        .message(),
        "Request body and URI mismatch"
    );
    assert_eq!(
        send(
            Method::POST,
            path.clone(),
            Some(json!({"metadata": {"x": "1", "y": "2"}}))
        )
        .await
        .expect(403)
        .message(),
        "Maximum number of metadata items exceeds 3"
    );
    send(
        Method::POST,
        path.clone(),
        Some(json!({"metadata": {"k": 1}})),
    )
    .await
    .expect(400);
    send(Method::DELETE, format!("{path}/c"), None)
        .await
        .expect(204);
    send(Method::DELETE, format!("{path}/c"), None)
        .await
        .expect(404);
    assert_eq!(
        send(Method::GET, path.clone(), None).await.expect(200).body["metadata"],
        json!({"d": "4"})
    );

    // Tags.
    let tags = format!("/v2.1/servers/{id}/tags");
    cloud
        .send(Method::GET, &tags, &alice, None, Some("2.25"))
        .await
        .expect(404);
    send(Method::PUT, tags.clone(), Some(json!({"tags": ["x", "y"]})))
        .await
        .expect(200);
    let added = send(Method::PUT, format!("{tags}/z"), None)
        .await
        .expect(201);
    assert!(added
        .header("location")
        .unwrap()
        .ends_with(&format!("/servers/{id}/tags/z")));
    send(Method::PUT, format!("{tags}/z"), None)
        .await
        .expect(204);
    send(Method::GET, format!("{tags}/z"), None)
        .await
        .expect(204);
    send(Method::DELETE, format!("{tags}/z"), None)
        .await
        .expect(204);
    send(Method::GET, format!("{tags}/z"), None)
        .await
        .expect(404);
    send(Method::PUT, format!("{tags}/a,b"), None)
        .await
        .expect(400);
    let many: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
    send(Method::PUT, tags.clone(), Some(json!({"tags": many})))
        .await
        .expect(400);
    assert_eq!(
        send(Method::GET, tags.clone(), None).await.expect(200).body["tags"],
        json!(["x", "y"])
    );
    send(Method::DELETE, tags.clone(), None).await.expect(204);

    // Locked by the admin, the owner changes nothing.
    cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{id}/action"),
            &admin,
            Some(json!({"lock": null})),
            V47,
        )
        .await
        .expect(202);
    assert_eq!(
        send(
            Method::POST,
            path.clone(),
            Some(json!({"metadata": {"a": "1"}}))
        )
        .await
        .expect(409)
        .message(),
        format!("Instance {id} is locked")
    );
    send(Method::PUT, format!("{tags}/l"), None)
        .await
        .expect(409);
}
