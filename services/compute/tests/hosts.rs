//! The deprecated `os-hosts` API (to 2.42): hosts by their enabled services,
//! a compute host's resources and its servers' use of them, enabling and
//! disabling a host; maintenance and power actions are not supported (501).
//! And the servers on each hypervisor: `with_servers` (2.53) and the
//! pre-2.53 search and servers paths.

mod common;

use common::{create, server_body, setup};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn hosts_their_resources_and_status() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    let server = create(&cloud, &alice, server_body("s", &image, "1")).await;
    let id = server["server"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let send = |method: Method, path: &str, body: Option<Value>, who| {
        let (cloud, path) = (&cloud, format!("/v2.1/os-hosts{path}"));
        async move { cloud.send(method, &path, who, body, None).await }
    };

    let listed = send(Method::GET, "", None, &admin).await.expect(200).body;
    let hosts = listed["hosts"].as_array().unwrap();
    let compute = hosts
        .iter()
        .find(|h| h["service"] == "compute")
        .unwrap()
        .clone();
    let host = compute["host_name"].as_str().unwrap().to_string();
    assert_eq!(compute["zone"], "nova");
    assert!(hosts
        .iter()
        .any(|h| h["service"] == "conductor" && h["zone"] == "internal"));
    let in_zone = send(Method::GET, "?zone=nova", None, &admin).await.body;
    assert!(in_zone["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["zone"] == "nova"));
    let nowhere = send(Method::GET, "?zone=nowhere", None, &admin).await.body;
    assert_eq!(nowhere["hosts"], json!([]));
    send(Method::GET, "", None, &alice).await.expect(403);
    cloud
        .send(Method::GET, "/v2.1/os-hosts", &admin, None, Some("2.43"))
        .await
        .expect(404);

    // Resources: the node's total and use, the servers' flavors by project.
    let shown = send(Method::GET, &format!("/{host}"), None, &admin)
        .await
        .expect(200)
        .body;
    let entries = shown["host"].as_array().unwrap();
    let project = |name: &str| {
        entries
            .iter()
            .find(|e| e["resource"]["project"] == name)
            .map(|e| e["resource"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(project("(total)")["cpu"], 4);
    assert_eq!(project("(used_max)")["cpu"], 1);
    assert_eq!(project("(used_max)")["memory_mb"], 512);
    assert_eq!(project(&alice.project_id)["disk_gb"], 1);
    send(Method::GET, "/nowhere", None, &admin)
        .await
        .expect(404);

    // Enable and disable; bad bodies; what no driver here does.
    let off = send(
        Method::PUT,
        &format!("/{host}"),
        Some(json!({"status": "disable"})),
        &admin,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(off, json!({"host": host, "status": "disabled"}));
    let services = cloud
        .send(
            Method::GET,
            "/v2.1/os-services?binary=nova-compute",
            &admin,
            None,
            None,
        )
        .await
        .body;
    assert_eq!(services["services"][0]["status"], "disabled");
    assert_eq!(
        send(Method::GET, "", None, &admin).await.body["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["service"] == "compute")
            .count(),
        0,
        "disabled hosts are not listed"
    );
    send(
        Method::PUT,
        &format!("/{host}"),
        Some(json!({"status": "Enable"})),
        &admin,
    )
    .await
    .expect(200);
    for bad in [
        json!({"status": "invalid"}),
        json!({"maintenance_mode": "invalid"}),
        json!({}),
        json!({"status": "enable", "x": 1}),
    ] {
        send(Method::PUT, &format!("/{host}"), Some(bad), &admin)
            .await
            .expect(400);
    }
    send(
        Method::PUT,
        "/nowhere",
        Some(json!({"status": "enable"})),
        &admin,
    )
    .await
    .expect(404);
    send(
        Method::PUT,
        &format!("/{host}"),
        Some(json!({"status": "enable"})),
        &alice,
    )
    .await
    .expect(403);
    let resp = send(
        Method::PUT,
        &format!("/{host}"),
        Some(json!({"maintenance_mode": "enable"})),
        &admin,
    )
    .await
    .expect(501);
    assert_eq!(
        resp.message(),
        "Virt driver does not implement host maintenance mode."
    );
    for action in ["reboot", "shutdown", "startup"] {
        send(Method::GET, &format!("/{host}/{action}"), None, &admin)
            .await
            .expect(501);
        send(Method::GET, &format!("/nowhere/{action}"), None, &admin)
            .await
            .expect(404);
        send(Method::GET, &format!("/{host}/{action}"), None, &alice)
            .await
            .expect(403);
    }
}

#[tokio::test]
async fn hypervisors_list_the_servers_on_them() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    let server = create(&cloud, &alice, server_body("s", &image, "1")).await;
    let id = server["server"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let get = |path: &str, version: &'static str| {
        let (cloud, admin, path) = (&cloud, &admin, format!("/v2.1/os-hypervisors{path}"));
        async move {
            cloud
                .send(Method::GET, &path, admin, None, Some(version))
                .await
        }
    };
    let listed = get("?with_servers=true", "2.75").await.expect(200).body;
    let node = &listed["hypervisors"][0];
    assert_eq!(node["servers"][0]["uuid"], id.as_str());
    assert!(node["servers"][0]["name"]
        .as_str()
        .unwrap()
        .starts_with("instance-"));
    let hostname = node["hypervisor_hostname"].as_str().unwrap().to_string();
    let uuid = node["id"].as_str().unwrap().to_string();
    let shown = get(&format!("/{uuid}?with_servers=1"), "2.53")
        .await
        .expect(200)
        .body;
    assert_eq!(shown["hypervisor"]["servers"][0]["uuid"], id.as_str());
    let plain = get("", "2.75").await.body;
    assert!(plain["hypervisors"][0].get("servers").is_none());

    // Before 2.53: search by part of the hostname, and the servers on them.
    let part = &hostname[..hostname.len() - 1];
    let found = get(&format!("/{part}/search"), "2.52")
        .await
        .expect(200)
        .body;
    assert_eq!(
        found["hypervisors"][0]["hypervisor_hostname"],
        hostname.as_str()
    );
    assert!(found["hypervisors"][0].get("servers").is_none());
    let with = get(&format!("/{part}/servers"), "2.52")
        .await
        .expect(200)
        .body;
    assert_eq!(with["hypervisors"][0]["servers"][0]["uuid"], id.as_str());
    let resp = get("/nomatch/search", "2.52").await.expect(404);
    assert_eq!(
        resp.message(),
        "No hypervisor matching 'nomatch' could be found."
    );
    get(&format!("/{part}/search"), "2.53").await.expect(404);
    cloud
        .send(
            Method::GET,
            &format!("/v2.1/os-hypervisors/{part}/servers"),
            &alice,
            None,
            Some("2.52"),
        )
        .await
        .expect(403);
}
