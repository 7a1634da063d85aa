//! Volume transfers: offered with an auth key shown once, accepted by another
//! project within its quota, withdrawn; the 3.55 path and `no_snapshots`.

mod common;

use common::{call, Cloud};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::json;

/// A 1 GiB volume of `who` with one available snapshot.
async fn volume_with_snapshot(cloud: &Cloud, who: &Persona) -> (String, String) {
    let made = call(
        cloud,
        who,
        Method::POST,
        "volumes",
        Some(json!({"volume": {"size": 1}})),
        "volume 3.0",
    )
    .await
    .expect(202);
    let id = made.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(who, &id, "available").await;
    let snap = call(
        cloud,
        who,
        Method::POST,
        "snapshots",
        Some(json!({"snapshot": {"volume_id": id}})),
        "volume 3.0",
    )
    .await
    .expect(202);
    let snap_id = snap.body["snapshot"]["id"].as_str().unwrap().to_string();
    for _ in 0..100 {
        let shown = call(
            cloud,
            who,
            Method::GET,
            &format!("snapshots/{snap_id}"),
            None,
            "volume 3.0",
        )
        .await;
        if shown.body["snapshot"]["status"] == "available" {
            return (id, snap_id);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("snapshot never available");
}

#[tokio::test]
async fn transfers_move_volumes_between_projects() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let bob = cloud.identity.persona(&["member"]).await;
    let v3 = "volume 3.0";
    let (id, snap) = volume_with_snapshot(&cloud, &alice).await;

    // Bad bodies.
    let resp = call(
        &cloud,
        &alice,
        Method::POST,
        "os-volume-transfer",
        Some(json!({"transfer": {"volume_id": id, "no_snapshots": true}})),
        v3,
    )
    .await
    .expect(400);
    assert!(resp
        .message()
        .ends_with("Additional properties are not allowed ('no_snapshots' was unexpected)"));
    call(
        &cloud,
        &bob,
        Method::POST,
        "os-volume-transfer",
        Some(json!({"transfer": {"volume_id": id}})),
        v3,
    )
    .await
    .expect(404);

    let made = call(
        &cloud,
        &alice,
        Method::POST,
        "os-volume-transfer",
        Some(json!({"transfer": {"volume_id": id, "name": " to bob "}})),
        v3,
    )
    .await
    .expect(202);
    let transfer = made.body["transfer"].clone();
    let tid = transfer["id"].as_str().unwrap().to_string();
    let key = transfer["auth_key"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 16);
    assert_eq!(transfer["name"], "to bob");
    assert_eq!(transfer["volume_id"], id.as_str());
    assert!(transfer.get("no_snapshots").is_none());
    let volume = cloud.wait_status(&alice, &id, "awaiting-transfer").await;
    assert_eq!(volume["status"], "awaiting-transfer");
    // Offered: neither offered again nor deleted.
    let resp = call(
        &cloud,
        &alice,
        Method::POST,
        "os-volume-transfer",
        Some(json!({"transfer": {"volume_id": id}})),
        v3,
    )
    .await
    .expect(400);
    assert_eq!(resp.message(), "Invalid volume: status must be available");
    call(
        &cloud,
        &alice,
        Method::DELETE,
        &format!("volumes/{id}"),
        None,
        v3,
    )
    .await
    .expect(400);

    // Only the owner sees it; the key never shows again.
    let listed = call(&cloud, &alice, Method::GET, "os-volume-transfer", None, v3)
        .await
        .expect(200)
        .body;
    assert_eq!(listed["transfers"].as_array().unwrap().len(), 1);
    assert_eq!(listed["transfers"][0]["name"], "to bob");
    let shown = call(
        &cloud,
        &alice,
        Method::GET,
        &format!("volume-transfers/{tid}"),
        None,
        "volume 3.57",
    )
    .await
    .expect(200)
    .body["transfer"]
        .clone();
    assert_eq!(shown["source_project_id"], alice.project_id.as_str());
    assert_eq!(shown["accepted"], false);
    assert_eq!(shown["no_snapshots"], false);
    assert!(shown.get("auth_key").is_none());
    call(
        &cloud,
        &alice,
        Method::GET,
        &format!("volume-transfers/{tid}"),
        None,
        "volume 3.54",
    )
    .await
    .expect(404);
    call(
        &cloud,
        &bob,
        Method::GET,
        &format!("os-volume-transfer/{tid}"),
        None,
        v3,
    )
    .await
    .expect(404);
    let listed = call(
        &cloud,
        &bob,
        Method::GET,
        "os-volume-transfer/detail",
        None,
        v3,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(listed["transfers"], json!([]));
    let all = call(
        &cloud,
        &admin,
        Method::GET,
        "os-volume-transfer?all_tenants=1",
        None,
        v3,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(all["transfers"].as_array().unwrap().len(), 1);

    // Wrong key, then over quota, then accepted.
    let accept = |key: &str| Some(json!({"accept": {"auth_key": key}}));
    let resp = call(
        &cloud,
        &bob,
        Method::POST,
        &format!("os-volume-transfer/{tid}/accept"),
        accept("0000"),
        v3,
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        format!("Invalid auth key: Attempt to transfer {tid} with invalid auth key.")
    );
    let quota = format!("os-quota-sets/{}", bob.project_id);
    call(
        &cloud,
        &admin,
        Method::PUT,
        &quota,
        Some(json!({"quota_set": {"snapshots": 0}})),
        v3,
    )
    .await
    .expect(200);
    let resp = call(
        &cloud,
        &bob,
        Method::POST,
        &format!("os-volume-transfer/{tid}/accept"),
        accept(&key),
        v3,
    )
    .await
    .expect(413);
    let message = resp.message();
    assert!(message.starts_with("SnapshotLimitExceeded"), "{message}");
    call(
        &cloud,
        &admin,
        Method::PUT,
        &quota,
        Some(json!({"quota_set": {"snapshots": -1}})),
        v3,
    )
    .await
    .expect(200);
    let accepted = call(
        &cloud,
        &bob,
        Method::POST,
        &format!("os-volume-transfer/{tid}/accept"),
        accept(&key),
        v3,
    )
    .await
    .expect(202)
    .body;
    assert_eq!(accepted["transfer"]["volume_id"], id.as_str());
    assert_eq!(
        cloud.wait_status(&bob, &id, "available").await["id"],
        id.as_str()
    );
    call(
        &cloud,
        &alice,
        Method::GET,
        &format!("volumes/{id}"),
        None,
        v3,
    )
    .await
    .expect(404);
    call(
        &cloud,
        &bob,
        Method::GET,
        &format!("snapshots/{snap}"),
        None,
        v3,
    )
    .await
    .expect(200);
    let resp = call(
        &cloud,
        &bob,
        Method::POST,
        &format!("os-volume-transfer/{tid}/accept"),
        accept(&key),
        v3,
    )
    .await
    .expect(404);
    assert_eq!(
        resp.message(),
        format!("Transfer {tid} could not be found.")
    );

    // 3.55: without its snapshots; and a withdrawn offer.
    let v355 = "volume 3.55";
    let made = call(
        &cloud,
        &bob,
        Method::POST,
        "volume-transfers",
        Some(json!({"transfer": {"volume_id": id, "no_snapshots": true}})),
        v355,
    )
    .await
    .expect(202);
    assert_eq!(made.body["transfer"]["no_snapshots"], true);
    let tid = made.body["transfer"]["id"].as_str().unwrap().to_string();
    let key = made.body["transfer"]["auth_key"]
        .as_str()
        .unwrap()
        .to_string();
    call(
        &cloud,
        &alice,
        Method::POST,
        &format!("volume-transfers/{tid}/accept"),
        accept(&key),
        v355,
    )
    .await
    .expect(202);
    cloud.wait_status(&alice, &id, "available").await;
    call(
        &cloud,
        &bob,
        Method::GET,
        &format!("snapshots/{snap}"),
        None,
        v3,
    )
    .await
    .expect(200);

    let made = call(
        &cloud,
        &alice,
        Method::POST,
        "os-volume-transfer",
        Some(json!({"transfer": {"volume_id": id}})),
        v3,
    )
    .await
    .expect(202);
    let tid = made.body["transfer"]["id"].as_str().unwrap().to_string();
    call(
        &cloud,
        &bob,
        Method::DELETE,
        &format!("os-volume-transfer/{tid}"),
        None,
        v3,
    )
    .await
    .expect(404);
    call(
        &cloud,
        &alice,
        Method::DELETE,
        &format!("os-volume-transfer/{tid}"),
        None,
        v3,
    )
    .await
    .expect(202);
    assert_eq!(
        cloud.wait_status(&alice, &id, "available").await["status"],
        "available"
    );
    call(
        &cloud,
        &alice,
        Method::GET,
        &format!("os-volume-transfer/{tid}"),
        None,
        v3,
    )
    .await
    .expect(404);

    // A volume force-deleted while offered takes its offer with it.
    let made = call(
        &cloud,
        &alice,
        Method::POST,
        "volume-transfers",
        Some(json!({"transfer": {"volume_id": id}})),
        v355,
    )
    .await
    .expect(202);
    let tid = made.body["transfer"]["id"].as_str().unwrap().to_string();
    call(
        &cloud,
        &admin,
        Method::POST,
        &format!("volumes/{id}/action"),
        Some(json!({"os-force_delete": {}})),
        v3,
    )
    .await
    .expect(202);
    cloud.wait_status(&alice, &id, "gone").await;
    call(
        &cloud,
        &alice,
        Method::GET,
        &format!("os-volume-transfer/{tid}"),
        None,
        v3,
    )
    .await
    .expect(404);
}
