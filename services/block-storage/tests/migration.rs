//! Volumes moving between backends. os-retype: in place when the backend suits
//! the new type, migrated to another backend (of this volume host or another)
//! with `on-demand`, refused as Cinder refuses it. os-migrate_volume: an admin
//! names the backend.

mod common;

use common::Cloud;
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

const MARK: &[u8] = b"data that must survive the move";

async fn make_type(cloud: &Cloud, admin: &Persona, name: &str, specs: Value) {
    cloud
        .send(
            Method::POST,
            &format!("/v3/{}/types", admin.project_id),
            admin,
            Some(json!({"volume_type": {"name": name, "extra_specs": specs}})),
            None,
        )
        .await
        .expect(200);
}

async fn retype(cloud: &Cloud, who: &Persona, id: &str, body: Value) -> common::Resp {
    cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes/{id}/action", who.project_id),
            who,
            Some(json!({"os-retype": body})),
            None,
        )
        .await
}

/// The volume as an admin sees it (host and migration status).
async fn admin_view(cloud: &Cloud, admin: &Persona, id: &str) -> Value {
    cloud
        .send(
            Method::GET,
            &format!("/v3/{}/volumes/{id}", admin.project_id),
            admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body["volume"]
        .clone()
}

/// The first bytes of volume `id`'s data on `backend`, whatever its format.
fn data_on(cloud: &Cloud, backend: &str, id: &str) -> Vec<u8> {
    let path = cloud
        .env
        .dir
        .join("volumes")
        .join(backend)
        .join(format!("volume-{id}"));
    let raw = cloud.env.dir.join(format!("read-{id}.raw"));
    let status = std::process::Command::new("qemu-img")
        .args(["convert", "-q", "-O", "raw"])
        .arg(&path)
        .arg(&raw)
        .status()
        .unwrap();
    assert!(status.success(), "{}", path.display());
    let mut data = std::fs::read(&raw).unwrap();
    std::fs::remove_file(raw).unwrap();
    data.truncate(MARK.len());
    data
}

#[tokio::test]
async fn retype_in_place_or_by_migration() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    make_type(
        &cloud,
        &admin,
        "on-gold",
        json!({"volume_backend_name": "gold"}),
    )
    .await;
    make_type(
        &cloud,
        &admin,
        "on-silver",
        json!({"volume_backend_name": "silver"}),
    )
    .await;
    make_type(&cloud, &admin, "plain", json!({})).await;
    let made = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes", alice.project_id),
            &alice,
            Some(json!({"volume": {"size": 1, "volume_type": "on-gold"}})),
            None,
        )
        .await
        .expect(202);
    let id = made.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "available").await;
    {
        use std::os::unix::fs::FileExt;
        let path = cloud
            .env
            .dir
            .join("volumes/gold")
            .join(format!("volume-{id}"));
        let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        file.write_at(MARK, 0).unwrap();
    }

    // Bad requests.
    let resp = retype(&cloud, &alice, &id, json!({"new_type": "on-gold"}))
        .await
        .expect(400);
    assert!(resp
        .message()
        .starts_with("Invalid volume: Retype needs volume to be in available or in-use state"));
    let resp = retype(&cloud, &alice, &id, json!({"new_type": "nope"}))
        .await
        .expect(404);
    assert_eq!(
        resp.message(),
        "Volume type with name nope could not be found."
    );
    let resp = retype(
        &cloud,
        &alice,
        &id,
        json!({"new_type": "plain", "migration_policy": null}),
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid input for field/attribute migration_policy. Value: None. None is not one of ['on-demand', 'never']"
    );

    // gold suits `plain`: the volume stays, its type changes.
    retype(&cloud, &alice, &id, json!({"new_type": "plain"}))
        .await
        .expect(202);
    let volume = cloud.wait_status(&alice, &id, "available").await;
    assert_eq!(volume["volume_type"], "plain");
    // silver is needed and migration is not allowed: nothing changes.
    retype(&cloud, &alice, &id, json!({"new_type": "on-silver"}))
        .await
        .expect(202);
    let volume = cloud.wait_status(&alice, &id, "available").await;
    assert_eq!(volume["volume_type"], "plain");
    assert_eq!(
        admin_view(&cloud, &admin, &id).await["os-vol-host-attr:host"],
        "node1@gold#gold"
    );

    // Per-type quotas count the move.
    let quota = format!(
        "/v3/{}/os-quota-sets/{}",
        admin.project_id, alice.project_id
    );
    cloud
        .send(
            Method::PUT,
            &quota,
            &admin,
            Some(json!({"quota_set": {"volumes_on-silver": 0}})),
            None,
        )
        .await
        .expect(200);
    let resp = retype(
        &cloud,
        &alice,
        &id,
        json!({"new_type": "on-silver", "migration_policy": "on-demand"}),
    )
    .await
    .expect(413);
    assert_eq!(
        resp.message(),
        "VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for quota 'volumes_on-silver'."
    );
    cloud
        .send(
            Method::PUT,
            &quota,
            &admin,
            Some(json!({"quota_set": {"volumes_on-silver": -1}})),
            None,
        )
        .await
        .expect(200);

    // on-demand: the data moves to silver (a qcow2 backend).
    retype(
        &cloud,
        &alice,
        &id,
        json!({"new_type": "on-silver", "migration_policy": "on-demand"}),
    )
    .await
    .expect(202);
    let volume = cloud.wait_status(&alice, &id, "available").await;
    assert_eq!(volume["volume_type"], "on-silver");
    let seen = admin_view(&cloud, &admin, &id).await;
    assert_eq!(seen["os-vol-host-attr:host"], "node1@silver#silver");
    assert_eq!(seen["os-vol-mig-status-attr:migstat"], "success");
    assert_eq!(seen["migration_status"], "success");
    assert_eq!(data_on(&cloud, "silver", &id), MARK);
    assert!(!cloud
        .env
        .dir
        .join("volumes/gold")
        .join(format!("volume-{id}"))
        .exists());

    // A volume with snapshots is not migrated.
    cloud
        .send(
            Method::POST,
            &format!("/v3/{}/snapshots", alice.project_id),
            &alice,
            Some(json!({"snapshot": {"volume_id": id}})),
            None,
        )
        .await
        .expect(202);
    for _ in 0..100 {
        let snaps = cloud
            .send(
                Method::GET,
                &format!("/v3/{}/snapshots", alice.project_id),
                &alice,
                None,
                None,
            )
            .await
            .body;
        if snaps["snapshots"][0]["status"] == "available" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    retype(
        &cloud,
        &alice,
        &id,
        json!({"new_type": "on-gold", "migration_policy": "on-demand"}),
    )
    .await
    .expect(202);
    let volume = cloud.wait_status(&alice, &id, "available").await;
    assert_eq!(volume["volume_type"], "on-silver");
    assert_eq!(
        admin_view(&cloud, &admin, &id).await["os-vol-host-attr:host"],
        "node1@silver#silver"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The iSCSI targets a tgtd on `control_port` exports.
fn targets(control_port: u16) -> String {
    let out = std::process::Command::new("tgtadm")
        .args(["-C", &control_port.to_string()])
        .args(["--lld", "iscsi", "--mode", "target", "--op", "show"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Volume host `node2` with one iSCSI backend, `bronze`; returns it and the
/// control port of its tgtd.
async fn start_node2(cloud: &Cloud) -> (ferrostack_block_storage::Running, u16) {
    let (portal, control) = (free_port(), 1000 + free_port() % 20000);
    let node2 = cloud
        .start_volume_host("node2", 4, |c| {
            c.set("DEFAULT", "enabled_backends", "bronze");
            c.set("bronze", "volume_driver", "iscsi");
            c.set("bronze", "target_port", portal.to_string());
            c.set("bronze", "tgtd_control_port", control.to_string());
        })
        .await;
    (node2, control)
}

#[tokio::test]
async fn retype_moves_volumes_to_another_volume_host_over_iscsi() {
    let cloud = Cloud::start().await;
    let (_node2, control) = start_node2(&cloud).await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    make_type(
        &cloud,
        &admin,
        "on-silver",
        json!({"volume_backend_name": "silver"}),
    )
    .await;
    make_type(
        &cloud,
        &admin,
        "on-bronze",
        json!({"volume_backend_name": "bronze"}),
    )
    .await;
    let create = |_: ()| async {
        let made = cloud
            .send(
                Method::POST,
                &format!("/v3/{}/volumes", alice.project_id),
                &alice,
                Some(json!({"volume": {"size": 1, "volume_type": "on-silver"}})),
                None,
            )
            .await
            .expect(202);
        let id = made.body["volume"]["id"].as_str().unwrap().to_string();
        cloud.wait_status(&alice, &id, "available").await;
        id
    };
    let silver_file = |id: &str| {
        cloud
            .env
            .dir
            .join("volumes/silver")
            .join(format!("volume-{id}"))
    };
    let bronze_file = |id: &str| {
        cloud
            .env
            .dir
            .join("volumes/bronze")
            .join(format!("volume-{id}"))
    };

    // A qcow2 volume on node1 holding data moves into a raw iSCSI volume on node2.
    let id = create(()).await;
    let marked = cloud.env.dir.join(format!("mark-{id}.raw"));
    std::fs::write(&marked, MARK).unwrap();
    let written = std::process::Command::new("qemu-img")
        .args(["convert", "-q", "-n", "-f", "raw", "-O", "qcow2"])
        .arg(&marked)
        .arg(silver_file(&id))
        .status()
        .unwrap();
    assert!(written.success());
    retype(
        &cloud,
        &alice,
        &id,
        json!({"new_type": "on-bronze", "migration_policy": "on-demand"}),
    )
    .await
    .expect(202);
    let volume = cloud.wait_status(&alice, &id, "available").await;
    assert_eq!(volume["volume_type"], "on-bronze");
    let seen = admin_view(&cloud, &admin, &id).await;
    assert_eq!(seen["os-vol-host-attr:host"], "node2@bronze#bronze");
    assert_eq!(seen["migration_status"], "success");
    assert_eq!(data_on(&cloud, "bronze", &id), MARK);
    assert!(!silver_file(&id).exists());
    // The export made for the copy is gone with it.
    assert!(!targets(control).contains(&id), "{}", targets(control));

    // A copy that fails (the source data is lost) leaves the volume where it
    // was, with its type, and nothing behind on node2.
    let lost = create(()).await;
    std::fs::remove_file(silver_file(&lost)).unwrap();
    retype(
        &cloud,
        &alice,
        &lost,
        json!({"new_type": "on-bronze", "migration_policy": "on-demand"}),
    )
    .await
    .expect(202);
    for _ in 0..200 {
        if admin_view(&cloud, &admin, &lost).await["migration_status"] == "error" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let seen = admin_view(&cloud, &admin, &lost).await;
    assert_eq!(seen["migration_status"], "error");
    assert_eq!(seen["status"], "available");
    assert_eq!(seen["volume_type"], "on-silver");
    assert_eq!(seen["os-vol-host-attr:host"], "node1@silver#silver");
    assert!(!bronze_file(&lost).exists());
    assert!(!targets(control).contains(&lost));
}

async fn migrate(
    cloud: &Cloud,
    who: &Persona,
    id: &str,
    body: Value,
    version: &str,
) -> common::Resp {
    cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes/{id}/action", who.project_id),
            who,
            Some(json!({"os-migrate_volume": body})),
            Some(version),
        )
        .await
}

/// Waits until volume `id` has migration status `status`; returns the volume.
async fn wait_migration(cloud: &Cloud, admin: &Persona, id: &str, status: &str) -> Value {
    // Up to 30 s: a copy between hosts on a loaded CI machine takes its time.
    for _ in 0..600 {
        let seen = admin_view(cloud, admin, id).await;
        if seen["migration_status"] == status {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let seen = admin_view(cloud, admin, id).await;
    panic!("volume {id} never reached migration status {status}: {seen}");
}

#[tokio::test]
async fn admins_migrate_volumes_to_a_named_backend() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    make_type(
        &cloud,
        &admin,
        "on-gold",
        json!({"volume_backend_name": "gold"}),
    )
    .await;
    let create = |kind: &'static str| {
        let (cloud, alice) = (&cloud, &alice);
        async move {
            let made = cloud
                .send(
                    Method::POST,
                    &format!("/v3/{}/volumes", alice.project_id),
                    alice,
                    Some(json!({"volume": {"size": 1, "volume_type": kind}})),
                    None,
                )
                .await
                .expect(202);
            let id = made.body["volume"]["id"].as_str().unwrap().to_string();
            cloud.wait_status(alice, &id, "available").await;
            id
        }
    };
    let id = create("__DEFAULT__").await;
    let from = admin_view(&cloud, &admin, &id).await["os-vol-host-attr:host"]
        .as_str()
        .unwrap()
        .to_string();
    // `host@backend#pool`, the pool being the backend's volume_backend_name.
    let backend = from.split(['@', '#']).nth(1).unwrap().to_string();
    assert_eq!(from, format!("node1@{backend}#{backend}"));
    {
        use std::os::unix::fs::FileExt;
        let path = cloud
            .env
            .dir
            .join("volumes")
            .join(&backend)
            .join(format!("volume-{id}"));
        if backend == "gold" {
            let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
            file.write_at(MARK, 0).unwrap();
        } else {
            let marked = cloud.env.dir.join(format!("mark-{id}.raw"));
            std::fs::write(&marked, MARK).unwrap();
            let written = std::process::Command::new("qemu-img")
                .args(["convert", "-q", "-n", "-f", "raw", "-O", "qcow2"])
                .arg(&marked)
                .arg(&path)
                .status()
                .unwrap();
            assert!(written.success());
        }
    }
    // node2 joins once the volume is on node1 (gold or silver).
    let (_node2, _) = start_node2(&cloud).await;
    let v3 = "volume 3.0";

    // While a migration works on it (as os-reset_status can say, for admins
    // who clear a stuck one), a volume is not snapshotted, attached,
    // extended, offered or moved again.
    let reset = |migration: Value| {
        let (cloud, admin, id) = (&cloud, &admin, &id);
        async move {
            cloud
                .send(
                    Method::POST,
                    &format!("/v3/{}/volumes/{id}/action", admin.project_id),
                    admin,
                    Some(json!({"os-reset_status": {"migration_status": migration}})),
                    None,
                )
                .await
        }
    };
    let resp = reset(json!("sideways")).await.expect(400);
    assert!(resp
        .message()
        .starts_with("Volume migration status: sideways is invalid"));
    reset(json!("Migrating")).await.expect(202);
    assert_eq!(
        admin_view(&cloud, &admin, &id).await["migration_status"],
        "migrating"
    );
    let busy = |path: &str, body: Value, version: &'static str| {
        let (cloud, alice) = (&cloud, &alice);
        let path = format!("/v3/{}/{path}", alice.project_id);
        async move {
            cloud
                .send(Method::POST, &path, alice, Some(body), Some(version))
                .await
                .expect(400)
                .message()
        }
    };
    assert_eq!(
        busy("snapshots", json!({"snapshot": {"volume_id": id}}), v3).await,
        "Invalid volume: Snapshot cannot be created while volume is migrating."
    );
    assert!(busy("attachments", json!({"attachment": {"volume_uuid": id, "instance_uuid": "5f3d2f3e-7c55-4c8e-9a55-0c1d2e3f4a5b"}}), "volume 3.27")
        .await
        .ends_with("is migrating; it can be attached when the migration ends."));
    assert!(busy(
        &format!("volumes/{id}/action"),
        json!({"os-extend": {"new_size": 2}}),
        v3
    )
    .await
    .ends_with("is migrating; it can be extended when the migration ends."));
    assert!(busy(
        "os-volume-transfer",
        json!({"transfer": {"volume_id": id}}),
        v3
    )
    .await
    .ends_with("is migrating; it can be transferred when the migration ends."));
    migrate(&cloud, &admin, &id, json!({"host": "node2@bronze"}), v3)
        .await
        .expect(400);
    reset(json!("none")).await.expect(202);
    assert!(admin_view(&cloud, &admin, &id).await["migration_status"].is_null());

    // Bad requests, in Cinder's order and words.
    migrate(&cloud, &alice, &id, json!({"host": "node2@bronze"}), v3)
        .await
        .expect(403);
    let resp = migrate(&cloud, &admin, &id, json!({}), v3)
        .await
        .expect(400);
    assert!(resp.message().ends_with("'host' is a required property"));
    let resp = migrate(
        &cloud,
        &admin,
        &id,
        json!({"host": "node2@bronze", "cluster": "c"}),
        "volume 3.16",
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid input received: One and only one of cluster and host must be set."
    );
    let resp = migrate(&cloud, &admin, &id, json!({"host": "nowhere@x"}), v3)
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid host: No available service named 'nowhere@x'"
    );
    let resp = migrate(&cloud, &admin, &id, json!({"cluster": "c1"}), "volume 3.16")
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid host: No available service named 'c1'"
    );
    let resp = migrate(
        &cloud,
        &admin,
        &id,
        json!({"host": format!("{from}#pool")}),
        v3,
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        format!("Invalid volume: Volume {id} status must be available or in-use, must not be migrating, have snapshots, be replicated, be part of a group and destination host/cluster must be different than the current one")
    );
    migrate(
        &cloud,
        &admin,
        "00000000-0000-0000-0000-000000000000",
        json!({"host": "node2@bronze"}),
        v3,
    )
    .await
    .expect(404);

    // Locked: maintenance while it moves, available after, type unchanged.
    migrate(
        &cloud,
        &admin,
        &id,
        json!({"host": "node2@bronze", "lock_volume": true}),
        v3,
    )
    .await
    .expect(202);
    let seen = admin_view(&cloud, &admin, &id).await;
    assert!(
        seen["status"] == "maintenance" || seen["migration_status"] == "success",
        "{seen}"
    );
    let seen = wait_migration(&cloud, &admin, &id, "success").await;
    assert_eq!(seen["status"], "available");
    assert_eq!(seen["os-vol-host-attr:host"], "node2@bronze#bronze");
    assert_eq!(seen["volume_type"], "__DEFAULT__");
    assert_eq!(data_on(&cloud, "bronze", &id), MARK);
    // A volume cannot be deleted while a migration works on it. The
    // destination may name its pool, as get_pools lists it.
    migrate(&cloud, &admin, &id, json!({"host": "node1@gold#gold"}), v3)
        .await
        .expect(202);
    let deleting = cloud
        .send(
            Method::DELETE,
            &format!("/v3/{}/volumes/{id}", alice.project_id),
            &alice,
            None,
            None,
        )
        .await;
    let seen = wait_migration(&cloud, &admin, &id, "success").await;
    if deleting.status == 400 {
        assert_eq!(seen["os-vol-host-attr:host"], "node1@gold#gold");
        assert_eq!(data_on(&cloud, "gold", &id), MARK);
    } else {
        // The migration had already finished.
        assert_eq!(deleting.status, 202);
    }

    // The scheduler refuses a backend the volume's type rules out.
    let pinned = create("on-gold").await;
    migrate(&cloud, &admin, &pinned, json!({"host": "node2@bronze"}), v3)
        .await
        .expect(202);
    let seen = wait_migration(&cloud, &admin, &pinned, "error").await;
    assert_eq!(seen["status"], "available");
    assert_eq!(seen["os-vol-host-attr:host"], "node1@gold#gold");
}
