//! `createImage`: an image of the server's disk uploaded through the image API
//! by its agent, with Nova's snapshot properties; the server keeps its state.

mod common;

use common::{create, server_body, setup, Cloud};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

async fn image_of(cloud: &Cloud, who: &Persona, id: &str) -> Value {
    let (image, _) = cloud.image.as_ref().unwrap();
    cloud
        .http
        .get(image.url(&format!("/v2/images/{id}")))
        .header("X-Auth-Token", &who.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn wait_active(cloud: &Cloud, who: &Persona, id: &str) -> Value {
    let mut image = Value::Null;
    for _ in 0..200 {
        image = image_of(cloud, who, id).await;
        if image["status"] == "active" {
            return image;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("image {id} never became active: {image}");
}

#[tokio::test]
async fn servers_snapshot_into_images() {
    let (cloud, _admin, alice, base) = setup(1, |_| {}).await;
    let id = create(&cloud, &alice, server_body("s", &base, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let path = format!("/v2.1/servers/{id}/action");

    let made = cloud
        .send(
            Method::POST,
            &path,
            &alice,
            Some(json!({"createImage": {"name": "snap", "metadata": {"purpose": "test"}}})),
            Some("2.45"),
        )
        .await
        .expect(202);
    let image_id = made.body["image_id"].as_str().unwrap().to_string();
    let image = wait_active(&cloud, &alice, &image_id).await;
    assert_eq!(image["name"], "snap");
    assert_eq!(image["image_type"], "snapshot");
    assert_eq!(image["instance_uuid"], id.as_str());
    assert_eq!(image["base_image_ref"], base.as_str());
    assert_eq!(image["purpose"], "test");
    assert_eq!(image["size"], 64 * 1024);
    let server = cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(server["OS-EXT-STS:task_state"], Value::Null);

    // Before 2.45 the image is named by the Location header; a stopped
    // server stays stopped.
    cloud
        .send(
            Method::POST,
            &path,
            &alice,
            Some(json!({"os-stop": null})),
            None,
        )
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "SHUTOFF").await;
    let older = cloud
        .send(
            Method::POST,
            &path,
            &alice,
            Some(json!({"createImage": {"name": "snap2"}})),
            None,
        )
        .await
        .expect(202);
    let location = older.header("location").unwrap().to_string();
    let second = location.rsplit('/').next().unwrap().to_string();
    wait_active(&cloud, &alice, &second).await;
    let stopped = cloud.wait_status(&alice, &id, "SHUTOFF").await;
    assert_eq!(stopped["OS-EXT-STS:task_state"], Value::Null);

    // The actions are recorded; bad bodies and other projects are refused.
    let actions = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}/os-instance-actions"),
            &alice,
            None,
            None,
        )
        .await
        .body;
    let snapshots = actions["instanceActions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "createImage")
        .count();
    assert_eq!(snapshots, 2);
    let unnamed = cloud
        .send(
            Method::POST,
            &path,
            &alice,
            Some(json!({"createImage": {}})),
            None,
        )
        .await;
    assert_eq!(unnamed.status, 400);
    assert!(
        unnamed.message().contains("'name' is a required property"),
        "{}",
        unnamed.message()
    );
    let bob = cloud.identity.persona(&["member"]).await;
    cloud
        .send(
            Method::POST,
            &path,
            &bob,
            Some(json!({"createImage": {"name": "x"}})),
            None,
        )
        .await
        .expect(404);
}

#[tokio::test]
async fn the_deprecated_image_proxy_reaches_the_image_api() {
    let (cloud, _admin, alice, base) = setup(1, |_| {}).await;
    let id = create(&cloud, &alice, server_body("p", &base, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let snap = cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{id}/action"),
            &alice,
            Some(json!({"createImage": {"name": "proxied"}})),
            Some("2.45"),
        )
        .await
        .expect(202)
        .body["image_id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_active(&cloud, &alice, &snap).await;
    let get = |path: String, version: Option<&'static str>| {
        let (cloud, alice) = (&cloud, &alice);
        async move { cloud.send(Method::GET, &path, alice, None, version).await }
    };

    let listed = get("/v2.1/images".into(), None).await.expect(200).body;
    assert!(listed["images"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == base.as_str()));
    let snapshots = get(
        format!("/v2.1/images/detail?server={id}&type=snapshot"),
        None,
    )
    .await
    .expect(200)
    .body["images"]
        .clone();
    assert_eq!(snapshots.as_array().unwrap().len(), 1, "{snapshots}");
    assert_eq!(snapshots[0]["status"], "ACTIVE");
    assert_eq!(snapshots[0]["server"]["id"], id.as_str());
    assert_eq!(snapshots[0]["metadata"]["image_type"], "snapshot");

    // Metadata: merge, one item, replace, delete.
    let path = format!("/v2.1/images/{snap}/metadata");
    let merged = cloud
        .send(
            Method::POST,
            &path,
            &alice,
            Some(json!({"metadata": {"os_distro": "cirros"}})),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(merged["metadata"]["os_distro"], "cirros");
    assert_eq!(merged["metadata"]["image_type"], "snapshot");
    let item = get(format!("{path}/os_distro"), None)
        .await
        .expect(200)
        .body;
    assert_eq!(item, json!({"meta": {"os_distro": "cirros"}}));
    cloud
        .send(
            Method::PUT,
            &format!("{path}/k"),
            &alice,
            Some(json!({"meta": {"other": "v"}})),
            None,
        )
        .await
        .expect(400);
    let replaced = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"metadata": {"only": "this"}})),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(replaced["metadata"], json!({"only": "this"}));
    cloud
        .send(Method::DELETE, &format!("{path}/only"), &alice, None, None)
        .await
        .expect(204);
    let missing_key = get(format!("{path}/only"), None).await;
    assert_eq!(missing_key.status, 404);

    // Past 2.35 the proxy is gone; deleted images are not found.
    get("/v2.1/images".into(), Some("2.36")).await.expect(404);
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/images/{snap}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(204);
    let gone = get(format!("/v2.1/images/{snap}"), None).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.message(), "Image not found.");
}

#[tokio::test]
async fn backups_rotate_out_the_oldest() {
    let (cloud, _admin, alice, base) = setup(1, |_| {}).await;
    let id = create(&cloud, &alice, server_body("b", &base, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let mut made = Vec::new();
    for n in 1..=3 {
        let backup = cloud
            .send(
                Method::POST,
                &format!("/v2.1/servers/{id}/action"),
                &alice,
                Some(json!({"createBackup": {"name": format!("backup-{n}"),
                    "backup_type": "daily", "rotation": 2}})),
                Some("2.45"),
            )
            .await
            .expect(202)
            .body["image_id"]
            .as_str()
            .unwrap()
            .to_string();
        let image = wait_active(&cloud, &alice, &backup).await;
        assert_eq!(image["image_type"], "backup");
        assert_eq!(image["backup_type"], "daily");
        cloud.wait_status(&alice, &id, "ACTIVE").await;
        made.push(backup);
        // Images created in the same second sort by creation time alike.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    // The first is rotated out once the third is made.
    let (image, _) = cloud.image.as_ref().unwrap();
    let mut found = 0;
    for _ in 0..100 {
        found = cloud
            .http
            .get(image.url(&format!("/v2/images/{}", made[0])))
            .header("X-Auth-Token", &alice.token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if found == 404 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(found, 404, "the oldest backup stayed");
    assert_eq!(image_of(&cloud, &alice, &made[2]).await["status"], "active");
    assert_eq!(image_of(&cloud, &alice, &made[1]).await["status"], "active");
    let missing = cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{id}/action"),
            &alice,
            Some(json!({"createBackup": {"name": "x", "backup_type": "daily"}})),
            None,
        )
        .await;
    assert_eq!(missing.status, 400);
    assert!(missing
        .message()
        .contains("'rotation' is a required property"));
}
