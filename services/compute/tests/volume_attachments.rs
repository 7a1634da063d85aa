//! `os-volume_attachments` against a real block-storage service: a volume
//! attached through the agent (reserved, connected, completed: in-use),
//! shown in each version's shape and on the server, detached (available
//! again), ended with its server or deleted with it; and the refusals.

mod common;

use common::{create, server_body, setup_with_volumes, Cloud};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

async fn server(cloud: &Cloud, who: &Persona, image: &str, name: &str) -> String {
    let id = create(cloud, who, server_body(name, image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(who, &id, "ACTIVE").await;
    id
}

fn attachments(server: &str) -> String {
    format!("/v2.1/servers/{server}/os-volume_attachments")
}

async fn attach(
    cloud: &Cloud,
    who: &Persona,
    server: &str,
    body: Value,
    version: &str,
) -> common::Resp {
    cloud
        .send(
            Method::POST,
            &attachments(server),
            who,
            Some(body),
            Some(version),
        )
        .await
}

#[tokio::test]
async fn volumes_attach_and_detach_through_the_agent() {
    let (cloud, _admin, alice, image) = setup_with_volumes().await;
    let server = server(&cloud, &alice, &image, "vm").await;
    let volume = cloud.volume(&alice, "data").await;

    let attached = attach(
        &cloud,
        &alice,
        &server,
        json!({"volumeAttachment": {"volumeId": volume, "tag": "db", "delete_on_termination": false}}),
        "2.79",
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        attached["volumeAttachment"],
        json!({"id": volume, "volumeId": volume, "serverId": server, "device": "/dev/vdb",
               "tag": "db", "delete_on_termination": false})
    );
    let in_use = cloud.wait_volume(&alice, &volume, "in-use").await;
    assert_eq!(in_use["attachments"][0]["server_id"], server.as_str());
    assert_eq!(in_use["attachments"][0]["device"], Value::Null);

    // Each version's view of the list and of one.
    let list = cloud
        .send(Method::GET, &attachments(&server), &alice, None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(
        list["volumeAttachments"],
        json!([{"id": volume, "volumeId": volume, "serverId": server, "device": "/dev/vdb"}])
    );
    let one = cloud
        .send(
            Method::GET,
            &format!("{}/{volume}", attachments(&server)),
            &alice,
            None,
            Some("2.89"),
        )
        .await
        .expect(200)
        .body["volumeAttachment"]
        .clone();
    assert!(one.get("id").is_none());
    assert_eq!(one["tag"], "db");
    assert!(one["attachment_id"].is_string() && one["bdm_uuid"].is_string());
    let shown = cloud.wait_status(&alice, &server, "ACTIVE").await;
    assert_eq!(
        shown["os-extended-volumes:volumes_attached"],
        json!([{"id": volume, "delete_on_termination": false}])
    );

    // The attach is an instance action with its event.
    let actions = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{server}/os-instance-actions"),
            &alice,
            None,
            None,
        )
        .await
        .body;
    assert!(actions["instanceActions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["action"] == "attach_volume"));

    // Attached twice: 400; a volume that does not exist: 404.
    let again = attach(
        &cloud,
        &alice,
        &server,
        json!({"volumeAttachment": {"volumeId": volume}}),
        "2.1",
    )
    .await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(
        again.message().contains("already attached"),
        "{}",
        again.message()
    );
    let missing = uuid::Uuid::new_v4().to_string();
    let absent = attach(
        &cloud,
        &alice,
        &server,
        json!({"volumeAttachment": {"volumeId": missing}}),
        "2.1",
    )
    .await;
    assert_eq!(absent.status, 404);
    assert_eq!(
        absent.message(),
        format!("Volume {missing} could not be found.")
    );

    // Detach: 202, the volume available again, the mapping gone.
    cloud
        .send(
            Method::DELETE,
            &format!("{}/{volume}", attachments(&server)),
            &alice,
            None,
            None,
        )
        .await
        .expect(202);
    cloud.wait_volume(&alice, &volume, "available").await;
    for _ in 0..100 {
        let left = cloud
            .send(Method::GET, &attachments(&server), &alice, None, None)
            .await
            .body;
        if left["volumeAttachments"] == json!([]) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let gone = cloud
        .send(
            Method::DELETE,
            &format!("{}/{volume}", attachments(&server)),
            &alice,
            None,
            None,
        )
        .await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.message(), format!("volume_id not found: {volume}"));
}

#[tokio::test]
async fn deleting_a_server_ends_its_attachments() {
    let (cloud, _admin, alice, image) = setup_with_volumes().await;
    let server = server(&cloud, &alice, &image, "vm").await;
    let kept = cloud.volume(&alice, "kept").await;
    let owned = cloud.volume(&alice, "owned").await;
    attach(
        &cloud,
        &alice,
        &server,
        json!({"volumeAttachment": {"volumeId": kept}}),
        "2.1",
    )
    .await
    .expect(200);
    let second = attach(
        &cloud,
        &alice,
        &server,
        json!({"volumeAttachment": {"volumeId": owned, "delete_on_termination": true}}),
        "2.79",
    )
    .await
    .expect(200);
    assert_eq!(second.body["volumeAttachment"]["device"], "/dev/vdc");
    cloud.wait_volume(&alice, &kept, "in-use").await;
    cloud.wait_volume(&alice, &owned, "in-use").await;

    cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/servers/{server}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(204);
    cloud.wait_status(&alice, &server, "DELETED").await;
    cloud.wait_volume(&alice, &kept, "available").await;
    for _ in 0..200 {
        let shown = cloud
            .volume_api(Method::GET, &format!("/volumes/{owned}"), &alice, None)
            .await;
        if shown.get("itemNotFound").is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server's own volume was not deleted with it");
}

#[tokio::test]
async fn bad_attachments_are_refused() {
    let (cloud, admin, alice, image) = setup_with_volumes().await;
    let server = server(&cloud, &alice, &image, "vm").await;
    let volume = cloud.volume(&alice, "data").await;

    let not_uuid = attach(
        &cloud,
        &alice,
        &server,
        json!({"volumeAttachment": {"volumeId": "nope"}}),
        "2.1",
    )
    .await;
    assert_eq!(not_uuid.status, 400);
    assert!(
        not_uuid.message().contains("'nope' is not a 'uuid'"),
        "{}",
        not_uuid.message()
    );
    let tag_too_early = attach(
        &cloud,
        &alice,
        &server,
        json!({"volumeAttachment": {"volumeId": volume, "tag": "x"}}),
        "2.48",
    )
    .await;
    assert_eq!(tag_too_early.status, 400);

    // Another project's server is not there; a stopped server takes volumes,
    // a paused one too, one in a task does not.
    let bob = cloud.identity.persona(&["member"]).await;
    attach(
        &cloud,
        &bob,
        &server,
        json!({"volumeAttachment": {"volumeId": volume}}),
        "2.1",
    )
    .await
    .expect(404);
    cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{server}/action"),
            &alice,
            Some(json!({"os-stop": null})),
            None,
        )
        .await
        .expect(202);
    let busy = attach(
        &cloud,
        &alice,
        &server,
        json!({"volumeAttachment": {"volumeId": volume}}),
        "2.1",
    )
    .await;
    if busy.status == 409 {
        assert!(
            busy.message()
                .contains("while it is in task_state powering-off"),
            "{}",
            busy.message()
        );
    }
    cloud.wait_status(&alice, &server, "SHUTOFF").await;
    if busy.status != 409 {
        busy.expect(200);
    } else {
        attach(
            &cloud,
            &alice,
            &server,
            json!({"volumeAttachment": {"volumeId": volume}}),
            "2.1",
        )
        .await
        .expect(200);
    }
    cloud.wait_volume(&alice, &volume, "in-use").await;

    // A volume in use elsewhere is refused by block storage (400).
    let other = common::create(&cloud, &alice, common::server_body("other", &image, "1")).await
        ["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &other, "ACTIVE").await;
    let taken = attach(
        &cloud,
        &alice,
        &other,
        json!({"volumeAttachment": {"volumeId": volume}}),
        "2.1",
    )
    .await;
    assert_eq!(taken.status, 400, "{}", taken.body);

    // A locked server refuses its owner.
    cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{other}/action"),
            &admin,
            Some(json!({"lock": null})),
            None,
        )
        .await
        .expect(202);
    let spare = cloud.volume(&alice, "spare").await;
    attach(
        &cloud,
        &alice,
        &other,
        json!({"volumeAttachment": {"volumeId": spare}}),
        "2.1",
    )
    .await
    .expect(409);
}

#[tokio::test]
async fn the_deprecated_proxies_reach_block_storage() {
    let (cloud, _admin, alice, _image) = setup_with_volumes().await;
    let created = cloud
        .send(
            Method::POST,
            "/v2.1/os-volumes",
            &alice,
            Some(json!({"volume": {"size": 1, "display_name": "proxied"}})),
            Some("2.35"),
        )
        .await
        .expect(200)
        .body["volume"]
        .clone();
    assert_eq!(created["displayName"], "proxied");
    let id = created["id"].as_str().unwrap().to_string();
    cloud.wait_volume(&alice, &id, "available").await;
    let shown = cloud
        .send(
            Method::GET,
            &format!("/v2.1/os-volumes/{id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(200)
        .body["volume"]
        .clone();
    assert_eq!(
        (shown["size"].clone(), shown["attachments"].clone()),
        (json!(1), json!([{}]))
    );
    let listed = cloud
        .send(Method::GET, "/v2.1/os-volumes/detail", &alice, None, None)
        .await
        .expect(200);
    assert!(listed.body["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["id"] == id.as_str()));
    let second = cloud.volume(&alice, "second").await;
    let page = cloud
        .send(
            Method::GET,
            "/v2.1/os-volumes?limit=1&offset=1",
            &alice,
            None,
            None,
        )
        .await
        .expect(200)
        .body["volumes"]
        .clone();
    assert_eq!(page.as_array().unwrap().len(), 1, "{page}");
    let all = cloud
        .send(Method::GET, "/v2.1/os-volumes", &alice, None, None)
        .await
        .body["volumes"]
        .clone();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["id"] == second.as_str()));

    let snapshot = cloud
        .send(
            Method::POST,
            "/v2.1/os-snapshots",
            &alice,
            Some(json!({"snapshot": {"volume_id": id, "display_name": "snap"}})),
            None,
        )
        .await
        .expect(200)
        .body["snapshot"]
        .clone();
    assert_eq!(snapshot["volumeId"], id.as_str());
    let snapshot_id = snapshot["id"].as_str().unwrap().to_string();
    for _ in 0..200 {
        let shown = cloud
            .send(
                Method::GET,
                &format!("/v2.1/os-snapshots/{snapshot_id}"),
                &alice,
                None,
                None,
            )
            .await
            .expect(200);
        if shown.body["snapshot"]["status"] == "available" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/os-snapshots/{snapshot_id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(202);

    // Bad sizes, missing volumes, and versions past 2.35.
    let zero = cloud
        .send(
            Method::POST,
            "/v2.1/os-volumes",
            &alice,
            Some(json!({"volume": {"size": 0}})),
            None,
        )
        .await;
    assert_eq!(zero.status, 400);
    let missing = uuid::Uuid::new_v4();
    let absent = cloud
        .send(
            Method::GET,
            &format!("/v2.1/os-volumes/{missing}"),
            &alice,
            None,
            None,
        )
        .await;
    assert_eq!(absent.status, 404);
    assert_eq!(
        absent.message(),
        format!("Volume {missing} could not be found.")
    );
    cloud
        .send(Method::GET, "/v2.1/os-volumes", &alice, None, Some("2.36"))
        .await
        .expect(404);
}

/// The server's console output once it has printed `line`.
async fn console_with(cloud: &Cloud, who: &Persona, server: &str, line: &str) -> String {
    for _ in 0..200 {
        let output = cloud
            .send(
                Method::POST,
                &format!("/v2.1/servers/{server}/action"),
                who,
                Some(json!({"os-getConsoleOutput": {}})),
                None,
            )
            .await
            .expect(200)
            .body["output"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if output.contains(line) {
            return output;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the console of {server} never printed {line}");
}

#[tokio::test]
async fn assisted_snapshots_go_to_the_servers_hypervisor() {
    let (cloud, admin, alice, image) = setup_with_volumes().await;
    let server = server(&cloud, &alice, &image, "vm").await;
    let volume = cloud.volume(&alice, "data").await;
    let path = "/v2.1/os-assisted-volume-snapshots";
    let body =
        |volume: &str, info: Value| json!({"snapshot": {"volume_id": volume, "create_info": info}});
    let info =
        json!({"snapshot_id": "snap-1", "type": "qcow2", "new_file": "data.snap-1", "id": "x-1"});
    // Not attached yet: no mapping, 400 as Nova.
    let refused = cloud
        .send(
            Method::POST,
            path,
            &admin,
            Some(body(&volume, info.clone())),
            None,
        )
        .await
        .expect(400);
    assert_eq!(
        refused.message(),
        format!("No volume Block Device Mapping with id {volume}.")
    );
    attach(
        &cloud,
        &alice,
        &server,
        json!({"volumeAttachment": {"volumeId": volume}}),
        "2.1",
    )
    .await
    .expect(200);
    cloud.wait_volume(&alice, &volume, "in-use").await;

    // Only admin and service users; the body as Nova's schema says.
    cloud
        .send(
            Method::POST,
            path,
            &alice,
            Some(body(&volume, info.clone())),
            None,
        )
        .await
        .expect(403);
    let bad = json!({"snapshot_id": "snap-1", "type": "raw", "new_file": "f"});
    cloud
        .send(Method::POST, path, &admin, Some(body(&volume, bad)), None)
        .await
        .expect(400);

    // The id given comes back; the server's hypervisor makes the snapshot.
    let made = cloud
        .send(Method::POST, path, &admin, Some(body(&volume, info)), None)
        .await
        .expect(200)
        .body;
    assert_eq!(made, json!({"snapshot": {"id": "x-1", "volumeId": volume}}));
    console_with(
        &cloud,
        &alice,
        &server,
        "/dev/vdb snapshot snap-1 into data.snap-1",
    )
    .await;

    // Deleting names the volume in delete_info; without it, 400.
    let delete_info = json!({"volume_id": volume, "type": "qcow2", "merge_target_file": null});
    let query = serde_urlencoded::to_string([("delete_info", delete_info.to_string())]).unwrap();
    cloud
        .send(
            Method::DELETE,
            &format!("{path}/snap-1"),
            &admin,
            None,
            None,
        )
        .await
        .expect(400);
    cloud
        .send(
            Method::DELETE,
            &format!("{path}/snap-1?{query}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(403);
    cloud
        .send(
            Method::DELETE,
            &format!("{path}/snap-1?{query}"),
            &admin,
            None,
            None,
        )
        .await
        .expect(204);
    console_with(&cloud, &alice, &server, "/dev/vdb snapshot snap-1 merged").await;
}

/// `PUT` of `volumeAttachment` `body` on attachment `path`.
async fn put(cloud: &Cloud, path: &str, who: &Persona, body: Value, version: &str) -> common::Resp {
    cloud
        .send(
            Method::PUT,
            path,
            who,
            Some(json!({"volumeAttachment": body})),
            Some(version),
        )
        .await
}

#[tokio::test]
async fn attachments_update_and_swaps_are_refused_as_nova() {
    let (cloud, admin, alice, image) = setup_with_volumes().await;
    let server = server(&cloud, &alice, &image, "vm").await;
    let volume = cloud.volume(&alice, "data").await;
    let spare = cloud.volume(&alice, "spare").await;
    attach(
        &cloud,
        &alice,
        &server,
        json!({"volumeAttachment": {"volumeId": volume, "tag": "db"}}),
        "2.79",
    )
    .await
    .expect(200);
    cloud.wait_volume(&alice, &volume, "in-use").await;
    let one = format!("{}/{volume}", attachments(&server));

    // 2.85: delete_on_termination changes; the view's other fields must stay.
    put(
        &cloud,
        &one,
        &alice,
        json!({"volumeId": volume, "delete_on_termination": true, "tag": "db",
                       "device": "/dev/vdb", "serverId": server, "id": volume}),
        "2.85",
    )
    .await
    .expect(202);
    let shown = cloud
        .send(Method::GET, &one, &alice, None, Some("2.79"))
        .await
        .expect(200)
        .body;
    assert_eq!(shown["volumeAttachment"]["delete_on_termination"], true);
    for (field, value) in [
        ("device", json!("/dev/vdc")),
        ("tag", json!("other")),
        ("serverId", json!(spare)),
        ("id", json!(spare)),
    ] {
        let mut body = json!({"volumeId": volume});
        body[field] = value;
        let refused = put(&cloud, &one, &alice, body, "2.85").await.expect(400);
        assert_eq!(
            refused.message(),
            format!("The {field} property is not mutable")
        );
    }
    // Before 2.85 only volumeId is taken, and every PUT is a swap.
    put(
        &cloud,
        &one,
        &alice,
        json!({"volumeId": volume, "delete_on_termination": false}),
        "2.84",
    )
    .await
    .expect(400);
    put(&cloud, &one, &alice, json!({"volumeId": volume}), "2.84")
        .await
        .expect(403);

    // Swaps are for admins and service users, and only while block storage
    // migrates the old volume; an unknown volume in the URL is 404.
    put(&cloud, &one, &alice, json!({"volumeId": spare}), "2.85")
        .await
        .expect(403);
    let refused = put(&cloud, &one, &admin, json!({"volumeId": spare}), "2.1")
        .await
        .expect(409);
    assert_eq!(
        refused.message(),
        format!("volume {volume} is not migrating; this API should only be called by Cinder")
    );
    let missing = "9c7ad3a4-77b5-4e8f-9f63-0d2a8b1e4c55";
    cloud
        .send(
            Method::PUT,
            &format!("{}/{missing}", attachments(&server)),
            &admin,
            Some(json!({"volumeAttachment": {"volumeId": volume}})),
            None,
        )
        .await
        .expect(404);
    // A volume the server does not have: no mapping to update.
    let not_attached = cloud
        .send(
            Method::PUT,
            &format!("{}/{spare}", attachments(&server)),
            &alice,
            Some(json!({"volumeAttachment": {"volumeId": spare, "delete_on_termination": true}})),
            Some("2.85"),
        )
        .await
        .expect(404);
    assert_eq!(
        not_attached.message(),
        format!("No volume Block Device Mapping with id {spare}.")
    );
}
