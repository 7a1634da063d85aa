//! A volume role in its own process, killed mid-operation: RabbitMQ hands the
//! unfinished request to the restarted role, and the volume ends available or
//! deleted, never stuck.

mod common;

use std::time::Duration;

use common::Cloud;
use reqwest::Method;
use serde_json::{json, Value};

const MARK: &[u8] = b"written before the crash";

#[tokio::test]
async fn a_volume_role_killed_mid_create_or_down_for_a_delete_finishes_after_restart() {
    let mut cloud = Cloud::with_volume_process().await;
    let alice = cloud.identity.persona(&["member"]).await;

    // An image large enough that its download is still running when we kill.
    let glance = cloud.image.as_ref().unwrap().url("/v2/images");
    let image: Value = cloud
        .http
        .post(&glance)
        .header("X-Auth-Token", &alice.token)
        .json(&json!({"name": "big", "disk_format": "raw", "container_format": "bare"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let image_id = image["id"].as_str().unwrap().to_string();
    let mut data = vec![0u8; 512 << 20];
    data[..MARK.len()].copy_from_slice(MARK);
    let uploaded = cloud
        .http
        .put(format!("{glance}/{image_id}/file"))
        .header("X-Auth-Token", &alice.token)
        .header("Content-Type", "application/octet-stream")
        .body(data)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 204);

    let made = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes", alice.project_id),
            &alice,
            Some(json!({"volume": {"size": 1, "imageRef": image_id}})),
            None,
        )
        .await
        .expect(202);
    let id = made.body["volume"]["id"].as_str().unwrap().to_string();
    let path = format!("/v3/{}/volumes/{id}", alice.project_id);
    let mut seen = Vec::new();
    for _ in 0..1000 {
        let status = cloud
            .send(Method::GET, &path, &alice, None, None)
            .await
            .body["volume"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if status == "downloading" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        seen.last().map(String::as_str),
        Some("downloading"),
        "{seen:?}"
    );
    cloud.volume_process.as_mut().unwrap().kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stuck = cloud
        .send(Method::GET, &path, &alice, None, None)
        .await
        .body;
    assert_eq!(stuck["volume"]["status"], "downloading");
    cloud.volume_process.as_mut().unwrap().restart();
    let volume = cloud.wait_status(&alice, &id, "available").await;
    assert_eq!(volume["bootable"], "true");
    let file = cloud
        .env
        .dir
        .join("volumes")
        .join("gold")
        .join(format!("volume-{id}"));
    let file = if file.exists() {
        file
    } else {
        cloud
            .env
            .dir
            .join("volumes")
            .join("silver")
            .join(format!("volume-{id}"))
    };
    let raw = cloud.env.dir.join("check.raw");
    let status = std::process::Command::new("qemu-img")
        .args(["convert", "-q", "-O", "raw"])
        .arg(&file)
        .arg(&raw)
        .status()
        .unwrap();
    assert!(status.success());
    let head = std::fs::read(&raw).unwrap();
    assert_eq!(&head[..MARK.len()], MARK);
    std::fs::remove_file(raw).unwrap();
    // The killed role's scratch download is gone.
    let scratch = cloud.env.dir.join("conversion").join("node1");
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0);

    // Down while a delete is asked: the request waits for the role.
    cloud.volume_process.as_mut().unwrap().kill();
    cloud
        .send(Method::DELETE, &path, &alice, None, None)
        .await
        .expect(202);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let waiting = cloud
        .send(Method::GET, &path, &alice, None, None)
        .await
        .body;
    assert_eq!(waiting["volume"]["status"], "deleting");
    cloud.volume_process.as_mut().unwrap().restart();
    cloud.wait_status(&alice, &id, "gone").await;
    assert!(!file.exists());
}

/// A report of an operation that is over — a create delivered twice, a late
/// report — changes nothing: the api applies a report only while the volume is
/// still in a status the report may replace.
#[tokio::test]
async fn stale_reports_do_not_change_a_volume() {
    use ferrostack_block_storage::rpc;
    use ferrostack_block_storage::rpc::messages::VolumeUpdate;
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let made = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes", alice.project_id),
            &alice,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(202);
    let id = made.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "available").await;
    let messaging =
        ferrostack_block_storage::config::BlockStorageConfig::from_config(&cloud.env.config)
            .unwrap()
            .messaging;
    let transport = messaging.transport().await.unwrap();
    let api = ferrostack_rpc::Client::<rpc::api::Topic>::new(transport, Duration::from_secs(10));
    let stale = VolumeUpdate {
        id: id.clone(),
        status: "error".into(),
        error: "a create failing late".into(),
        from_status: vec!["creating".into(), "downloading".into()],
        ..VolumeUpdate::default()
    };
    api.call::<rpc::api::VolumeUpdate>(&ferrostack_rpc::Context::internal(), None, &stale)
        .await
        .unwrap();
    let volume = cloud.wait_status(&alice, &id, "available").await;
    assert_eq!(volume["status"], "available");
    // A report tied to the volume's actual state still applies.
    let current = VolumeUpdate {
        from_status: vec!["available".into()],
        ..stale
    };
    api.call::<rpc::api::VolumeUpdate>(&ferrostack_rpc::Context::internal(), None, &current)
        .await
        .unwrap();
    cloud.wait_status(&alice, &id, "error").await;
}

