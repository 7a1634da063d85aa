//! Simple tenant usage: hours per server and per project in a period; the
//! instance usage audit log (which no host here runs).

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

#[tokio::test]
async fn the_usage_audit_log_says_no_host_ran_it() {
    let (cloud, admin, alice, _) = setup(2, |_| {}).await;
    let get = |path: &str, who| {
        let (cloud, path) = (&cloud, format!("/v2.1/os-instance_usage_audit_log{path}"));
        async move { cloud.send(Method::GET, &path, who, None, None).await }
    };
    let now = get("", &admin).await.expect(200).body;
    let log = &now["instance_usage_audit_logs"];
    assert_eq!(log["num_hosts"], 2);
    assert_eq!(log["num_hosts_not_run"], 2);
    assert_eq!(log["overall_status"], "0 of 2 hosts done. 0 errors.");
    assert_eq!(log["log"], serde_json::json!({}));
    let before = get("/2026-03-15%2010:00:00", &admin).await.expect(200).body;
    let log = &before["instance_usage_audit_log"];
    assert_eq!(log["period_beginning"], "2026-02-01 00:00:00");
    assert_eq!(log["period_ending"], "2026-03-01 00:00:00");
    get("/2026-03-15%2010:00:00.123456", &admin)
        .await
        .expect(200);
    let resp = get("/invalid_time", &admin).await.expect(400);
    assert_eq!(resp.message(), "Invalid timestamp for date invalid_time");
    get("", &alice).await.expect(403);
    get("/invalid_time", &alice).await.expect(403);
}
