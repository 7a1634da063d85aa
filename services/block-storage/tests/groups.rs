//! Generic volume groups (3.13+) and group snapshots (3.14+): volumes of the
//! group's types on its backend, moved in and out, snapshotted together,
//! copied into new groups, and deleted with the group.

mod common;

use common::{call, Cloud};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

const V: &str = "volume 3.20";

async fn wait_group_snapshot(cloud: &Cloud, who: &Persona, id: &str, status: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..600 {
        let resp = call(
            cloud,
            who,
            Method::GET,
            &format!("group_snapshots/{id}"),
            None,
            V,
        )
        .await;
        if resp.status == 404 && status == "gone" {
            return Value::Null;
        }
        if resp.body["group_snapshot"]["status"] == status {
            return resp.body["group_snapshot"].clone();
        }
        last = resp.body;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("group snapshot {id} never reached {status}: {last}");
}

/// The ids of the volumes in group `id`.
async fn members(cloud: &Cloud, who: &Persona, id: &str) -> Vec<String> {
    let listed = call(cloud, who, Method::GET, "volumes/detail", None, V)
        .await
        .expect(200)
        .body;
    let mut ids: Vec<String> = listed["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["group_id"] == id)
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn groups_hold_snapshot_and_copy_their_volumes() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let gold = call(
        &cloud,
        &admin,
        Method::POST,
        "types",
        Some(json!({"volume_type": {"name": "gold",
        "extra_specs": {"volume_backend_name": "gold"}}})),
        V,
    )
    .await
    .expect(200)
    .body["volume_type"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let group_type = call(
        &cloud,
        &admin,
        Method::POST,
        "group_types",
        Some(json!({"group_type": {"name": "gt"}})),
        V,
    )
    .await
    .expect(202)
    .body["group_type"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Made on a backend suiting its types; none below 3.13.
    let body = json!({"group": {"name": "g1", "group_type": group_type, "volume_types": [gold]}});
    call(
        &cloud,
        &alice,
        Method::POST,
        "groups",
        Some(body.clone()),
        "volume 3.12",
    )
    .await
    .expect(404);
    call(
        &cloud,
        &alice,
        Method::POST,
        "groups",
        Some(json!({"group": {"group_type": group_type}})),
        V,
    )
    .await
    .expect(400);
    call(
        &cloud,
        &alice,
        Method::POST,
        "groups",
        Some(json!({"group": {"group_type": "nope", "volume_types": [gold]}})),
        V,
    )
    .await
    .expect(404);
    let made = call(&cloud, &alice, Method::POST, "groups", Some(body), V)
        .await
        .expect(202)
        .body;
    let group = made["group"]["id"].as_str().unwrap().to_string();
    let shown = call(
        &cloud,
        &alice,
        Method::GET,
        &format!("groups/{group}"),
        None,
        V,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(shown["group"]["status"], "available");
    assert_eq!(shown["group"]["volume_types"], json!([gold]));
    assert_eq!(shown["group"]["group_type"], group_type.as_str());

    // Volumes of its types join it at create; others are refused.
    let mut volumes = Vec::new();
    for _ in 0..2 {
        let v = call(
            &cloud,
            &alice,
            Method::POST,
            "volumes",
            Some(json!({"volume": {"size": 1,
            "volume_type": gold, "group_id": group}})),
            V,
        )
        .await
        .expect(202)
        .body;
        assert_eq!(v["volume"]["group_id"], group.as_str());
        let id = v["volume"]["id"].as_str().unwrap().to_string();
        cloud.wait_status(&alice, &id, "available").await;
        volumes.push(id);
    }
    volumes.sort();
    call(
        &cloud,
        &alice,
        Method::POST,
        "volumes",
        Some(json!({"volume": {"size": 1, "group_id": group}})),
        V,
    )
    .await
    .expect(400);
    let resp = call(
        &cloud,
        &alice,
        Method::DELETE,
        &format!("volumes/{}", volumes[0]),
        None,
        V,
    )
    .await
    .expect(400);
    assert!(
        resp.message().contains("belong to a group"),
        "{}",
        resp.message()
    );
    assert_eq!(members(&cloud, &alice, &group).await, volumes);

    // Update: rename, move a volume out and back in.
    call(
        &cloud,
        &alice,
        Method::PUT,
        &format!("groups/{group}"),
        Some(json!({"group": {"name": "renamed",
        "remove_volumes": volumes[1]}})),
        V,
    )
    .await
    .expect(202);
    assert_eq!(members(&cloud, &alice, &group).await, volumes[..1]);
    call(
        &cloud,
        &alice,
        Method::PUT,
        &format!("groups/{group}"),
        Some(json!({"group": {"add_volumes": volumes[1]}})),
        V,
    )
    .await
    .expect(202);
    assert_eq!(members(&cloud, &alice, &group).await, volumes);
    call(
        &cloud,
        &alice,
        Method::PUT,
        &format!("groups/{group}"),
        Some(json!({"group": {}})),
        V,
    )
    .await
    .expect(400);
    call(
        &cloud,
        &alice,
        Method::PUT,
        &format!("groups/{group}"),
        Some(json!({"group": {"add_volumes": "nope"}})),
        V,
    )
    .await
    .expect(400);
    let shown = call(
        &cloud,
        &alice,
        Method::GET,
        &format!("groups/{group}?list_volume=true"),
        None,
        "volume 3.25",
    )
    .await
    .body;
    assert_eq!(shown["group"]["name"], "renamed");
    assert_eq!(shown["group"]["volumes"].as_array().unwrap().len(), 2);

    // A group snapshot: one snapshot per volume, none deleted alone.
    let gs = call(
        &cloud,
        &alice,
        Method::POST,
        "group_snapshots",
        Some(json!({"group_snapshot": {"group_id": group, "name": "gs"}})),
        V,
    )
    .await
    .expect(202)
    .body["group_snapshot"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let done = wait_group_snapshot(&cloud, &alice, &gs, "available").await;
    assert_eq!(done["group_id"], group.as_str());
    let snaps = call(&cloud, &alice, Method::GET, "snapshots/detail", None, V)
        .await
        .body;
    let member_snaps: Vec<&Value> = snaps["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["group_snapshot_id"] == gs.as_str())
        .collect();
    assert_eq!(member_snaps.len(), 2);
    let one = member_snaps[0]["id"].as_str().unwrap();
    call(
        &cloud,
        &alice,
        Method::DELETE,
        &format!("snapshots/{one}"),
        None,
        V,
    )
    .await
    .expect(400);
    let resp = call(
        &cloud,
        &alice,
        Method::POST,
        &format!("groups/{group}/action"),
        Some(json!({"delete": {"delete-volumes": true}})),
        V,
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid group: Group has existing snapshots."
    );

    // Groups made from the snapshot and from the group get copies of the volumes.
    for source in [
        json!({"group_snapshot_id": gs}),
        json!({"source_group_id": group}),
    ] {
        let mut body = source.clone();
        body["name"] = json!("copy");
        let made = call(
            &cloud,
            &alice,
            Method::POST,
            "groups/action",
            Some(json!({"create-from-src": body})),
            V,
        )
        .await
        .expect(202)
        .body;
        let copy = made["group"]["id"].as_str().unwrap().to_string();
        let copies = members(&cloud, &alice, &copy).await;
        assert_eq!(copies.len(), 2, "{source}");
        for id in &copies {
            cloud.wait_status(&alice, id, "available").await;
        }
        call(
            &cloud,
            &alice,
            Method::POST,
            &format!("groups/{copy}/action"),
            Some(json!({"delete": {"delete-volumes": true}})),
            V,
        )
        .await
        .expect(202);
        for id in &copies {
            cloud.wait_status(&alice, id, "gone").await;
        }
        call(
            &cloud,
            &alice,
            Method::GET,
            &format!("groups/{copy}"),
            None,
            V,
        )
        .await
        .expect(404);
    }

    // Statuses an admin resets.
    call(
        &cloud,
        &alice,
        Method::POST,
        &format!("groups/{group}/action"),
        Some(json!({"reset_status": {"status": "error"}})),
        V,
    )
    .await
    .expect(403);
    call(
        &cloud,
        &admin,
        Method::POST,
        &format!("groups/{group}/action"),
        Some(json!({"reset_status": {"status": "weird"}})),
        V,
    )
    .await
    .expect(400);
    // A reset status stays as set (a creating group snapshot is not settled
    // again by a read).
    for status in ["creating", "error", "available"] {
        call(
            &cloud,
            &admin,
            Method::POST,
            &format!("groups/{group}/action"),
            Some(json!({"reset_status": {"status": status}})),
            V,
        )
        .await
        .expect(202);
        call(
            &cloud,
            &admin,
            Method::POST,
            &format!("group_snapshots/{gs}/action"),
            Some(json!({"reset_status": {"status": status}})),
            V,
        )
        .await
        .expect(202);
        let shown = call(
            &cloud,
            &alice,
            Method::GET,
            &format!("group_snapshots/{gs}"),
            None,
            V,
        )
        .await
        .body;
        assert_eq!(shown["group_snapshot"]["status"], status);
        let shown = call(
            &cloud,
            &alice,
            Method::GET,
            &format!("groups/{group}"),
            None,
            V,
        )
        .await
        .body;
        assert_eq!(shown["group"]["status"], status);
    }

    // The snapshot goes with its snapshots; the group with its volumes.
    call(
        &cloud,
        &alice,
        Method::DELETE,
        &format!("group_snapshots/{gs}"),
        None,
        V,
    )
    .await
    .expect(202);
    wait_group_snapshot(&cloud, &alice, &gs, "gone").await;
    let resp = call(
        &cloud,
        &alice,
        Method::POST,
        &format!("groups/{group}/action"),
        Some(json!({"delete": {}})),
        V,
    )
    .await
    .expect(400);
    assert!(
        resp.message().contains("still contains volumes"),
        "{}",
        resp.message()
    );
    // Snapshots are deleted in the background; the group waits for none of its volumes to have one.
    for _ in 0..600 {
        let left = call(&cloud, &alice, Method::GET, "snapshots", None, V)
            .await
            .body;
        if left["snapshots"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    call(
        &cloud,
        &alice,
        Method::POST,
        &format!("groups/{group}/action"),
        Some(json!({"delete": {"delete-volumes": true}})),
        V,
    )
    .await
    .expect(202);
    for id in &volumes {
        cloud.wait_status(&alice, id, "gone").await;
    }
    let listed = call(&cloud, &alice, Method::GET, "groups/detail", None, V)
        .await
        .body;
    assert_eq!(listed["groups"], json!([]));
}
