//! User messages (3.3): asynchronous failures recorded in Cinder's words, with
//! the failed request's id, visible to the project, filtered, deleted, reaped.

mod common;

use common::{call, Cloud};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

async fn messages(cloud: &Cloud, who: &Persona, query: &str) -> Vec<Value> {
    call(
        cloud,
        who,
        Method::GET,
        &format!("messages{query}"),
        None,
        "volume 3.33",
    )
    .await
    .expect(200)
    .body["messages"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn failures_become_user_messages() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let bob = cloud.identity.persona(&["member"]).await;
    call(
        &cloud,
        &admin,
        Method::POST,
        "types",
        Some(json!({"volume_type": {"name": "nowhere", "extra_specs": {"tier": "gold"}}})),
        "volume 3.0",
    )
    .await
    .expect(200);

    // No backend for the type: the scheduler's failure is the message.
    let made = call(
        &cloud,
        &alice,
        Method::POST,
        "volumes",
        Some(json!({"volume": {"size": 1, "volume_type": "nowhere"}})),
        "volume 3.0",
    )
    .await
    .expect(202);
    let request_id = made.headers["x-openstack-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let id = made.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "error").await;
    call(&cloud, &alice, Method::GET, "messages", None, "volume 3.2")
        .await
        .expect(404);
    let listed = messages(&cloud, &alice, "").await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let m = &listed[0];
    assert_eq!(m["event_id"], "VOLUME_VOLUME_001_003");
    assert_eq!(
        m["user_message"],
        "schedule allocate volume:Could not find any available weighted backend."
    );
    assert_eq!(m["resource_type"], "VOLUME");
    assert_eq!(m["resource_uuid"], id.as_str());
    assert_eq!(m["request_id"], request_id.as_str());
    assert_eq!(m["message_level"], "ERROR");
    assert!(m["guaranteed_until"].as_str().unwrap() > m["created_at"].as_str().unwrap());
    let message_id = m["id"].as_str().unwrap().to_string();

    // Only the project sees it.
    assert!(messages(&cloud, &bob, "").await.is_empty());
    let resp = call(
        &cloud,
        &bob,
        Method::GET,
        &format!("messages/{message_id}"),
        None,
        "volume 3.3",
    )
    .await
    .expect(404);
    assert_eq!(
        resp.message(),
        format!("Message {message_id} could not be found.")
    );
    assert_eq!(messages(&cloud, &admin, "").await.len(), 1);

    // A driver failure: the snapshot's data is gone when a volume is made from it.
    let made = call(
        &cloud,
        &alice,
        Method::POST,
        "volumes",
        Some(json!({"volume": {"size": 1}})),
        "volume 3.0",
    )
    .await
    .expect(202);
    let source = made.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &source, "available").await;
    let snap = call(
        &cloud,
        &alice,
        Method::POST,
        "snapshots",
        Some(json!({"snapshot": {"volume_id": source}})),
        "volume 3.0",
    )
    .await
    .expect(202);
    let snap_id = snap.body["snapshot"]["id"].as_str().unwrap().to_string();
    for _ in 0..100 {
        let shown = call(
            &cloud,
            &alice,
            Method::GET,
            &format!("snapshots/{snap_id}"),
            None,
            "volume 3.0",
        )
        .await;
        if shown.body["snapshot"]["status"] == "available" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let removed = ["gold", "silver"].iter().any(|backend| {
        let path = cloud
            .env
            .dir
            .join("volumes")
            .join(backend)
            .join(format!("snapshot-{snap_id}"));
        std::fs::remove_file(path).is_ok()
    });
    assert!(removed);
    let copy = call(
        &cloud,
        &alice,
        Method::POST,
        "volumes",
        Some(json!({"volume": {"size": 1, "snapshot_id": snap_id}})),
        "volume 3.0",
    )
    .await
    .expect(202);
    let copy_id = copy.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &copy_id, "error").await;
    let found = messages(&cloud, &alice, &format!("?resource_uuid={copy_id}")).await;
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0]["user_message"],
        "create volume from backend storage:Driver failed to create the volume."
    );
    assert_eq!(found[0]["event_id"], "VOLUME_VOLUME_008_012");

    // Filters, pages, bad filters.
    assert_eq!(messages(&cloud, &alice, "").await.len(), 2);
    assert_eq!(
        messages(&cloud, &alice, "?event_id=VOLUME_VOLUME_001_003")
            .await
            .len(),
        1
    );
    let first = messages(&cloud, &alice, "?limit=1").await;
    assert_eq!(first.len(), 1);
    let rest = messages(
        &cloud,
        &alice,
        &format!("?marker={}", first[0]["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(rest.len(), 1);
    assert_ne!(rest[0]["id"], first[0]["id"]);
    let resp = call(
        &cloud,
        &alice,
        Method::GET,
        "messages?foo=1",
        None,
        "volume 3.33",
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid filters foo are found in query options."
    );

    // Deleted.
    call(
        &cloud,
        &alice,
        Method::DELETE,
        &format!("messages/{message_id}"),
        None,
        "volume 3.3",
    )
    .await
    .expect(204);
    call(
        &cloud,
        &alice,
        Method::GET,
        &format!("messages/{message_id}"),
        None,
        "volume 3.3",
    )
    .await
    .expect(404);
    assert_eq!(messages(&cloud, &alice, "").await.len(), 1);
}

#[tokio::test]
async fn expired_messages_are_reaped() {
    let cloud = Cloud::with_config(|c| c.set("DEFAULT", "message_ttl", "1")).await;
    let admin = cloud.identity.admin_persona().await;
    call(
        &cloud,
        &admin,
        Method::POST,
        "types",
        Some(json!({"volume_type": {"name": "nowhere", "extra_specs": {"tier": "gold"}}})),
        "volume 3.0",
    )
    .await
    .expect(200);
    let made = call(
        &cloud,
        &admin,
        Method::POST,
        "volumes",
        Some(json!({"volume": {"size": 1, "volume_type": "nowhere"}})),
        "volume 3.0",
    )
    .await
    .expect(202);
    let id = made.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&admin, &id, "error").await;
    for _ in 0..200 {
        if messages(&cloud, &admin, "").await.is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("expired messages were never reaped");
}
