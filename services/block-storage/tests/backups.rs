//! Volume backups over HTTP with the backup role running: full, incremental
//! and snapshot backups that hold the volume's data, restores into new and
//! existing volumes, export/import of records, the admin actions, quotas, and
//! the refusals (status, force, ownership, containers outside the repository).

mod common;

use common::{call, Cloud};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

const V3: &str = "volume 3.0";
const LATEST: &str = "volume 3.64";

/// Writes `data` at `offset` of a raw (gold) volume's file.
fn write_at(cloud: &Cloud, volume_id: &str, offset: u64, data: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let path = cloud.cinder().cfg.backends[0]
        .dir
        .join(format!("volume-{volume_id}"));
    let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.seek(SeekFrom::Start(offset)).unwrap();
    file.write_all(data).unwrap();
}

/// The first 2 MiB of a volume's data, whichever backend holds it.
async fn head_of(cloud: &Cloud, admin: &Persona, volume_id: &str) -> Vec<u8> {
    let shown = call(
        cloud,
        admin,
        Method::GET,
        &format!("volumes/{volume_id}"),
        None,
        V3,
    )
    .await
    .expect(200);
    let host = shown.body["volume"]["os-vol-host-attr:host"]
        .as_str()
        .unwrap()
        .to_string();
    let backend = host.split(['@', '#']).nth(1).unwrap().to_string();
    let cfg = &cloud.cinder().cfg;
    let dir = &cfg.backends.iter().find(|b| b.name == backend).unwrap().dir;
    let format = if backend == "silver" { "qcow2" } else { "raw" };
    let raw = cloud.env.dir.join(format!("head-{volume_id}.raw"));
    let done = std::process::Command::new("qemu-img")
        .args(["convert", "-f", format, "-O", "raw"])
        .arg(dir.join(format!("volume-{volume_id}")))
        .arg(&raw)
        .status()
        .unwrap();
    assert!(done.success());
    let mut data = std::fs::read(&raw).unwrap();
    std::fs::remove_file(&raw).unwrap();
    data.truncate(2 << 20);
    data
}

/// A 1 GiB volume of `who` on the raw `gold` backend, available.
async fn gold_volume(cloud: &Cloud, who: &Persona, extra: Value) -> String {
    let mut volume = json!({"size": 1, "volume_type": "gold-raw"});
    if let (Some(v), Some(extra)) = (volume.as_object_mut(), extra.as_object()) {
        v.extend(extra.clone());
    }
    let made = call(
        cloud,
        who,
        Method::POST,
        "volumes",
        Some(json!({"volume": volume})),
        V3,
    )
    .await
    .expect(202);
    let id = made.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(who, &id, "available").await;
    id
}

async fn backup(cloud: &Cloud, who: &Persona, body: Value) -> String {
    let made = call(
        cloud,
        who,
        Method::POST,
        "backups",
        Some(json!({"backup": body})),
        V3,
    )
    .await
    .expect(202);
    let keys: Vec<&String> = made.body["backup"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "links", "name"], "{}", made.body);
    let id = made.body["backup"]["id"].as_str().unwrap().to_string();
    cloud.wait_backup(who, &id, "available").await;
    id
}

