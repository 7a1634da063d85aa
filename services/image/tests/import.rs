//! Interoperable import: staging, glance-direct into one or all stores, copy-image,
//! the stores API, and notifications.

mod common;

use common::{hashes, Cloud};
use ferrostack_rpc::Priority;
use reqwest::Method;
use serde_json::json;

async fn stage(
    cloud: &Cloud,
    id: &str,
    who: &ferrostack_identity::testing::Persona,
    data: &[u8],
) -> common::Resp {
    cloud
        .send(
            cloud
                .request(Method::PUT, &format!("/v2/images/{id}/stage"), Some(who))
                .header("content-type", "application/octet-stream")
                .body(data.to_vec()),
        )
        .await
}

#[tokio::test]
async fn glance_direct_into_all_stores() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    let info = cloud.get("/v2/info/import", &alice).await.expect(200).body;
    assert_eq!(
        info["import-methods"]["value"],
        json!(["glance-direct", "copy-image"])
    );
    let stores = cloud.get("/v2/info/stores", &alice).await.expect(200).body;
    assert_eq!(
        stores["stores"][0],
        json!({"id": "fast", "description": "Fast store", "default": "true"})
    );
    assert_eq!(stores["stores"][1]["id"], "cheap");
    cloud
        .get("/v2/info/stores/detail", &alice)
        .await
        .expect(403);
    let admin = cloud.admin().await;
    let detail = cloud
        .get("/v2/info/stores/detail", &admin)
        .await
        .expect(200)
        .body;
    assert_eq!(detail["stores"][0]["type"], "file");

    let image = cloud
        .create(
            &alice,
            json!({"name": "imp", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let id = image["id"].as_str().unwrap();
    let import = format!("/v2/images/{id}/import");
    let resp = cloud
        .post(
            &import,
            &alice,
            json!({"method": {"name": "glance-direct"}}),
        )
        .await
        .expect(409);
    assert!(resp.text().contains("needs to be staged"));
    let data = vec![42u8; 100_000];
    stage(&cloud, id, &alice, &data).await.expect(204);
    let staged = cloud.get(&format!("/v2/images/{id}"), &alice).await.body;
    assert_eq!(staged["status"], "uploading");
    assert_eq!(staged["size"], 100_000);
    let resp = stage(&cloud, id, &alice, &data).await.expect(409);
    assert!(resp.text().contains("from uploading to uploading"));
    for (body, text) in [
        (json!({}), "requires a 'method' field"),
        (json!({"method": {}}), "requires a 'name' field"),
        (
            json!({"method": {"name": "foo"}}),
            "Unknown import method name 'foo'.",
        ),
        (
            json!({"method": {"name": "glance-direct"}, "all_stores_must_succeed": "x"}),
            "must be boolean",
        ),
        (
            json!({"method": {"name": "web-download", "uri": "http://x/"}}),
            "not enabled",
        ),
    ] {
        let resp = cloud.post(&import, &alice, body).await.expect(400);
        assert!(resp.text().contains(text), "{}", resp.text());
    }
    let resp = cloud
        .post(
            &import,
            &alice,
            json!({"method": {"name": "glance-direct"}, "stores": ["nowhere"]}),
        )
        .await
        .expect(409);
    assert!(resp
        .text()
        .contains("Store for identifier nowhere not found"));
    cloud
        .post(
            &import,
            &alice,
            json!({"method": {"name": "glance-direct"}, "all_stores": true}),
        )
        .await
        .expect(202);
    let image = cloud.wait_status(id, &alice, "active").await;
    let (md5, sha) = hashes(&data);
    assert_eq!(image["checksum"], md5.as_str());
    assert_eq!(image["os_hash_value"], sha.as_str());
    assert_eq!(image["stores"], "fast,cheap");
    assert_eq!(image["os_glance_importing_to_stores"], "");
    assert_eq!(image["os_glance_failed_import"], "");
    assert_eq!(
        cloud
            .get(&format!("/v2/images/{id}/file"), &alice)
            .await
            .bytes,
        data
    );
    let staging = cloud.env.dir.join("staging");
    assert_eq!(
        std::fs::read_dir(&staging).unwrap().count(),
        0,
        "staged data removed"
    );
    let resp = cloud
        .post(
            &import,
            &alice,
            json!({"method": {"name": "glance-direct"}}),
        )
        .await
        .expect(409);
    assert!(resp
        .text()
        .contains("Image with status active cannot be target for import"));
}

#[tokio::test]
async fn copy_image_to_another_store_is_for_admins() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    let admin = cloud.admin().await;
    let id = cloud.image_with(&alice, b"copy me").await;
    let import = format!("/v2/images/{id}/import");
    let body = json!({"method": {"name": "copy-image"}, "stores": ["cheap"]});
    let resp = cloud.post(&import, &alice, body.clone()).await.expect(403);
    assert!(resp.text().contains("copy_image"));
    let resp = cloud
        .post(
            &import,
            &admin,
            json!({"method": {"name": "copy-image"}, "stores": ["fast"]}),
        )
        .await
        .expect(400);
    assert!(resp
        .text()
        .contains("Image is already present at store 'fast'"));
    cloud.post(&import, &admin, body).await.expect(202);
    let mut copied = false;
    for _ in 0..200 {
        let image = cloud.get(&format!("/v2/images/{id}"), &alice).await.body;
        if image["stores"] == "fast,cheap" {
            assert_eq!(image["os_glance_failed_import"], "");
            copied = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(copied, "copy never finished");
    // Removing one copy: admins only, never the last one.
    let resp = cloud
        .delete(&format!("/v2/stores/fast/{id}"), &alice)
        .await
        .expect(403);
    assert!(resp.text().contains("delete_image_location"));
    cloud
        .delete(&format!("/v2/stores/nowhere/{id}"), &admin)
        .await
        .expect(409);
    cloud
        .delete(&format!("/v2/stores/fast/{id}"), &admin)
        .await
        .expect(204);
    cloud
        .delete(&format!("/v2/stores/fast/{id}"), &admin)
        .await
        .expect(404);
    let resp = cloud
        .delete(&format!("/v2/stores/cheap/{id}"), &admin)
        .await
        .expect(403);
    assert!(resp.text().contains("only store containing it"));
    let image = cloud.get(&format!("/v2/images/{id}"), &alice).await.body;
    assert_eq!(image["stores"], "cheap");
    assert_eq!(
        cloud
            .get(&format!("/v2/images/{id}/file"), &alice)
            .await
            .bytes,
        b"copy me"
    );
}

#[tokio::test]
async fn bad_staged_content_fails_the_import() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    let image = cloud
        .create(
            &alice,
            json!({"name": "bad", "disk_format": "qcow2", "container_format": "bare"}),
        )
        .await;
    let id = image["id"].as_str().unwrap();
    stage(&cloud, id, &alice, &[0u8; 2048]).await.expect(204);
    cloud
        .post(
            &format!("/v2/images/{id}/import"),
            &alice,
            json!({"method": {"name": "glance-direct"}}),
        )
        .await
        .expect(202);
    let image = cloud.wait_status(id, &alice, "queued").await;
    assert_eq!(image["os_glance_failed_import"], "fast");
    assert!(image.get("stores").is_none());
}

#[tokio::test]
async fn events_on_the_bus() {
    let cloud = Cloud::start_on_own_bus().await;
    let transport = cloud.glance.cfg.messaging.transport().await.unwrap();
    let mut events = transport.listen(Priority::Info).await.unwrap();
    let alice = cloud.member().await;
    let id = cloud.image_with(&alice, b"evented").await;
    cloud
        .get(&format!("/v2/images/{id}/file"), &alice)
        .await
        .expect(200);
    cloud
        .delete(&format!("/v2/images/{id}"), &alice)
        .await
        .expect(204);
    let mut seen = Vec::new();
    while seen.last().map(String::as_str) != Some("image.delete") {
        let event = tokio::time::timeout(std::time::Duration::from_secs(10), events.next())
            .await
            .expect("an event")
            .unwrap();
        if event.payload["id"] == id.as_str() || event.payload["image_id"] == id.as_str() {
            assert!(event.publisher_id.starts_with("image."));
            seen.push(event.event_type);
        }
    }
    assert_eq!(
        seen,
        [
            "image.create",
            "image.prepare",
            "image.upload",
            "image.activate",
            "image.send",
            "image.delete"
        ]
    );
}

/// A one-route HTTP server on loopback: `/image` answers `data`, `/moved` redirects.
async fn web_server(data: Vec<u8>) -> (u16, tokio_util::sync::CancellationToken) {
    use axum::routing::get;
    let router = axum::Router::new()
        .route("/image", get(move || async move { data.clone() }))
        .route(
            "/moved",
            get(|| async { axum::response::Redirect::temporary("http://127.0.0.1:1/image") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = tokio_util::sync::CancellationToken::new();
    let token = stop.clone();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(token.cancelled_owned())
            .await
            .unwrap();
    });
    (port, stop)
}

#[tokio::test]
async fn web_download_within_the_allow_list() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
    let (port, _stop) = web_server(data.clone()).await;
    let cloud = Cloud::start_with(|c| {
        c.set(
            "DEFAULT",
            "enabled_import_methods",
            "glance-direct,web-download,copy-image",
        );
        c.set("import_filtering_opts", "allowed_hosts", "127.0.0.1");
        c.set("import_filtering_opts", "allowed_ports", port.to_string());
    })
    .await;
    let alice = cloud.member().await;
    let new_image = || {
        cloud.create(
            &alice,
            json!({"name": "web", "disk_format": "raw", "container_format": "bare"}),
        )
    };
    let image = new_image().await;
    let id = image["id"].as_str().unwrap();
    let import = format!("/v2/images/{id}/import");
    for uri in [
        "http://127.0.0.1:9/image".to_string(),
        "http://localhost:{port}/image".replace("{port}", &port.to_string()),
        "file:///etc/passwd".to_string(),
    ] {
        let resp = cloud
            .post(
                &import,
                &alice,
                json!({"method": {"name": "web-download", "uri": uri}}),
            )
            .await
            .expect(400);
        assert!(
            resp.text().contains("does not pass filtering"),
            "{}",
            resp.text()
        );
    }
    let uri = format!("http://127.0.0.1:{port}/image");
    cloud
        .post(
            &import,
            &alice,
            json!({"method": {"name": "web-download", "uri": uri}}),
        )
        .await
        .expect(202);
    let image = cloud.wait_status(id, &alice, "active").await;
    assert_eq!(image["checksum"], hashes(&data).0.as_str());
    assert_eq!(
        cloud
            .get(&format!("/v2/images/{id}/file"), &alice)
            .await
            .bytes,
        data
    );
    // Only queued images take a web-download.
    let resp = cloud
        .post(
            &import,
            &alice,
            json!({"method": {"name": "web-download", "uri": uri}}),
        )
        .await
        .expect(409);
    assert!(resp.text().contains("cannot be target for import"));
    // Redirects are not followed: the import fails and the image is queued again.
    let moved = new_image().await;
    let moved_id = moved["id"].as_str().unwrap();
    cloud
        .post(
            &format!("/v2/images/{moved_id}/import"),
            &alice,
            json!({"method": {"name": "web-download", "uri": format!("http://127.0.0.1:{port}/moved")}}),
        )
        .await
        .expect(202);
    for _ in 0..200 {
        let image = cloud
            .get(&format!("/v2/images/{moved_id}"), &alice)
            .await
            .body;
        if image["os_glance_failed_import"] == "fast" {
            assert_eq!(image["status"], "queued");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the redirected import never failed");
}

/// Waits until task `id` ends; returns it.
async fn ended_task(
    cloud: &Cloud,
    who: &ferrostack_identity::testing::Persona,
    id: &str,
) -> serde_json::Value {
    for _ in 0..200 {
        let task = cloud
            .get(&format!("/v2/tasks/{id}"), who)
            .await
            .expect(200)
            .body;
        if task["status"] == "success" || task["status"] == "failure" {
            return task;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("task {id} never ended");
}

/// Every import is a task of its image; admins read and make tasks, and a
/// legacy import task makes an image from a URI that passes the filter.
#[tokio::test]
async fn imports_are_tasks() {
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 199) as u8).collect();
    let (port, _stop) = web_server(data.clone()).await;
    let cloud = Cloud::start_with(|c| {
        c.set("import_filtering_opts", "allowed_hosts", "127.0.0.1");
        c.set("import_filtering_opts", "allowed_ports", port.to_string());
    })
    .await;
    let (alice, admin) = (cloud.member().await, cloud.admin().await);
    let image = cloud
        .create(
            &alice,
            json!({"name": "t", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let id = image["id"].as_str().unwrap().to_string();
    stage(&cloud, &id, &alice, &data).await.expect(204);
    let imported = cloud
        .post(
            &format!("/v2/images/{id}/import"),
            &alice,
            json!({"method": {"name": "glance-direct"}}),
        )
        .await
        .expect(202);
    let request_id = imported
        .header("x-openstack-request-id")
        .unwrap()
        .to_string();
    cloud.wait_status(&id, &alice, "active").await;
    let mut tasks = serde_json::Value::Null;
    for _ in 0..200 {
        tasks = cloud
            .get(&format!("/v2/images/{id}/tasks"), &alice)
            .await
            .expect(200)
            .body;
        if tasks["tasks"][0]["status"] == "success" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let task = &tasks["tasks"][0];
    assert_eq!(tasks["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(task["status"], "success", "{task}");
    assert_eq!(task["type"], "api_image_import");
    assert_eq!(task["request_id"], request_id.as_str());
    assert_eq!(
        task["input"]["import_req"]["method"]["name"],
        "glance-direct"
    );
    assert_eq!(task["image_id"], id.as_str());
    assert_eq!(task["owner"], alice.project_id.as_str());
    assert!(task["expires_at"].as_str().unwrap().ends_with('Z'));
    let stranger = cloud.member().await;
    cloud
        .get(&format!("/v2/images/{id}/tasks"), &stranger)
        .await
        .expect(404);

    // The tasks API is for admins.
    let task_id = task["id"].as_str().unwrap();
    cloud.get("/v2/tasks", &alice).await.expect(403);
    cloud
        .get(&format!("/v2/tasks/{task_id}"), &alice)
        .await
        .expect(403);
    let listed = cloud.get("/v2/tasks", &admin).await.expect(200).body;
    assert!(listed["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == task_id));
    let shown = cloud
        .get(&format!("/v2/tasks/{task_id}"), &admin)
        .await
        .expect(200)
        .body;
    assert_eq!(shown["self"], format!("/v2/tasks/{task_id}"));
    cloud.get("/v2/tasks/nope", &admin).await.expect(404);

    // Legacy import tasks: checked at once, run in the background.
    let legacy = |uri: String| {
        json!({"type": "import", "input": {"import_from": uri, "import_from_format": "raw",
            "image_properties": {"name": "from-task", "disk_format": "raw", "container_format": "bare"}}})
    };
    let resp = cloud
        .post(
            "/v2/tasks",
            &admin,
            legacy("http://tempest-dummy-img-file.qcow2".into()),
        )
        .await
        .expect(400);
    assert!(
        resp.text().contains("does not pass filtering"),
        "{}",
        resp.text()
    );
    cloud
        .post("/v2/tasks", &admin, json!({"type": "export", "input": {}}))
        .await
        .expect(400);
    cloud
        .post(
            "/v2/tasks",
            &admin,
            json!({"type": "import", "input": {"import_from": "x"}}),
        )
        .await
        .expect(400);
    cloud
        .post(
            "/v2/tasks",
            &alice,
            legacy(format!("http://127.0.0.1:{port}/image")),
        )
        .await
        .expect(403);
    let made = cloud
        .post(
            "/v2/tasks",
            &admin,
            legacy(format!("http://127.0.0.1:{port}/image")),
        )
        .await
        .expect(201)
        .body;
    let ended = ended_task(&cloud, &admin, made["id"].as_str().unwrap()).await;
    assert_eq!(ended["status"], "success", "{ended}");
    let new_image = ended["result"]["image_id"].as_str().unwrap();
    let shown = cloud.wait_status(new_image, &admin, "active").await;
    assert_eq!(shown["size"], data.len());
    assert_eq!(shown["name"], "from-task");
    // One whose download fails ends in failure, saying why.
    let made = cloud
        .post(
            "/v2/tasks",
            &admin,
            legacy(format!("http://127.0.0.1:{port}/missing")),
        )
        .await
        .expect(201)
        .body;
    let ended = ended_task(&cloud, &admin, made["id"].as_str().unwrap()).await;
    assert_eq!(ended["status"], "failure", "{ended}");
    assert!(
        ended["message"]
            .as_str()
            .unwrap()
            .starts_with("Import of image"),
        "{ended}"
    );
}
