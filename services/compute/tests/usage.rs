//! Simple tenant usage: hours per server and per project in a period.

mod common;

use common::{create, server_body, setup};
use reqwest::Method;

#[tokio::test]
async fn usage_counts_running_servers() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    let id = create(&cloud, &alice, server_body("u", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let start = (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%S");
    let end = (chrono::Utc::now() + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%S");
    let path = format!(
        "/v2.1/os-simple-tenant-usage/{}?start={start}&end={end}",
        alice.project_id
    );
    let usage = cloud
        .send(Method::GET, &path, &alice, None, None)
        .await
        .expect(200);
    let tenant = &usage.body["tenant_usage"];
    assert_eq!(tenant["tenant_id"], alice.project_id.as_str());
    let servers = tenant["server_usages"].as_array().unwrap();
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0]["instance_id"], id.as_str());
    assert_eq!(servers[0]["state"], "active");
    assert_eq!(servers[0]["vcpus"], 1);
    let hours = tenant["total_hours"].as_f64().unwrap();
    assert!(hours > 0.0 && hours < 1.1, "{hours}");
    assert_eq!(
        tenant["total_memory_mb_usage"].as_f64().unwrap(),
        hours * 512.0
    );
    // Every project's is the admin's.
    let all = format!("/v2.1/os-simple-tenant-usage?start={start}&end={end}&detailed=1");
    cloud
        .send(Method::GET, &all, &alice, None, None)
        .await
        .expect(403);
    let listed = cloud
        .send(Method::GET, &all, &admin, None, None)
        .await
        .expect(200);
    assert!(listed.body["tenant_usages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["tenant_id"] == alice.project_id.as_str()));
    // Bad periods.
    let backwards = format!(
        "/v2.1/os-simple-tenant-usage/{}?start={end}&end={start}",
        alice.project_id
    );
    cloud
        .send(Method::GET, &backwards, &alice, None, None)
        .await
        .expect(400);
    let garbage = format!(
        "/v2.1/os-simple-tenant-usage/{}?start=yesterday",
        alice.project_id
    );
    cloud
        .send(Method::GET, &garbage, &alice, None, None)
        .await
        .expect(400);
    // A project with nothing has an empty usage.
    let empty = cloud
        .send(
            Method::GET,
            &format!("/v2.1/os-simple-tenant-usage/{}", admin.project_id),
            &admin,
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(empty.body["tenant_usage"], serde_json::json!({}));
}
