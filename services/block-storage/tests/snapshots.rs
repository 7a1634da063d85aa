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
    let source = cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"size": 1, "name": "src"}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let source_volume = cloud.wait_status(&alice, &source, "available").await;
    let backend =
        source_volume["id"]
            .as_str()
            .map(|_| ())
            .and(["gold", "silver"].into_iter().find(|b| {
                cloud
                    .env
                    .dir
                    .join("volumes")
                    .join(b)
                    .join(format!("volume-{source}"))
                    .exists()
            }));
    let backend = backend.expect("source file");
    let dir = cloud.env.dir.join("volumes").join(backend);
    // Recognisable data at the start of the source: gold is raw, so it can be
    // written directly (silver is qcow2).
    let raw = backend == "gold";
    if raw {
        let path = dir.join(format!("volume-{source}"));
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        use std::os::unix::fs::FileExt;
        file.write_at(b"payload", 0).unwrap();
    }

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
    if raw {
        assert_eq!(&std::fs::read(&copy_path).unwrap()[..7], b"payload");
    }
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
