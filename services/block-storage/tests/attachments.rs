//! The attachments API: reserve → attaching (connection_info from the volume's
//! manager) → in-use → available, and its microversion gates.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn attach_and_detach() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let volumes = format!("/v3/{}/volumes", alice.project_id);
    let attachments = format!("/v3/{}/attachments", alice.project_id);
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
    let v = Some("volume 3.44");
    // Before 3.27 the API does not exist.
    cloud
        .send(Method::GET, &attachments, &alice, None, Some("volume 3.26"))
        .await
        .expect(404);

    let instance = "9e2b1bd0-0a2a-4d8b-8f5e-1b2c3d4e5f60";
    let reserved = cloud
        .send(
            Method::POST,
            &attachments,
            &alice,
            Some(json!({"attachment": {"volume_uuid": id, "instance_uuid": instance}})),
            v,
        )
        .await
        .expect(200)
        .body["attachment"]
        .clone();
    assert_eq!(reserved["status"], "reserved");
    let attachment = reserved["id"].as_str().unwrap().to_string();
    assert_eq!(
        cloud.wait_status(&alice, &id, "reserved").await["status"],
        "reserved"
    );
    // A reserved volume is neither deletable nor reservable again.
    cloud
        .send(
            Method::DELETE,
            &format!("{volumes}/{id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(400);
    cloud
        .send(
            Method::POST,
            &attachments,
            &alice,
            Some(json!({"attachment": {"volume_uuid": id, "instance_uuid": uuid::Uuid::new_v4().to_string()}})),
            v,
        )
        .await
        .expect(400);

    let connector = json!({"host": "compute-1", "initiator": "iqn.1993-08.org.debian:01:abc", "ip": "127.0.0.1", "platform": "x86_64", "os_type": "linux", "multipath": false});
    let updated = cloud
        .send(
            Method::PUT,
            &format!("{attachments}/{attachment}"),
            &alice,
            Some(json!({"attachment": {"connector": connector}})),
            v,
        )
        .await
        .expect(200)
        .body["attachment"]
        .clone();
    assert_eq!(updated["status"], "attaching");
    let info = &updated["connection_info"];
    assert_eq!(info["driver_volume_type"], "file");
    let device = info["data"]["device_path"].as_str().unwrap();
    assert!(std::path::Path::new(device).exists(), "{device}");
    assert_eq!(info["data"]["access_mode"], "rw");

    cloud
        .send(
            Method::POST,
            &format!("{attachments}/{attachment}/action"),
            &alice,
            Some(json!({"os-complete": null})),
            Some("volume 3.43"),
        )
        .await
        .expect(404);
    cloud
        .send(
            Method::POST,
            &format!("{attachments}/{attachment}/action"),
            &alice,
            Some(json!({"os-complete": null})),
            v,
        )
        .await
        .expect(204);
    let in_use = cloud.wait_status(&alice, &id, "in-use").await;
    assert_eq!(
        in_use["attachments"][0]["attachment_id"],
        attachment.as_str()
    );
    assert_eq!(in_use["attachments"][0]["server_id"], instance);
    // Extending an attached volume before 3.42 is refused.
    let resp = cloud
        .send(
            Method::POST,
            &format!("{volumes}/{id}/action"),
            &alice,
            Some(json!({"os-extend": {"new_size": 2}})),
            None,
        )
        .await
        .expect(400);
    assert!(resp.body["badRequest"]["message"]
        .as_str()
        .unwrap()
        .contains("currently in-use"));
    // From 3.42 it is extended and stays in use.
    cloud
        .send(
            Method::POST,
            &format!("{volumes}/{id}/action"),
            &alice,
            Some(json!({"os-extend": {"new_size": 2}})),
            Some("volume 3.42"),
        )
        .await
        .expect(202);
    let mut grown = serde_json::Value::Null;
    for _ in 0..200 {
        grown = cloud.wait_status(&alice, &id, "in-use").await;
        if grown["size"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(grown["size"], 2);
    let listed = cloud
        .send(
            Method::GET,
            &format!("{attachments}/detail?volume_id={id}"),
            &alice,
            None,
            v,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(listed["attachments"][0]["status"], "attached");
    let bob = cloud.identity.persona(&["member"]).await;
    cloud
        .send(
            Method::GET,
            &format!("/v3/{}/attachments/{attachment}", bob.project_id),
            &bob,
            None,
            v,
        )
        .await
        .expect(404);

    cloud
        .send(
            Method::DELETE,
            &format!("{attachments}/{attachment}"),
            &alice,
            None,
            v,
        )
        .await
        .expect(200);
    let freed = cloud.wait_status(&alice, &id, "available").await;
    assert_eq!(freed["attachments"], json!([]));
    cloud
        .send(
            Method::DELETE,
            &format!("{volumes}/{id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "gone").await;
}

#[tokio::test]
async fn legacy_attach_actions() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let volumes = format!("/v3/{}/volumes", alice.project_id);
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
    let action = format!("{volumes}/{id}/action");
    let act = |body: serde_json::Value| cloud.send(Method::POST, &action, &alice, Some(body), None);
    act(json!({"os-begin_detaching": {}})).await.expect(400);
    act(json!({"os-reserve": {}})).await.expect(202);
    assert_eq!(
        cloud.wait_status(&alice, &id, "attaching").await["status"],
        "attaching"
    );
    act(json!({"os-unreserve": {}})).await.expect(202);
    act(json!({"os-reserve": {}})).await.expect(202);
    act(json!({"os-initialize_connection": {}}))
        .await
        .expect(400);
    let info = act(
        json!({"os-initialize_connection": {"connector": {"host": "c1", "initiator": "iqn.x"}}}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(info["connection_info"]["driver_volume_type"], "file");
    act(json!({"os-attach": {"instance_uuid": "0b6f1d9e-2c7a-4d1b-9a8e-3f5c6d7e8f90", "mountpoint": "/dev/vdb", "mode": "rw"}}))
        .await
        .expect(202);
    let in_use = cloud.wait_status(&alice, &id, "in-use").await;
    assert_eq!(
        in_use["attachments"][0]["server_id"],
        "0b6f1d9e-2c7a-4d1b-9a8e-3f5c6d7e8f90"
    );
    assert_eq!(in_use["attachments"][0]["device"], "/dev/vdb");
    act(json!({"os-begin_detaching": {}})).await.expect(202);
    act(json!({"os-roll_detaching": {}})).await.expect(202);
    act(json!({"os-begin_detaching": {}})).await.expect(202);
    act(json!({"os-terminate_connection": {"connector": {"host": "c1", "initiator": "iqn.x"}}}))
        .await
        .expect(202);
    act(json!({"os-detach": {}})).await.expect(202);
    let freed = cloud.wait_status(&alice, &id, "available").await;
    assert_eq!(freed["attachments"], json!([]));

    // An attachment whose volume went to error is force-detached by an admin.
    act(json!({"os-attach": {"instance_uuid": "0b6f1d9e-2c7a-4d1b-9a8e-3f5c6d7e8f90", "mountpoint": "/dev/vdc"}}))
        .await
        .expect(202);
    let attached = cloud.wait_status(&alice, &id, "in-use").await;
    let attachment = attached["attachments"][0]["attachment_id"].clone();
    let admin = cloud.identity.admin_persona().await;
    let admin_action = format!("/v3/{}/volumes/{id}/action", admin.project_id);
    let as_admin =
        |body: serde_json::Value| cloud.send(Method::POST, &admin_action, &admin, Some(body), None);
    as_admin(json!({"os-reset_status": {"status": "error"}}))
        .await
        .expect(202);
    act(json!({"os-force_detach": {"attachment_id": attachment}}))
        .await
        .expect(403);
    let unknown = as_admin(json!({"os-force_detach": {"attachment_id": "nope"}}))
        .await
        .expect(400);
    assert!(
        unknown.message().contains("attachment_id = nope"),
        "{}",
        unknown.body
    );
    as_admin(json!({"os-force_detach": {"connector": null, "attachment_id": attachment}}))
        .await
        .expect(202);
    let freed = cloud.wait_status(&alice, &id, "available").await;
    assert_eq!(freed["attachments"], json!([]));
    // Detaching a volume with no attachment leaves it available, as
    // Cinder's manager does (tempest detaches after a force-detach).
    act(json!({"os-detach": {}})).await.expect(202);
    assert_eq!(
        cloud.wait_status(&alice, &id, "available").await["status"],
        "available"
    );
    // Two attachments: which one must be said.
    for server in [
        "0b6f1d9e-2c7a-4d1b-9a8e-3f5c6d7e8f90",
        "1c7f2e0f-3d8b-4e2c-0b9f-4a6d7e8f9a01",
    ] {
        act(json!({"os-attach": {"instance_uuid": server, "mountpoint": "/dev/vdb"}}))
            .await
            .expect(202);
    }
    let both = cloud.wait_status(&alice, &id, "in-use").await;
    let unnamed = act(json!({"os-detach": {}})).await.expect(400);
    assert!(
        unnamed.message().contains("More than one attachment"),
        "{}",
        unnamed.body
    );
    for attachment in both["attachments"].as_array().unwrap() {
        act(json!({"os-detach": {"attachment_id": attachment["attachment_id"]}}))
            .await
            .expect(202);
    }
    assert_eq!(
        cloud.wait_status(&alice, &id, "available").await["attachments"],
        json!([])
    );
}

#[tokio::test]
async fn iscsi_backend_exports_attached_volumes() {
    let port = |_: ()| {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (portal, control) = (port(()), 1000 + port(()) % 20000);
    let cloud = Cloud::with_config(|c| {
        c.set("silver", "volume_driver", "iscsi");
        c.set("silver", "target_port", portal.to_string());
        c.set("silver", "tgtd_control_port", control.to_string());
    })
    .await;
    let admin = cloud.identity.admin_persona().await;
    cloud
        .send(Method::POST, &format!("/v3/{}/types", admin.project_id), &admin,
            Some(json!({"volume_type": {"name": "iscsi", "extra_specs": {"volume_backend_name": "silver"}}})), None)
        .await
        .expect(200);
    let alice = cloud.identity.persona(&["member"]).await;
    let id = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes", alice.project_id),
            &alice,
            Some(json!({"volume": {"size": 1, "volume_type": "iscsi"}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "available").await;
    let v = Some("volume 3.44");
    let attachments = format!("/v3/{}/attachments", alice.project_id);
    let connector = json!({"host": "compute-1", "initiator": "iqn.1993-08.org.debian:01:abc", "ip": "127.0.0.1"});
    let att = cloud
        .send(Method::POST, &attachments, &alice, Some(json!({"attachment": {"volume_uuid": id, "instance_uuid": "5f0c2b6e-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "connector": connector}})), v)
        .await
        .expect(200)
        .body["attachment"]
        .clone();
    let data = &att["connection_info"]["data"];
    assert_eq!(att["connection_info"]["driver_volume_type"], "iscsi");
    assert_eq!(data["target_portal"], format!("127.0.0.1:{portal}"));
    let url = format!(
        "iscsi://{}%{}@{}/{}/{}",
        data["auth_username"].as_str().unwrap(),
        data["auth_password"].as_str().unwrap(),
        data["target_portal"].as_str().unwrap(),
        data["target_iqn"].as_str().unwrap(),
        data["target_lun"]
    );
    let info = std::process::Command::new("qemu-img")
        .args(["info", &url])
        .output()
        .unwrap();
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    cloud
        .send(
            Method::DELETE,
            &format!("{attachments}/{}", att["id"].as_str().unwrap()),
            &alice,
            None,
            v,
        )
        .await
        .expect(200);
    let gone = std::process::Command::new("qemu-img")
        .args(["info", &url])
        .output()
        .unwrap();
    assert!(
        !gone.status.success(),
        "the export ended with the attachment"
    );
}

#[tokio::test]
async fn multiattach_types_share_a_volume_between_instances() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let v = Some("volume 3.44");
    cloud
        .send(
            Method::POST,
            &format!("/v3/{}/types", admin.project_id),
            &admin,
            Some(json!({"volume_type": {"name": "shared", "extra_specs": {"multiattach": "<is> True"}}})),
            None,
        )
        .await
        .expect(200);
    let volumes = format!("/v3/{}/volumes", alice.project_id);
    let attachments = format!("/v3/{}/attachments", alice.project_id);
    let make = |kind: &'static str| {
        let (cloud, alice, volumes) = (&cloud, &alice, volumes.clone());
        async move {
            let made = cloud
                .send(
                    Method::POST,
                    &volumes,
                    alice,
                    Some(json!({"volume": {"size": 1, "volume_type": kind}})),
                    None,
                )
                .await
                .expect(202);
            made.body["volume"]["id"].as_str().unwrap().to_string()
        }
    };
    let connector = json!({"host": "compute-1", "initiator": "iqn.1993-08.org.debian:01:abc"});
    let attach = |volume: String, instance: String, with_connector: bool| {
        let (cloud, alice, attachments, connector) =
            (&cloud, &alice, attachments.clone(), connector.clone());
        async move {
            let mut body =
                json!({"attachment": {"volume_uuid": volume, "instance_uuid": instance}});
            if with_connector {
                body["attachment"]["connector"] = connector;
            }
            cloud
                .send(Method::POST, &attachments, alice, Some(body), v)
                .await
        }
    };
    let complete = |attachment: String| {
        let (cloud, alice, attachments) = (&cloud, &alice, attachments.clone());
        async move {
            cloud
                .send(
                    Method::POST,
                    &format!("{attachments}/{attachment}/action"),
                    alice,
                    Some(json!({"os-complete": null})),
                    v,
                )
                .await
                .expect(204);
        }
    };
    let detach = |attachment: String| {
        let (cloud, alice, attachments) = (&cloud, &alice, attachments.clone());
        async move {
            cloud
                .send(
                    Method::DELETE,
                    &format!("{attachments}/{attachment}"),
                    alice,
                    None,
                    v,
                )
                .await
                .expect(200);
        }
    };
    let id_of = |resp: common::Resp| resp.body["attachment"]["id"].as_str().unwrap().to_string();

    let shared = make("shared").await;
    let volume = cloud.wait_status(&alice, &shared, "available").await;
    assert_eq!(volume["multiattach"], true);
    let (one, two, three) = (
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().to_string(),
    );
    let first = id_of(attach(shared.clone(), one.clone(), true).await.expect(200));
    complete(first.clone()).await;
    cloud.wait_status(&alice, &shared, "in-use").await;
    // A second instance reserves the in-use volume; a third waits its turn.
    let second = id_of(attach(shared.clone(), two.clone(), false).await.expect(200));
    cloud.wait_status(&alice, &shared, "reserved").await;
    let resp = attach(shared.clone(), three.clone(), false)
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        format!("Invalid volume: Volume {shared} status must be available or in-use or downloading to reserve, but the current status is reserved.")
    );
    cloud
        .send(
            Method::PUT,
            &format!("{attachments}/{second}"),
            &alice,
            Some(json!({"attachment": {"connector": connector}})),
            v,
        )
        .await
        .expect(200);
    complete(second.clone()).await;
    let volume = cloud.wait_status(&alice, &shared, "in-use").await;
    assert_eq!(volume["attachments"].as_array().unwrap().len(), 2);
    detach(first).await;
    let volume = cloud.wait_status(&alice, &shared, "in-use").await;
    assert_eq!(volume["attachments"][0]["server_id"], two.as_str());
    detach(second).await;
    cloud.wait_status(&alice, &shared, "available").await;

    // A plain volume serves one instance; the same instance may attach again.
    let plain = make("__DEFAULT__").await;
    let volume = cloud.wait_status(&alice, &plain, "available").await;
    assert_eq!(volume["multiattach"], false);
    let only = id_of(attach(plain.clone(), one.clone(), true).await.expect(200));
    complete(only).await;
    cloud.wait_status(&alice, &plain, "in-use").await;
    let resp = attach(plain.clone(), two.clone(), false).await.expect(400);
    assert_eq!(
        resp.message(),
        format!("Invalid volume: Volume {plain} status must be available or downloading to reserve, but the current status is in-use.")
    );
    attach(plain.clone(), one, false).await.expect(200);
    cloud.wait_status(&alice, &plain, "in-use").await;
}
