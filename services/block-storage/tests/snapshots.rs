//! Snapshots, and volumes made from snapshots and from other volumes.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::json;

async fn wait_snapshot(
    cloud: &Cloud,
    who: &ferrostack_identity::testing::Persona,
    id: &str,
    status: &str,
) {
    for _ in 0..200 {
        let resp = cloud
            .send(
                Method::GET,
                &format!("/v3/{}/snapshots/{id}", who.project_id),
                who,
                None,
                None,
            )
            .await;
        if (status == "gone" && resp.status == 404) || resp.body["snapshot"]["status"] == status {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("snapshot {id} never reached {status}");
}

#[tokio::test]
async fn snapshot_then_copy_and_clone() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let volumes = format!("/v3/{}/volumes", alice.project_id);
    let snapshots = format!("/v3/{}/snapshots", alice.project_id);
    // On the gold backend, which keeps raw files the test can write into.
    let admin = cloud.identity.admin_persona().await;
    cloud
        .send(Method::POST, &format!("/v3/{}/types", admin.project_id), &admin,
            Some(json!({"volume_type": {"name": "raw", "extra_specs": {"volume_backend_name": "gold"}}})), None)
        .await
        .expect(200);
    let source = cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"size": 1, "name": "src", "volume_type": "raw"}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &source, "available").await;
    let dir = cloud.env.dir.join("volumes").join("gold");
    let path = dir.join(format!("volume-{source}"));
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    use std::os::unix::fs::FileExt;
    file.write_at(b"payload", 0).unwrap();

    let snap = cloud
        .send(
            Method::POST,
            &snapshots,
            &alice,
            Some(json!({"snapshot": {"volume_id": source, "name": "s1"}})),
            None,
        )
        .await
        .expect(202)
        .body["snapshot"]
        .clone();
    assert_eq!(snap["status"], "creating");
    // The extended attributes are on shows and detailed lists only, as Cinder's
    // extension adds them (tempest's create schema refuses them).
    assert!(snap
        .get("os-extended-snapshot-attributes:project_id")
        .is_none());
    let snap_id = snap["id"].as_str().unwrap().to_string();
    wait_snapshot(&cloud, &alice, &snap_id, "available").await;
    assert!(dir.join(format!("snapshot-{snap_id}")).exists());
    let listed = cloud
        .send(
            Method::GET,
            &format!("{snapshots}/detail"),
            &alice,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        listed["snapshots"][0]["os-extended-snapshot-attributes:progress"],
        "100%"
    );

    // From the snapshot: same backend, at least the snapshot's size.
    let resp = cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"size": 0, "snapshot_id": snap_id}})),
            None,
        )
        .await
        .expect(400);
    assert!(resp.body["badRequest"]["message"].is_string());
    let copy = cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"snapshot_id": snap_id, "size": 2}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let copy_volume = cloud.wait_status(&alice, &copy, "available").await;
    assert_eq!(copy_volume["size"], 2);
    let copy_path = dir.join(format!("volume-{copy}"));
    assert!(copy_path.exists(), "the copy is on the snapshot's backend");
    assert_eq!(&std::fs::read(&copy_path).unwrap()[..7], b"payload");
    let clone = cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"source_volid": source}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cloned = cloud.wait_status(&alice, &clone, "available").await;
    assert_eq!(cloned["size"], 1);
    assert!(dir.join(format!("volume-{clone}")).exists());

    // A volume with snapshots is only deleted with cascade.
    let resp = cloud
        .send(
            Method::DELETE,
            &format!("{volumes}/{source}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(400);
    assert!(resp.body["badRequest"]["message"]
        .as_str()
        .unwrap()
        .contains("have snapshots"));
    cloud
        .send(
            Method::DELETE,
            &format!("{volumes}/{source}?cascade=true"),
            &alice,
            None,
            None,
        )
        .await
        .expect(202);
    cloud.wait_status(&alice, &source, "gone").await;
    wait_snapshot(&cloud, &alice, &snap_id, "gone").await;
    assert!(!dir.join(format!("snapshot-{snap_id}")).exists());
    // Other projects see none of it.
    let bob = cloud.identity.persona(&["member"]).await;
    cloud
        .send(
            Method::GET,
            &format!("/v3/{}/snapshots/{snap_id}", bob.project_id),
            &bob,
            None,
            None,
        )
        .await
        .expect(404);
}

#[tokio::test]
async fn revert_to_the_latest_snapshot() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let volumes = format!("/v3/{}/volumes", alice.project_id);
    let snapshots = format!("/v3/{}/snapshots", alice.project_id);
    // The gold backend keeps raw files, which the test can write into.
    let admin = cloud.identity.admin_persona().await;
    cloud
        .send(Method::POST, &format!("/v3/{}/types", admin.project_id), &admin,
            Some(json!({"volume_type": {"name": "raw", "extra_specs": {"volume_backend_name": "gold"}}})), None)
        .await
        .expect(200);
    let id = cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"size": 1, "volume_type": "raw"}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "available").await;
    let path = cloud
        .env
        .dir
        .join("volumes")
        .join("gold")
        .join(format!("volume-{id}"));
    let write = |bytes: &[u8]| {
        use std::os::unix::fs::FileExt;
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.write_at(bytes, 0).unwrap();
    };
    write(b"first");
    let mut snaps = Vec::new();
    for _ in 0..2 {
        let snap = cloud
            .send(
                Method::POST,
                &snapshots,
                &alice,
                Some(json!({"snapshot": {"volume_id": id}})),
                None,
            )
            .await
            .expect(202)
            .body["snapshot"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        wait_snapshot(&cloud, &alice, &snap, "available").await;
        snaps.push(snap);
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    write(b"later");
    let action = format!("{volumes}/{id}/action");
    let body = |snap: &str| Some(json!({"revert": {"snapshot_id": snap}}));
    // Not an action before 3.40; only the latest snapshot.
    cloud
        .send(
            Method::POST,
            &action,
            &alice,
            body(&snaps[1]),
            Some("volume 3.39"),
        )
        .await
        .expect(400);
    let resp = cloud
        .send(
            Method::POST,
            &action,
            &alice,
            body(&snaps[0]),
            Some("volume 3.40"),
        )
        .await
        .expect(400);
    assert!(resp.body["badRequest"]["message"]
        .as_str()
        .unwrap()
        .contains("not the latest"));
    cloud
        .send(
            Method::POST,
            &action,
            &alice,
            body(&snaps[1]),
            Some("volume 3.40"),
        )
        .await
        .expect(202);
    for _ in 0..200 {
        let v = cloud.wait_status(&alice, &id, "available").await;
        if v["status"] == "available"
            && std::fs::read(&path)
                .map(|d| d.starts_with(b"first"))
                .unwrap_or(false)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the volume was not reverted");
}

#[tokio::test]
async fn snapshot_metadata_and_actions() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let admin = cloud.identity.admin_persona().await;
    let volume = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes", alice.project_id),
            &alice,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &volume, "available").await;
    let snapshots = format!("/v3/{}/snapshots", alice.project_id);
    let bad = cloud
        .send(
            Method::POST,
            &snapshots,
            &alice,
            Some(json!({"snapshot": {"volume_id": volume, "metadata": {"a$": "b"}}})),
            None,
        )
        .await
        .expect(400);
    assert!(bad.message().contains("does not match any of the regexes"));
    let snap = cloud
        .send(
            Method::POST,
            &snapshots,
            &alice,
            Some(json!({"snapshot": {"volume_id": volume, "metadata": {"a/b": "1"}}})),
            None,
        )
        .await
        .expect(202)
        .body["snapshot"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_snapshot(&cloud, &alice, &snap, "available").await;
    let meta = format!("{snapshots}/{snap}/metadata");
    let send = |method: Method, path: String, body: Option<serde_json::Value>| {
        let cloud = &cloud;
        let alice = &alice;
        async move { cloud.send(method, &path, alice, body, None).await }
    };
    let resp = send(Method::GET, meta.clone(), None).await.expect(200);
    assert_eq!(resp.body, json!({"metadata": {"a/b": "1"}}));
    let resp = send(
        Method::POST,
        meta.clone(),
        Some(json!({"metadata": {"k": "v"}})),
    )
    .await
    .expect(200);
    assert_eq!(resp.body, json!({"metadata": {"a/b": "1", "k": "v"}}));
    let resp = send(
        Method::PUT,
        meta.clone(),
        Some(json!({"metadata": {"x": "y"}})),
    )
    .await
    .expect(200);
    assert_eq!(resp.body, json!({"metadata": {"x": "y"}}));
    let resp = send(
        Method::PUT,
        format!("{meta}/z"),
        Some(json!({"meta": {"z": "1"}})),
    )
    .await
    .expect(200);
    assert_eq!(resp.body, json!({"meta": {"z": "1"}}));
    let resp = send(Method::GET, format!("{meta}/z"), None)
        .await
        .expect(200);
    assert_eq!(resp.body, json!({"meta": {"z": "1"}}));
    let resp = send(
        Method::PUT,
        format!("{meta}/z"),
        Some(json!({"meta": {"q": "1"}})),
    )
    .await
    .expect(400);
    assert_eq!(resp.message(), "Request body and URI mismatch");
    let resp = send(
        Method::POST,
        meta.clone(),
        Some(json!({"metadata": {"k/x": "v"}})),
    )
    .await
    .expect(400);
    assert!(resp.message().contains("'^[a-zA-Z0-9-_:. ]{1,255}$'"));
    send(Method::DELETE, format!("{meta}/z"), None)
        .await
        .expect(200);
    let resp = send(Method::DELETE, format!("{meta}/z"), None)
        .await
        .expect(404);
    assert_eq!(
        resp.message(),
        format!("Snapshot {snap} has no metadata with key z.")
    );
    let shown = send(Method::GET, format!("{snapshots}/{snap}"), None)
        .await
        .expect(200);
    assert_eq!(shown.body["snapshot"]["metadata"], json!({"x": "y"}));

    // Actions: admins reset and force-delete; the owner updates a status it drives.
    let action = format!("{snapshots}/{snap}/action");
    let admin_action = format!("/v3/{}/snapshots/{snap}/action", admin.project_id);
    let resp = cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-reset_status": {"status": "creating"}})),
            None,
        )
        .await
        .expect(403);
    assert_eq!(resp.message(), "Policy doesn't allow volume_extension:snapshot_admin_actions:reset_status to be performed.");
    let resp = cloud
        .send(
            Method::POST,
            &admin_action,
            &admin,
            Some(json!({"os-reset_status": {"status": "bogus"}})),
            None,
        )
        .await
        .expect(400);
    let text = resp.message();
    assert!(
        text.starts_with(
            "Snapshot status: bogus is invalid, valid statuses are: ('error', 'available'"
        ),
        "{text}"
    );
    cloud
        .send(
            Method::POST,
            &admin_action,
            &admin,
            Some(json!({"os-reset_status": {"status": "CREATING"}})),
            None,
        )
        .await
        .expect(202);
    wait_snapshot(&cloud, &alice, &snap, "creating").await;
    let resp = cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-update_snapshot_status": {"status": "deleting"}})),
            None,
        )
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "Provided snapshot status deleting not allowed for snapshot with status creating."
    );
    let resp = cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-update_snapshot_status": {"status": "creating", "progress": "150%"}})),
            None,
        )
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid input received: progress must be an integer percentage between 0 and 100"
    );
    cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-update_snapshot_status": {"status": "creating", "progress": "40%"}})),
            None,
        )
        .await
        .expect(202);
    let shown = send(Method::GET, format!("{snapshots}/{snap}"), None)
        .await
        .expect(200);
    assert_eq!(
        shown.body["snapshot"]["os-extended-snapshot-attributes:progress"],
        "40%"
    );
    cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-update_snapshot_status": {"status": "available"}})),
            None,
        )
        .await
        .expect(202);
    let resp = cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-update_snapshot_status": {"status": "error"}})),
            None,
        )
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "Snapshot status available not allowed for update_snapshot_status"
    );
    let resp = cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-force_delete": {}})),
            None,
        )
        .await
        .expect(403);
    assert_eq!(resp.message(), "Policy doesn't allow volume_extension:snapshot_admin_actions:force_delete to be performed.");
    cloud
        .send(
            Method::POST,
            &admin_action,
            &admin,
            Some(json!({"os-force_delete": null})),
            None,
        )
        .await
        .expect(202);
    wait_snapshot(&cloud, &alice, &snap, "gone").await;
    let resp = cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-bogus": {}})),
            None,
        )
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "There is no such action: os-bogus. Verify the request body and Content-Type header and try again."
    );
}