async fn restore(cloud: &Cloud, who: &Persona, backup_id: &str, body: Value) -> Value {
    let resp = call(
        cloud,
        who,
        Method::POST,
        &format!("backups/{backup_id}/restore"),
        Some(json!({"restore": body})),
        V3,
    )
    .await
    .expect(202);
    let volume_id = resp.body["restore"]["volume_id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(who, &volume_id, "available").await;
    cloud.wait_backup(who, backup_id, "available").await;
    resp.body["restore"].clone()
}

#[tokio::test]
async fn backups_keep_volume_data_and_restore_it() {
    let cloud = Cloud::with_backups(|_| {}).await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let bob = cloud.identity.persona(&["member"]).await;
    call(&cloud, &admin, Method::POST, "types",
        Some(json!({"volume_type": {"name": "gold-raw", "extra_specs": {"volume_backend_name": "gold"}}})), V3)
        .await
        .expect(200);
    let services = call(
        &cloud,
        &admin,
        Method::GET,
        "os-services?binary=cinder-backup",
        None,
        V3,
    )
    .await;
    assert_eq!(
        services.body["services"][0]["host"], "node1",
        "{}",
        services.body
    );
    assert_eq!(services.body["services"][0]["state"], "up");

    // A full backup of a volume with data in two places.
    let source = gold_volume(
        &cloud,
        &alice,
        json!({"name": "src", "metadata": {"k": "v"}}),
    )
    .await;
    write_at(&cloud, &source, 0, &[0x11; 65536]);
    write_at(&cloud, &source, 1 << 20, b"first");
    let first_data = head_of(&cloud, &admin, &source).await;
    let full = backup(
        &cloud,
        &alice,
        json!({"volume_id": source, "name": "full", "description": "d"}),
    )
    .await;
    let shown = cloud.wait_status(&alice, &source, "available").await;
    assert_eq!(shown["status"], "available");
    let b = cloud.wait_backup(&alice, &full, "available").await;
    assert_eq!(b["is_incremental"], false);
    assert_eq!(b["size"], 1);
    assert_eq!(b["object_count"], 2, "{b}");
    assert_eq!(
        b["container"],
        format!("{}/{}/{full}", &full[0..2], &full[2..4])
    );
    assert_eq!(b["availability_zone"], "nova");
    assert!(b.get("metadata").is_none() && b.get("os-backup-project-attr:project_id").is_none());

    // An incremental backup of the changes.
    write_at(&cloud, &source, 0, &[0; 32768]);
    write_at(&cloud, &source, 1 << 20, b"second");
    let second_data = head_of(&cloud, &admin, &source).await;
    let incr = backup(
        &cloud,
        &alice,
        json!({"volume_id": source, "incremental": true}),
    )
    .await;
    let b = call(
        &cloud,
        &alice,
        Method::GET,
        &format!("backups/{incr}"),
        None,
        LATEST,
    )
    .await
    .expect(200);
    assert_eq!(b.body["backup"]["is_incremental"], true);
    assert_eq!(b.body["backup"]["object_count"], 2, "{}", b.body);
    assert_eq!(b.body["backup"]["metadata"], json!({}));
    let b = cloud.wait_backup(&alice, &full, "available").await;
    assert_eq!(b["has_dependent_backups"], true);
    let refused = call(
        &cloud,
        &alice,
        Method::DELETE,
        &format!("backups/{full}"),
        None,
        V3,
    )
    .await
    .expect(400);
    assert_eq!(
        refused.message(),
        "Invalid backup: Incremental backups exist for this backup."
    );

    // Restores: the chain into a new volume, the full one into a volume of hers.
    let restored = restore(&cloud, &alice, &incr, json!(null)).await;
    assert_eq!(restored["backup_id"], incr.as_str());
    assert_eq!(restored["volume_name"], format!("restore_backup_{incr}"));
    let new_id = restored["volume_id"].as_str().unwrap().to_string();
    assert_eq!(head_of(&cloud, &admin, &new_id).await, second_data);
    let new = cloud.wait_status(&alice, &new_id, "available").await;
    assert_eq!(new["metadata"], json!({"k": "v", "src_backup_id": incr}));
    assert_eq!(new["name"], "src");
    let target = gold_volume(&cloud, &alice, json!({"name": "mine"})).await;
    restore(&cloud, &alice, &full, json!({"volume_id": target})).await;
    assert_eq!(head_of(&cloud, &admin, &target).await, first_data);
    assert_eq!(
        cloud.wait_status(&alice, &target, "available").await["name"],
        "mine"
    );

    // A volume made from a backup (3.47) is available once the data is in.
    let made = call(
        &cloud,
        &alice,
        Method::POST,
        "volumes",
        Some(json!({"volume": {"backup_id": full, "name": "from-backup"}})),
        "volume 3.47",
    )
    .await
    .expect(202);
    assert_eq!(made.body["volume"]["size"], 1);
    let made_id = made.body["volume"]["id"].as_str().unwrap().to_string();
    let shown = cloud.wait_status(&alice, &made_id, "available").await;
    assert_eq!(shown["name"], "from-backup");
    assert_eq!(head_of(&cloud, &admin, &made_id).await, first_data);
    cloud.wait_backup(&alice, &full, "available").await;
    let missing = uuid::Uuid::new_v4().to_string();
    let resp = call(
        &cloud,
        &alice,
        Method::POST,
        "volumes",
        Some(json!({"volume": {"backup_id": missing}})),
        "volume 3.47",
    )
    .await
    .expect(404);
    assert_eq!(
        resp.message(),
        format!("Backup {missing} could not be found.")
    );
    let resp = call(
        &cloud,
        &alice,
        Method::POST,
        "volumes",
        Some(json!({"volume": {"backup_id": full, "snapshot_id": missing}})),
        "volume 3.47",
    )
    .await
    .expect(400);
    assert!(
        resp.message().contains("May specify only one of"),
        "{}",
        resp.body
    );
    call(
        &cloud,
        &alice,
        Method::DELETE,
        &format!("volumes/{made_id}"),
        None,
        V3,
    )
    .await
    .expect(202);

    // A snapshot's backup holds the data as the snapshot has it.
    let snap = call(
        &cloud,
        &alice,
        Method::POST,
        "snapshots",
        Some(json!({"snapshot": {"volume_id": source}})),
        V3,
    )
    .await
    .expect(202);
    let snap_id = snap.body["snapshot"]["id"].as_str().unwrap().to_string();
    for _ in 0..200 {
        let s = call(
            &cloud,
            &alice,
            Method::GET,
            &format!("snapshots/{snap_id}"),
            None,
            V3,
        )
        .await;
        if s.body["snapshot"]["status"] == "available" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    write_at(&cloud, &source, 1 << 20, b"third!");
    let of_snap = backup(
        &cloud,
        &alice,
        json!({"volume_id": source, "snapshot_id": snap_id}),
    )
    .await;
    let b = cloud.wait_backup(&alice, &of_snap, "available").await;
    assert_eq!(b["snapshot_id"], snap_id.as_str());
    let s = call(
        &cloud,
        &alice,
        Method::GET,
        &format!("snapshots/{snap_id}"),
        None,
        V3,
    )
    .await;
    assert_eq!(s.body["snapshot"]["status"], "available");
    let from_snap = restore(&cloud, &alice, &of_snap, json!({"name": "from-snap"})).await;
    assert_eq!(from_snap["volume_name"], "from-snap");
    let from_snap_id = from_snap["volume_id"].as_str().unwrap();
    assert_eq!(head_of(&cloud, &admin, from_snap_id).await, second_data);

    // Refusals.
    let other = gold_volume(&cloud, &alice, json!({})).await;
    let cases = [
        (json!({"volume_id": other, "incremental": true}), 400, "Invalid backup: No backups available to do an incremental backup.".to_string()),
        (json!({"volume_id": other, "snapshot_id": snap_id}), 400, format!("Invalid volume: Volume {other} does not match with snapshot.volume_id {source}.")),
        (json!({"volume_id": other, "container": "../../etc"}), 400, String::new()),
        (json!({"volume_id": other, "container": "a/../b"}), 400, String::new()),
        (json!({"volume_id": uuid::Uuid::new_v4().to_string()}), 404, String::new()),
        (json!({"volume_id": "not-a-uuid"}), 400, "Invalid input for field/attribute volume_id. Value: not-a-uuid. 'not-a-uuid' is not a 'uuid'".to_string()),
    ];
    for (body, status, message) in cases {
        let resp = call(
            &cloud,
            &alice,
            Method::POST,
            "backups",
            Some(json!({"backup": body})),
            V3,
        )
        .await
        .expect(status);
        if !message.is_empty() {
            assert_eq!(resp.message(), message);
        }
    }
    // An in-use volume needs force.
    call(
        &cloud,
        &admin,
        Method::POST,
        &format!("volumes/{other}/action"),
        Some(json!({"os-reset_status": {"status": "in-use"}})),
        V3,
    )
    .await
    .expect(202);
    let resp = call(
        &cloud,
        &alice,
        Method::POST,
        "backups",
        Some(json!({"backup": {"volume_id": other}})),
        V3,
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid volume: Backing up an in-use volume must use the force flag."
    );
    let forced = backup(
        &cloud,
        &alice,
        json!({"volume_id": other, "force": true, "container": "nightly/alice"}),
    )
    .await;
    let b = cloud.wait_backup(&alice, &forced, "available").await;
    assert_eq!(b["container"], "nightly/alice");
    // Its backup read a temporary clone; the volume has no attachment (its
    // in-use was only a reset), so it is available again.
    cloud.wait_status(&alice, &other, "available").await;
    call(
        &cloud,
        &admin,
        Method::POST,
        &format!("volumes/{other}/action"),
        Some(json!({"os-reset_status": {"status": "available"}})),
        V3,
    )
    .await
    .expect(202);
    let resp = call(
        &cloud,
        &alice,
        Method::POST,
        &format!("backups/{full}/restore"),
        Some(json!({"restore": {"volume_id": source}})),
        V3,
    )
    .await;
    assert_eq!(resp.status, 202, "{}", resp.body);
    cloud.wait_backup(&alice, &full, "available").await;
    cloud.wait_status(&alice, &source, "available").await;

    // Another project sees none of it.
    call(
        &cloud,
        &bob,
        Method::GET,
        &format!("backups/{full}"),
        None,
        V3,
    )
    .await
    .expect(404);
    let listed = call(&cloud, &bob, Method::GET, "backups/detail", None, V3)
        .await
        .expect(200);
    assert_eq!(listed.body["backups"], json!([]));
    call(
        &cloud,
        &bob,
        Method::POST,
        &format!("backups/{full}/restore"),
        Some(json!({"restore": {}})),
        V3,
    )
    .await
    .expect(404);
    call(
        &cloud,
        &alice,
        Method::POST,
        &format!("backups/{full}/restore"),
        Some(json!({"restore": {"volume_id": uuid::Uuid::new_v4().to_string()}})),
        V3,
    )
    .await
    .expect(404);

    // Lists, with counts and pages; updates from 3.9.
    let listed = call(
        &cloud,
        &alice,
        Method::GET,
        "backups?limit=2&with_count=true",
        None,
        "volume 3.45",
    )
    .await
    .expect(200);
    assert_eq!(listed.body["count"], 4);
    assert_eq!(listed.body["backups"].as_array().unwrap().len(), 2);
    assert!(listed.body["backups_links"][0]["href"]
        .as_str()
        .unwrap()
        .contains("marker="));
    let refused = call(
        &cloud,
        &alice,
        Method::GET,
        "backups?size=1",
        None,
        "volume 3.31",
    )
    .await
    .expect(400);
    assert_eq!(
        refused.message(),
        "Invalid filters size are found in query options."
    );
    let named = call(
        &cloud,
        &alice,
        Method::GET,
        "backups/detail?name=full",
        None,
        V3,
    )
    .await
    .expect(200);
    assert_eq!(named.body["backups"][0]["id"], full.as_str());
    call(
        &cloud,
        &alice,
        Method::PUT,
        &format!("backups/{full}"),
        Some(json!({"backup": {"name": "x"}})),
        V3,
    )
    .await
    .expect(404);
    let updated = call(
        &cloud,
        &alice,
        Method::PUT,
        &format!("backups/{full}"),
        Some(json!({"backup": {"name": "renamed", "description": "new", "metadata": {"m": "1"}}})),
        LATEST,
    )
    .await
    .expect(200);
    assert_eq!(updated.body["backup"]["name"], "renamed");
    let as_admin = call(
        &cloud,
        &admin,
        Method::GET,
        &format!("backups/{full}"),
        None,
        LATEST,
    )
    .await
    .expect(200);
    assert_eq!(
        as_admin.body["backup"]["os-backup-project-attr:project_id"],
        alice.project_id.as_str()
    );
    assert_eq!(as_admin.body["backup"]["user_id"], alice.user_id.as_str());
    assert_eq!(as_admin.body["backup"]["metadata"], json!({"m": "1"}));
    let all = call(
        &cloud,
        &admin,
        Method::GET,
        "backups?all_tenants=true",
        None,
        V3,
    )
    .await
    .expect(200);
    assert_eq!(all.body["backups"].as_array().unwrap().len(), 4);

    // Quotas count backups and their GiB.
    let quotas = call(
        &cloud,
        &admin,
        Method::GET,
        &format!("os-quota-sets/{}?usage=true", alice.project_id),
        None,
        V3,
    )
    .await
    .expect(200);
    assert_eq!(
        quotas.body["quota_set"]["backups"]["in_use"], 4,
        "{}",
        quotas.body
    );
    assert_eq!(quotas.body["quota_set"]["backup_gigabytes"]["in_use"], 4);
    call(
        &cloud,
        &admin,
        Method::PUT,
        &format!("os-quota-sets/{}", alice.project_id),
        Some(json!({"quota_set": {"backups": 4}})),
        V3,
    )
    .await
    .expect(200);
    let over = call(
        &cloud,
        &alice,
        Method::POST,
        "backups",
        Some(json!({"backup": {"volume_id": other}})),
        V3,
    )
    .await
    .expect(413);
    assert_eq!(
        over.message(),
        "BackupLimitExceeded: Maximum number of backups allowed (4) exceeded"
    );
    call(
        &cloud,
        &admin,
        Method::PUT,
        &format!("os-quota-sets/{}", alice.project_id),
        Some(json!({"quota_set": {"backups": 10}})),
        V3,
    )
    .await
    .expect(200);

    // Export and import of a record: the copy shares the data, which stays
    // while either record does.
    call(
        &cloud,
        &alice,
        Method::GET,
        &format!("backups/{full}/export_record"),
        None,
        V3,
    )
    .await
    .expect(403);
    let exported = call(
        &cloud,
        &admin,
        Method::GET,
        &format!("backups/{full}/export_record"),
        None,
        V3,
    )
    .await
    .expect(200);
    let record = &exported.body["backup-record"];
    assert_eq!(
        record["backup_service"],
        "cinder.backup.drivers.posix.PosixBackupDriver"
    );
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    let mut decoded: Value = serde_json::from_slice(
        &engine
            .decode(record["backup_url"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(decoded["id"], full.as_str());
    let copy_id = uuid::Uuid::new_v4().to_string();
    decoded["id"] = json!(copy_id);
    let url = engine.encode(decoded.to_string());
    let import = |url: String| json!({"backup-record": {"backup_service": "cinder.backup.drivers.posix.PosixBackupDriver", "backup_url": url}});
    let imported = call(
        &cloud,
        &admin,
        Method::POST,
        "backups/import_record",
        Some(import(url.clone())),
        V3,
    )
    .await
    .expect(201);
    assert_eq!(imported.body["backup"]["id"], copy_id.as_str());
    cloud.wait_backup(&admin, &copy_id, "available").await;
    let again = call(
        &cloud,
        &admin,
        Method::POST,
        "backups/import_record",
        Some(import(url)),
        V3,
    )
    .await
    .expect(400);
    assert_eq!(
        again.message(),
        "Invalid backup: Backup already exists in database."
    );
    let bad = call(
        &cloud,
        &admin,
        Method::POST,
        "backups/import_record",
        Some(import("bm90IGpzb24=".into())),
        V3,
    )
    .await
    .expect(400);
    assert_eq!(
        bad.message(),
        "Invalid input received: Can't parse backup record."
    );
    decoded["id"] = json!(uuid::Uuid::new_v4().to_string());
    decoded["service_metadata"] = json!("../../etc/backup_x");
    call(
        &cloud,
        &admin,
        Method::POST,
        "backups/import_record",
        Some(import(engine.encode(decoded.to_string()))),
        V3,
    )
    .await
    .expect(400);
    call(
        &cloud,
        &alice,
        Method::POST,
        "backups/import_record",
        Some(import("eA==".into())),
        V3,
    )
    .await
    .expect(403);
    call(
        &cloud,
        &admin,
        Method::DELETE,
        &format!("backups/{copy_id}"),
        None,
        V3,
    )
    .await
    .expect(202);
    cloud.wait_backup(&admin, &copy_id, "gone").await;

    // Admin actions.
    call(
        &cloud,
        &alice,
        Method::POST,
        &format!("backups/{forced}/action"),
        Some(json!({"os-reset_status": {"status": "error"}})),
        V3,
    )
    .await
    .expect(403);
    let bad = call(
        &cloud,
        &admin,
        Method::POST,
        &format!("backups/{forced}/action"),
        Some(json!({"os-reset_status": {"status": "creating"}})),
        V3,
    )
    .await
    .expect(400);
    assert_eq!(
        bad.message(),
        "Backup status: creating is invalid, valid statuses are: ['available', 'error']."
    );
    call(
        &cloud,
        &admin,
        Method::POST,
        &format!("backups/{forced}/action"),
        Some(json!({"os-reset_status": {"status": "error"}})),
        V3,
    )
    .await
    .expect(202);
    cloud.wait_backup(&alice, &forced, "error").await;
    call(
        &cloud,
        &admin,
        Method::POST,
        &format!("backups/{forced}/action"),
        Some(json!({"os-force_delete": {}})),
        V3,
    )
    .await
    .expect(202);
    cloud.wait_backup(&alice, &forced, "gone").await;

    // Deletes remove the data; the repository keeps nothing of them.
    for id in [&of_snap, &incr, &full] {
        call(
            &cloud,
            &alice,
            Method::DELETE,
            &format!("backups/{id}"),
            None,
            V3,
        )
        .await
        .expect(202);
        cloud.wait_backup(&alice, id, "gone").await;
    }
    let repository = &cloud.cinder().cfg.backup.root;
    let left: Vec<_> = walk(repository);
    assert!(left.is_empty(), "{left:?}");
}

/// The files under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn without_a_backup_host_backups_fail_and_stuck_ones_are_swept() {
    let cloud = Cloud::with_config(|c| c.set("DEFAULT", "stuck_operation_timeout", "1")).await;
    let alice = cloud.identity.persona(&["member"]).await;
    let made = call(
        &cloud,
        &alice,
        Method::POST,
        "volumes",
        Some(json!({"volume": {"size": 1}})),
        V3,
    )
    .await
    .expect(202);
    let volume = made.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &volume, "available").await;
    let made = call(
        &cloud,
        &alice,
        Method::POST,
        "backups",
        Some(json!({"backup": {"volume_id": volume}})),
        V3,
    )
    .await
    .expect(202);
    let id = made.body["backup"]["id"].as_str().unwrap().to_string();
    let b = cloud.wait_backup(&alice, &id, "error").await;
    assert_eq!(b["fail_reason"], "Service not found for creating backup.");
    let resp = call(
        &cloud,
        &alice,
        Method::DELETE,
        &format!("backups/{id}"),
        None,
        V3,
    )
    .await
    .expect(404);
    assert_eq!(resp.message(), "Service cinder-backup could not be found.");

    // A backup host that took the work and died: the sweep ends the backup
    // and gives the volume back.
    let cinder = cloud.cinder();
    ferrostack_db::service_registry::heartbeat(&cinder.db, "ghost", "cinder-backup", "nova")
        .await
        .unwrap();
    let made = call(
        &cloud,
        &alice,
        Method::POST,
        "backups",
        Some(json!({"backup": {"volume_id": volume}})),
        V3,
    )
    .await
    .expect(202);
    let stuck = made.body["backup"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &volume, "backing-up").await;
    cloud.wait_backup(&alice, &stuck, "creating").await;
    // The api role's housekeeping sweeps every report_interval; sweep now too.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    cinder.sweep_stuck().await.unwrap();
    let b = cloud.wait_backup(&alice, &stuck, "error").await;
    assert!(
        b["fail_reason"]
            .as_str()
            .unwrap()
            .contains("stopped reporting"),
        "{b}"
    );
    cloud.wait_status(&alice, &volume, "available").await;

    // Force-deleted while its host makes it: the host's last report learns the
    // backup is gone (and drops its data); the volume is given back then.
    let admin = cloud.identity.admin_persona().await;
    let made = call(
        &cloud,
        &alice,
        Method::POST,
        "backups",
        Some(json!({"backup": {"volume_id": volume}})),
        V3,
    )
    .await
    .expect(202);
    let doomed = made.body["backup"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &volume, "backing-up").await;
    call(
        &cloud,
        &admin,
        Method::POST,
        &format!("backups/{doomed}/action"),
        Some(json!({"os-force_delete": {}})),
        V3,
    )
    .await
    .expect(202);
    cloud.wait_backup(&alice, &doomed, "deleting").await;
    cloud.wait_status(&alice, &volume, "backing-up").await;
    use ferrostack_block_storage::rpc::{api, messages::BackupUpdate};
    let transport = cinder.cfg.messaging.transport().await.unwrap();
    let api =
        ferrostack_rpc::Client::<api::Topic>::new(transport, std::time::Duration::from_secs(10));
    let last = BackupUpdate {
        id: doomed.clone(),
        status: "available".into(),
        from_status: vec!["creating".into()],
        volume_id: volume.clone(),
        volume_status: "available".into(),
        ..BackupUpdate::default()
    };
    let answer = api
        .call::<api::BackupUpdate>(&ferrostack_rpc::Context::internal(), None, &last)
        .await
        .unwrap_err();
    assert!(answer.to_string().contains("BackupDeleted"), "{answer}");
    cloud.wait_status(&alice, &volume, "available").await;
}