/// Operations whose manager stopped sending keepalives are moved on as Cinder's
/// volume service does at start; ones that are still alive are left be.
#[tokio::test]
async fn operations_without_keepalives_are_moved_on() {
    use ferrostack_block_storage::db::entity::{attachment, volume};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let cinder = cloud.cinder();
    let mut ids = Vec::new();
    for _ in 0..4 {
        let made = cloud
            .send(
                Method::POST,
                &format!("/v3/{}/volumes", alice.project_id),
                &alice,
                Some(json!({"volume": {"size": 1}})),
                None,
            )
            .await
            .expect(202);
        let id = made.body["volume"]["id"].as_str().unwrap().to_string();
        cloud.wait_status(&alice, &id, "available").await;
        ids.push(id);
    }
    let long_ago = (chrono::Utc::now() - chrono::Duration::hours(1)).naive_utc();
    let set = |id: &str, status: &'static str, migration: Option<&'static str>, at| {
        let (db, id) = (cinder.db.clone(), id.to_string());
        async move {
            let row = volume::Entity::find_by_id(id)
                .one(&db)
                .await
                .unwrap()
                .unwrap();
            let mut row = row.into_active_model();
            row.status = Set(status.into());
            row.migration_status = Set(migration.map(str::to_string));
            row.updated_at = Set(at);
            row.update(&db).await.unwrap();
        }
    };
    set(&ids[0], "uploading", None, long_ago).await;
    set(&ids[1], "retyping", Some("migrating"), long_ago).await;
    set(&ids[2], "uploading", None, long_ago).await;
    attachment::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        volume_id: Set(ids[2].clone()),
        project_id: Set(alice.project_id.clone()),
        instance_uuid: Set(Some(uuid::Uuid::new_v4().to_string())),
        status: Set("attached".into()),
        attach_mode: Set("rw".into()),
        connector: Set(None),
        connection_info: Set(None),
        attached_at: Set(None),
        detached_at: Set(None),
        created_at: Set(chrono::Utc::now().naive_utc()),
        mountpoint: Set(None),
    }
    .insert(&cinder.db)
    .await
    .unwrap();
    // Alive: its keepalive came a moment ago.
    set(&ids[3], "downloading", None, chrono::Utc::now().naive_utc()).await;
    assert_eq!(cinder.sweep_stuck().await.unwrap(), 4);
    let status = |id: String| {
        let db = cinder.db.clone();
        async move {
            let row = volume::Entity::find_by_id(id)
                .one(&db)
                .await
                .unwrap()
                .unwrap();
            (row.status, row.migration_status)
        }
    };
    assert_eq!(status(ids[0].clone()).await, ("available".into(), None));
    assert_eq!(
        status(ids[1].clone()).await,
        ("available".into(), Some("error".into()))
    );
    assert_eq!(status(ids[2].clone()).await.0, "in-use");
    assert_eq!(status(ids[3].clone()).await.0, "downloading");
}