/// Snapshot lists page and sort as Cinder's do (limit, marker, offset, sort,
/// `snapshots_links`), with its 400s and 404s; a null volume_id is volume
/// `None`, not found.
#[tokio::test]
async fn snapshot_lists_page_and_sort() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let base = format!("/v3/{}", alice.project_id);
    let get = |path: String| {
        let (cloud, alice) = (&cloud, &alice);
        async move { cloud.send(Method::GET, &path, alice, None, None).await }
    };
    let volume = cloud
        .send(
            Method::POST,
            &format!("{base}/volumes"),
            &alice,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &volume, "available").await;
    let mut ids = Vec::new();
    for name in ["b", "a", "c"] {
        let made = cloud
            .send(
                Method::POST,
                &format!("{base}/snapshots"),
                &alice,
                Some(json!({"snapshot": {"volume_id": volume, "name": name}})),
                None,
            )
            .await
            .expect(202)
            .body["snapshot"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        wait_snapshot(&cloud, &alice, &made, "available").await;
        ids.push(made);
    }
    let names = |body: &serde_json::Value| -> Vec<String> {
        body["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };
    let sorted = get(format!("{base}/snapshots/detail?sort=name:asc"))
        .await
        .expect(200)
        .body;
    assert_eq!(names(&sorted), ["a", "b", "c"]);
    let first = get(format!(
        "{base}/snapshots?sort_key=name&sort_dir=desc&limit=1"
    ))
    .await
    .expect(200)
    .body;
    assert_eq!(names(&first), ["c"]);
    let next = first["snapshots_links"][0]["href"].as_str().unwrap();
    assert!(next.contains("marker="), "{next}");
    let marker = first["snapshots"][0]["id"].as_str().unwrap();
    let second = get(format!(
        "{base}/snapshots?sort_key=name&sort_dir=desc&limit=1&marker={marker}"
    ))
    .await
    .expect(200)
    .body;
    assert_eq!(names(&second), ["b"]);
    let skipped = get(format!("{base}/snapshots?sort=name:asc&offset=1"))
        .await
        .expect(200)
        .body;
    assert_eq!(names(&skipped), ["b", "c"]);
    assert!(skipped.get("snapshots_links").is_none());
    let none = get(format!("{base}/snapshots?limit=0"))
        .await
        .expect(200)
        .body;
    assert_eq!(names(&none), Vec::<String>::new());

    let resp = get(format!("{base}/snapshots?limit=many"))
        .await
        .expect(400);
    assert_eq!(resp.message(), "limit param must be an integer");
    get(format!("{base}/snapshots?sort_key=shoe_size"))
        .await
        .expect(400);
    get(format!("{base}/snapshots?offset=-1")).await.expect(400);
    let resp = get(format!("{base}/snapshots?marker={}", uuid::Uuid::new_v4()))
        .await
        .expect(404);
    assert!(resp.message().starts_with("Marker "));

    let resp = cloud
        .send(
            Method::POST,
            &format!("{base}/snapshots"),
            &alice,
            Some(json!({"snapshot": {"volume_id": null}})),
            None,
        )
        .await
        .expect(404);
    assert_eq!(resp.message(), "Volume None could not be found.");
    let resp = cloud
        .send(
            Method::POST,
            &format!("{base}/snapshots"),
            &alice,
            Some(json!({"snapshot": {"name": "x"}})),
            None,
        )
        .await
        .expect(400);
    assert!(
        resp.message()
            .ends_with("'volume_id' is a required property"),
        "{}",
        resp.message()
    );
}

#[tokio::test]
async fn in_use_volumes_are_snapshotted_only_with_force_until_3_66() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let volumes = format!("/v3/{}/volumes", alice.project_id);
    let snapshots = format!("/v3/{}/snapshots", alice.project_id);
    let id = cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "available").await;
    cloud
        .send(
            Method::POST,
            &format!("{volumes}/{id}/action"),
            &alice,
            Some(json!({"os-attach": {"instance_uuid": "0b6f1d9e-2c7a-4d1b-9a8e-3f5c6d7e8f90", "mountpoint": "/dev/vdb"}})),
            None,
        )
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "in-use").await;
    let snap = |force: serde_json::Value, version: &'static str| {
        let mut body = json!({"snapshot": {"volume_id": id}});
        if !force.is_null() {
            body["snapshot"]["force"] = force;
        }
        cloud.send(Method::POST, &snapshots, &alice, Some(body), Some(version))
    };
    let refused = snap(serde_json::Value::Null, "volume 3.0")
        .await
        .expect(400);
    assert!(
        refused.message().contains("must be available"),
        "{}",
        refused.body
    );
    snap(json!(false), "volume 3.0").await.expect(400);
    snap(json!("maybe"), "volume 3.0").await.expect(400);
    let forced = snap(json!("true"), "volume 3.0").await.expect(202);
    let forced = forced.body["snapshot"]["id"].as_str().unwrap().to_string();
    wait_snapshot(&cloud, &alice, &forced, "available").await;
    let since = snap(json!(false), "volume 3.66").await.expect(400);
    assert!(since.message().contains("3.66"), "{}", since.body);
    let unforced = snap(serde_json::Value::Null, "volume 3.66")
        .await
        .expect(202);
    let unforced = unforced.body["snapshot"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_snapshot(&cloud, &alice, &unforced, "available").await;
}
