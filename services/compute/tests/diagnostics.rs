//! Server diagnostics (admin): what the fake driver knows of a guest, in
//! Nova's standard format from 2.48 and a flat one before.

mod common;

use common::{create, server_body, setup};
use reqwest::Method;

#[tokio::test]
async fn admins_read_what_the_driver_sees() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    let id = create(&cloud, &alice, server_body("d", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let path = format!("/v2.1/servers/{id}/diagnostics");
    let get = |who, version| {
        let (cloud, path) = (&cloud, path.clone());
        async move { cloud.send(Method::GET, &path, who, None, version).await }
    };
    let standard = get(&admin, Some("2.48")).await.expect(200).body;
    assert_eq!(standard["state"], "running");
    assert_eq!(standard["driver"], "libvirt");
    assert_eq!(standard["num_cpus"], 1);
    assert_eq!(standard["memory_details"]["maximum"], 512);
    assert_eq!(standard["cpu_details"].as_array().unwrap().len(), 1);
    assert!(standard["uptime"].is_i64());
    let legacy = get(&admin, None).await.expect(200).body;
    assert_eq!(legacy["memory"], 512 * 1024);
    get(&alice, None).await.expect(403);

    // A paused guest says so; a server that is gone is 404.
    cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{id}/action"),
            &alice,
            Some(serde_json::json!({"pause": null})),
            None,
        )
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "PAUSED").await;
    assert_eq!(get(&admin, Some("2.48")).await.body["state"], "paused");
    let missing = uuid::Uuid::new_v4();
    cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{missing}/diagnostics"),
            &admin,
            None,
            None,
        )
        .await
        .expect(404);
}