/// On the memory bus (one process, every role), a crash loses the creates the
/// api role accepted and the scheduler held: when the process starts again, the
/// api role sends them again from the database and they finish.
#[tokio::test]
async fn creates_a_crash_took_off_the_memory_bus_are_sent_again_at_start() {
    use ferrostack_block_storage::Role;
    let bus = |name: &str| format!("memory://{name}-{}", uuid::Uuid::new_v4().simple());
    // The scheduler knows no backend (no volume role) and waits a long time
    // for one: the creates sit in it, as in a process about to die.
    let first_bus = bus("before-crash");
    let mut cloud = Cloud::with_roles(&[Role::Api, Role::Scheduler], |c| {
        c.set("DEFAULT", "transport_url", &first_bus);
        c.set("DEFAULT", "report_interval", "300");
    })
    .await;
    let alice = cloud.identity.persona(&["member"]).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let made = cloud
            .send(
                Method::POST,
                &format!("/v3/{}/volumes", alice.project_id),
                &alice,
                Some(json!({"volume": {"size": 1}})),
                None,
            )
            .await
            .expect(202);
        ids.push(made.body["volume"]["id"].as_str().unwrap().to_string());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for id in &ids {
        let shown = cloud
            .send(
                Method::GET,
                &format!("/v3/{}/volumes/{id}", alice.project_id),
                &alice,
                None,
                None,
            )
            .await
            .body;
        assert_eq!(shown["volume"]["status"], "creating");
    }

    // The process starts again: a new memory bus, the same database.
    let mut config = cloud.env.config.clone();
    config.set("DEFAULT", "transport_url", bus("after-crash"));
    config.set("DEFAULT", "report_interval", "1");
    cloud
        .start_again(&config, &[Role::Api, Role::Scheduler, Role::Volume])
        .await;
    for id in &ids {
        cloud.wait_status(&alice, id, "available").await;
    }
}

/// A create delivered to a second host (a scheduler's cast given out again to
/// another scheduler) is made only by the host the volume was placed on.
#[tokio::test]
async fn a_create_delivered_to_two_hosts_is_made_once() {
    use ferrostack_block_storage::db::entity::volume;
    use ferrostack_block_storage::rpc;
    use ferrostack_block_storage::rpc::messages::{CreateVolume, VolumeSpec};
    use sea_orm::EntityTrait;
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let made = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes", alice.project_id),
            &alice,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(202);
    let id = made.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "available").await;
    let placed = volume::Entity::find_by_id(id.as_str())
        .one(&cloud.cinder().db)
        .await
        .unwrap()
        .unwrap()
        .host
        .unwrap();
    let other = if placed == "node1@gold" {
        "node1@silver"
    } else {
        "node1@gold"
    };
    let messaging =
        ferrostack_block_storage::config::BlockStorageConfig::from_config(&cloud.env.config)
            .unwrap()
            .messaging;
    let transport = messaging.transport().await.unwrap();
    let volumes =
        ferrostack_rpc::Client::<rpc::volume::Topic>::new(transport, Duration::from_secs(10));
    let again = CreateVolume {
        volume: Some(VolumeSpec {
            id: id.clone(),
            size_gb: 1,
            host: other.into(),
            ..VolumeSpec::default()
        }),
    };
    volumes
        .cast::<rpc::volume::CreateVolume>(
            &ferrostack_rpc::Context::internal(),
            Some(other),
            &again,
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let backend = other.split_once('@').unwrap().1;
    let stray = cloud
        .env
        .dir
        .join("volumes")
        .join(backend)
        .join(format!("volume-{id}"));
    assert!(!stray.exists(), "the second host made the volume too");
    let volume = volume::Entity::find_by_id(id.as_str())
        .one(&cloud.cinder().db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(volume.host.as_deref(), Some(placed.as_str()));
    assert_eq!(volume.status, "available");
}
