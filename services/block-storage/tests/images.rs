//! Volumes and images over HTTP beside a real image service: volumes created from
//! images (downloaded by the volume host on the caller's token), volumes
//! uploaded to images, and a volume's image metadata.

mod common;

use common::{Cloud, ImageApi};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

const MARK: &[u8] = b"ferrostack boot sector";

/// A qcow2 image whose disk starts with `MARK`, `virtual_mib` MiB large.
fn qcow2_image(virtual_mib: u64) -> Vec<u8> {
    qcow2_marked(MARK, virtual_mib)
}

/// A qcow2 image whose disk starts with `mark`, `virtual_mib` MiB large.
fn qcow2_marked(mark: &[u8], virtual_mib: u64) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("ferro-bs-img-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let raw = dir.join("disk.raw");
    std::fs::write(&raw, mark).unwrap();
    // Sparse: the rest of the disk is a hole.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&raw)
        .unwrap()
        .set_len(virtual_mib << 20)
        .unwrap();
    let qcow = dir.join("disk.qcow2");
    let status = std::process::Command::new("qemu-img")
        .args(["convert", "-q", "-f", "raw", "-O", "qcow2"])
        .arg(&raw)
        .arg(&qcow)
        .status()
        .unwrap();
    assert!(status.success());
    let image = std::fs::read(&qcow).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
    image
}

impl Cloud {
    async fn glance(
        &self,
        method: Method,
        path: &str,
        who: &Persona,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = self.image.as_ref().expect("an image service").url(path);
        let mut req = self
            .http
            .request(method, url)
            .header("X-Auth-Token", &who.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// An active image of `who`'s holding `data`.
    async fn image_of(&self, who: &Persona, name: &str, data: Vec<u8>, extra: Value) -> String {
        let mut body = json!({"name": name, "disk_format": "qcow2", "container_format": "bare"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().cloned().unwrap_or_default());
        let (status, image) = self
            .glance(Method::POST, "/v2/images", who, Some(body))
            .await;
        assert_eq!(status, 201, "{image}");
        let id = image["id"].as_str().unwrap().to_string();
        let url = self
            .image
            .as_ref()
            .unwrap()
            .url(&format!("/v2/images/{id}/file"));
        let resp = self
            .http
            .put(url)
            .header("X-Auth-Token", &who.token)
            .header("Content-Type", "application/octet-stream")
            .body(data)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 204);
        id
    }

    async fn volume_action(
        &self,
        who: &Persona,
        id: &str,
        body: Value,
        version: Option<&str>,
    ) -> common::Resp {
        self.send(
            Method::POST,
            &format!("/v3/{}/volumes/{id}/action", who.project_id),
            who,
            Some(body),
            version,
        )
        .await
    }

    /// The file of volume `id` on whichever backend holds it.
    fn volume_file(&self, id: &str) -> Vec<u8> {
        for backend in ["gold", "silver"] {
            let path = self
                .env
                .dir
                .join("volumes")
                .join(backend)
                .join(format!("volume-{id}"));
            if path.exists() {
                let raw = self.env.dir.join(format!("check-{id}.raw"));
                let status = std::process::Command::new("qemu-img")
                    .args(["convert", "-q", "-O", "raw"])
                    .arg(&path)
                    .arg(&raw)
                    .status()
                    .unwrap();
                assert!(status.success());
                let data = std::fs::read(&raw).unwrap();
                std::fs::remove_file(raw).unwrap();
                return data;
            }
        }
        panic!("volume {id} has no file");
    }
}

async fn create_from(cloud: &Cloud, who: &Persona, volume: Value) -> common::Resp {
    cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes", who.project_id),
            who,
            Some(json!({"volume": volume})),
            None,
        )
        .await
}

async fn from_image_and_back(cloud: Cloud) {
    let alice = cloud.identity.persona(&["member"]).await;
    let image_id = cloud
        .image_of(
            &alice,
            "cirros",
            qcow2_image(8),
            json!({"hw_disk_bus": "scsi"}),
        )
        .await;
    let made = create_from(
        &cloud,
        &alice,
        json!({"size": 1, "imageRef": image_id, "name": "boot"}),
    )
    .await
    .expect(202);
    assert_eq!(made.body["volume"]["bootable"], "false");
    assert!(made.body["volume"].get("volume_image_metadata").is_none());
    let id = made.body["volume"]["id"].as_str().unwrap().to_string();
    let volume = cloud.wait_status(&alice, &id, "available").await;
    assert_eq!(volume["bootable"], "true");
    let kept = &volume["volume_image_metadata"];
    assert_eq!(kept["image_id"], image_id.as_str());
    assert_eq!(kept["image_name"], "cirros");
    assert_eq!(kept["disk_format"], "qcow2");
    assert_eq!(kept["container_format"], "bare");
    assert_eq!(kept["min_disk"], "0");
    assert_eq!(kept["hw_disk_bus"], "scsi");
    assert!(kept.get("visibility").is_none() && kept.get("os_hash_value").is_none());
    let data = cloud.volume_file(&id);
    assert_eq!(data.len(), 1 << 30);
    assert_eq!(&data[..MARK.len()], MARK);

    // The detail list carries it too; a clone inherits it and bootable.
    let listed = cloud
        .send(
            Method::GET,
            &format!("/v3/{}/volumes/detail", alice.project_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        listed.body["volumes"][0]["volume_image_metadata"]["image_id"],
        image_id.as_str()
    );
    let clone = create_from(&cloud, &alice, json!({"source_volid": id}))
        .await
        .expect(202);
    let clone_id = clone.body["volume"]["id"].as_str().unwrap().to_string();
    assert_eq!(clone.body["volume"]["source_volid"], id.as_str());
    let clone = cloud.wait_status(&alice, &clone_id, "available").await;
    assert_eq!(clone["bootable"], "true");
    assert_eq!(
        clone["volume_image_metadata"]["image_id"],
        image_id.as_str()
    );

    // Upload the volume as a qcow2 image at 3.1.
    let resp = cloud
        .volume_action(
            &alice,
            &id,
            json!({"os-volume_upload_image": {"image_name": "from-volume", "disk_format": "qcow2"}}),
            Some("volume 3.1"),
        )
        .await
        .expect(202);
    let upload = &resp.body["os-volume_upload_image"];
    assert_eq!(upload["id"], id.as_str());
    assert_eq!(upload["status"], "uploading");
    assert_eq!(upload["image_name"], "from-volume");
    assert_eq!(upload["disk_format"], "qcow2");
    assert_eq!(upload["container_format"], "bare");
    assert_eq!(upload["visibility"], "private");
    assert_eq!(upload["protected"], false);
    assert_eq!(upload["size"], 1);
    assert_eq!(upload["volume_type"]["name"], "__DEFAULT__");
    let new_image = upload["image_id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "available").await;
    let mut image = Value::Null;
    for _ in 0..200 {
        image = cloud
            .glance(
                Method::GET,
                &format!("/v2/images/{new_image}"),
                &alice,
                None,
            )
            .await
            .1;
        if image["status"] == "active" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(image["status"], "active", "{image}");
    assert_eq!(image["disk_format"], "qcow2");
    assert_eq!(image["virtual_size"], 1u64 << 30);
    assert_eq!(image["hw_disk_bus"], "scsi", "inherited property");
    assert!(image.get("image_id").is_none() && image.get("checksum").unwrap().is_string());

    // The uploaded image makes a volume with the same data.
    let again = create_from(&cloud, &alice, json!({"size": 2, "imageRef": new_image}))
        .await
        .expect(202);
    let again_id = again.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &again_id, "available").await;
    let data = cloud.volume_file(&again_id);
    assert_eq!(data.len(), 2 << 30);
    assert_eq!(&data[..MARK.len()], MARK);
}

#[tokio::test]
async fn reimage_writes_another_image_over_a_volume() {
    let cloud = Cloud::with_images(ImageApi::Configured, false).await;
    let alice = cloud.identity.persona(&["member"]).await;
    const OTHER: &[u8] = b"another boot sector";
    let first = cloud
        .image_of(&alice, "first", qcow2_image(8), json!({}))
        .await;
    let second = cloud
        .image_of(
            &alice,
            "second",
            qcow2_marked(OTHER, 8),
            json!({"hw_disk_bus": "virtio"}),
        )
        .await;
    let big = cloud
        .image_of(&alice, "big", qcow2_image(2048), json!({}))
        .await;
    let made = create_from(&cloud, &alice, json!({"size": 1, "imageRef": first}))
        .await
        .expect(202);
    let id = made.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "available").await;
    let v = Some("volume 3.68");
    let reimage = |image: &str, reserved: bool| json!({"os-reimage": {"image_id": image, "reimage_reserved": reserved}});

    // Before 3.68 there is no such action; bad bodies and images are 400.
    let old = cloud
        .volume_action(&alice, &id, reimage(&second, false), Some("volume 3.67"))
        .await
        .expect(400);
    assert!(
        old.body
            .to_string()
            .contains("There is no such action: os-reimage"),
        "{}",
        old.body
    );
    let bad = cloud
        .volume_action(&alice, &id, json!({"os-reimage": {"image_id": "nope"}}), v)
        .await
        .expect(400);
    assert!(
        bad.body.to_string().contains("'nope' is not a 'uuid'"),
        "{}",
        bad.body
    );
    cloud
        .volume_action(
            &alice,
            &id,
            json!({"os-reimage": {"image_id": second, "force": true}}),
            v,
        )
        .await
        .expect(400);
    cloud
        .volume_action(&alice, &id, json!({"os-reimage": {}}), v)
        .await
        .expect(400);
    let too_big = cloud
        .volume_action(&alice, &id, reimage(&big, false), v)
        .await
        .expect(400);
    assert!(
        too_big
            .body
            .to_string()
            .contains("doesn't fit in a volume of size 1GB"),
        "{}",
        too_big.body
    );
    let unknown = cloud
        .volume_action(
            &alice,
            &id,
            reimage(&uuid::Uuid::new_v4().to_string(), false),
            v,
        )
        .await
        .expect(400);
    assert!(
        unknown
            .body
            .to_string()
            .contains("Invalid image identifier"),
        "{}",
        unknown.body
    );

    // An available volume takes the other image's data and metadata.
    cloud
        .volume_action(&alice, &id, reimage(&second, false), v)
        .await
        .expect(202);
    let volume = cloud.wait_status(&alice, &id, "available").await;
    assert_eq!(volume["volume_image_metadata"]["image_id"], second.as_str());
    assert_eq!(volume["volume_image_metadata"]["hw_disk_bus"], "virtio");
    assert_eq!(volume["bootable"], "true");
    let data = cloud.volume_file(&id);
    assert_eq!(&data[..OTHER.len()], OTHER);

    // A reserved volume only with reimage_reserved, and it stays reserved.
    let attachment = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/attachments", alice.project_id),
            &alice,
            Some(json!({"attachment": {"volume_uuid": id, "instance_uuid": "9e2b1bd0-0a2a-4d8b-8f5e-1b2c3d4e5f60"}})),
            Some("volume 3.44"),
        )
        .await
        .expect(200);
    assert_eq!(attachment.body["attachment"]["status"], "reserved");
    let refused = cloud
        .volume_action(&alice, &id, reimage(&first, false), v)
        .await
        .expect(400);
    assert!(
        refused
            .body
            .to_string()
            .contains("status must be available or error, but current status is: reserved"),
        "{}",
        refused.body
    );
    cloud
        .volume_action(&alice, &id, reimage(&first, true), v)
        .await
        .expect(202);
    let volume = cloud.wait_status(&alice, &id, "reserved").await;
    assert_eq!(volume["volume_image_metadata"]["image_id"], first.as_str());
    let data = cloud.volume_file(&id);
    assert_eq!(&data[..MARK.len()], MARK);
}

#[tokio::test]
async fn volume_from_an_image_and_back_to_an_image() {
    from_image_and_back(Cloud::with_images(ImageApi::Configured, false).await).await;
}

#[tokio::test]
async fn image_api_from_the_catalog_with_roles_apart() {
    from_image_and_back(Cloud::with_images(ImageApi::Catalog, true).await).await;
}

#[tokio::test]
async fn images_that_cannot_make_the_volume() {
    let cloud = Cloud::with_images(ImageApi::Configured, false).await;
    let alice = cloud.identity.persona(&["member"]).await;
    let bad = |resp: common::Resp, code: u16, message: &str| {
        let resp = resp.expect(code);
        let fault = resp
            .body
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .clone();
        assert_eq!(fault["message"], message, "{}", resp.body);
    };
    let image_id = cloud
        .image_of(&alice, "small", qcow2_image(1), json!({}))
        .await;
    bad(
        create_from(&cloud, &alice, json!({"imageRef": image_id})).await,
        400,
        "The server could not comply with the request since it is either malformed or otherwise incorrect.",
    );
    bad(
        create_from(
            &cloud,
            &alice,
            json!({"size": 1, "imageRef": uuid::Uuid::new_v4().to_string()}),
        )
        .await,
        400,
        "Invalid image identifier or unable to access requested image.",
    );
    bad(
        create_from(
            &cloud,
            &alice,
            json!({"size": 1, "imageRef": "no-such-name"}),
        )
        .await,
        400,
        "Invalid image identifier or unable to access requested image.",
    );
    // Another project's private image is not there for alice.
    let bob = cloud.identity.persona(&["member"]).await;
    bad(
        create_from(&cloud, &bob, json!({"size": 1, "imageRef": image_id})).await,
        400,
        "Invalid image identifier or unable to access requested image.",
    );
    // By unique name, or by image URL, it works; two of a name are a conflict.
    let by_name = create_from(&cloud, &alice, json!({"size": 1, "imageRef": "small"}))
        .await
        .expect(202);
    cloud
        .wait_status(
            &alice,
            by_name.body["volume"]["id"].as_str().unwrap(),
            "available",
        )
        .await;
    let url = cloud
        .image
        .as_ref()
        .unwrap()
        .url(&format!("/v2/images/{image_id}"));
    create_from(&cloud, &alice, json!({"size": 1, "image_id": url}))
        .await
        .expect(202);
    cloud
        .image_of(&alice, "small", qcow2_image(1), json!({}))
        .await;
    bad(
        create_from(&cloud, &alice, json!({"size": 1, "imageRef": "small"})).await,
        409,
        "Multiple matches found for 'small', use an ID to be more specific.",
    );
    bad(
        create_from(
            &cloud,
            &alice,
            json!({"size": 1, "imageRef": image_id, "source_volid": by_name.body["volume"]["id"]}),
        )
        .await,
        400,
        "Invalid input received: May specify only one of backup, imageRef, snapshot, source volume",
    );
    // Not active; minDisk above the size; virtual size above it.
    let (_, queued) = cloud
        .glance(
            Method::POST,
            "/v2/images",
            &alice,
            Some(json!({"name": "q", "disk_format": "raw", "container_format": "bare"})),
        )
        .await;
    bad(
        create_from(&cloud, &alice, json!({"size": 1, "imageRef": queued["id"]})).await,
        400,
        &format!(
            "Invalid input received: Image {} is not active.",
            queued["id"].as_str().unwrap()
        ),
    );
    let needs_five = cloud
        .image_of(&alice, "big-min", qcow2_image(1), json!({"min_disk": 5}))
        .await;
    bad(
        create_from(&cloud, &alice, json!({"size": 2, "imageRef": needs_five})).await,
        400,
        "Invalid input received: Volume size 2GB cannot be smaller than the image minDisk size 5GB.",
    );
    let sparse_big = {
        let dir = std::env::temp_dir().join(format!("ferro-bs-big-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.qcow2");
        let status = std::process::Command::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2"])
            .arg(&path)
            .arg("3G")
            .status()
            .unwrap();
        assert!(status.success());
        let data = std::fs::read(&path).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
        data
    };
    let big = cloud
        .image_of(&alice, "big-virtual", sparse_big, json!({}))
        .await;
    bad(
        create_from(&cloud, &alice, json!({"size": 2, "imageRef": big})).await,
        400,
        &format!("Image {big} is unacceptable: Image virtual size is 3GB and doesn't fit in a volume of size 2GB."),
    );
}

#[tokio::test]
async fn uploads_refused_and_image_metadata_actions() {
    let cloud = Cloud::with_images(ImageApi::Configured, false).await;
    let alice = cloud.identity.persona(&["member"]).await;
    let made = create_from(&cloud, &alice, json!({"size": 1}))
        .await
        .expect(202);
    let id = made.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "available").await;

    // Public images are for admins; 3.0 knows no visibility; bad formats.
    let resp = cloud
        .volume_action(
            &alice,
            &id,
            json!({"os-volume_upload_image": {"image_name": "x", "visibility": "public"}}),
            Some("volume 3.1"),
        )
        .await
        .expect(403);
    assert_eq!(
        resp.message(),
        "Policy doesn't allow volume_extension:volume_actions:upload_public to be performed."
    );
    let resp = cloud
        .volume_action(
            &alice,
            &id,
            json!({"os-volume_upload_image": {"image_name": "x", "visibility": "private"}}),
            None,
        )
        .await
        .expect(400);
    assert!(resp.message().contains("'visibility' was unexpected"));
    let resp = cloud
        .volume_action(
            &alice,
            &id,
            json!({"os-volume_upload_image": {"image_name": "x", "disk_format": "iso"}}),
            None,
        )
        .await
        .expect(400);
    assert!(resp.message().contains("'iso' is not one of"));
    // At 3.0 the image gets the image service's default visibility.
    let resp = cloud
        .volume_action(
            &alice,
            &id,
            json!({"os-volume_upload_image": {"image_name": "plain"}}),
            None,
        )
        .await
        .expect(202);
    assert_eq!(resp.body["os-volume_upload_image"]["visibility"], "shared");
    // While it uploads, the volume is busy.
    let busy = cloud
        .volume_action(
            &alice,
            &id,
            json!({"os-volume_upload_image": {"image_name": "again"}}),
            None,
        )
        .await;
    if busy.status == 400 {
        assert_eq!(
            busy.message(),
            format!("Invalid volume: Volume {id} status must be available")
        );
    }
    cloud.wait_status(&alice, &id, "available").await;

    // An attached volume uploads only with force, and only when the cloud allows it.
    let server = uuid::Uuid::new_v4().to_string();
    let attached = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/attachments", alice.project_id),
            &alice,
            Some(json!({"attachment": {"volume_uuid": id, "instance_uuid": server, "connector": {"host": "h", "initiator": "iqn.x"}}})),
            Some("volume 3.44"),
        )
        .await
        .expect(200);
    let attachment = attached.body["attachment"]["id"].as_str().unwrap();
    cloud
        .send(
            Method::POST,
            &format!("/v3/{}/attachments/{attachment}/action", alice.project_id),
            &alice,
            Some(json!({"os-complete": null})),
            Some("volume 3.44"),
        )
        .await
        .expect(204);
    cloud.wait_status(&alice, &id, "in-use").await;
    let resp = cloud
        .volume_action(
            &alice,
            &id,
            json!({"os-volume_upload_image": {"image_name": "x", "force": true}}),
            None,
        )
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        format!("Invalid volume: Volume {id} status must be available")
    );

    // Image metadata of a volume made from nothing: none.
    let empty = create_from(&cloud, &alice, json!({"size": 1}))
        .await
        .expect(202);
    let empty_id = empty.body["volume"]["id"].as_str().unwrap().to_string();
    let resp = cloud
        .volume_action(
            &alice,
            &empty_id,
            json!({"os-show_image_metadata": {}}),
            None,
        )
        .await
        .expect(404);
    assert_eq!(
        resp.message(),
        format!("Glance metadata for volume/snapshot {empty_id} cannot be found.")
    );
    let resp = cloud
        .volume_action(
            &alice,
            &empty_id,
            json!({"os-unset_image_metadata": {"key": "k"}}),
            None,
        )
        .await
        .expect(404);
    assert_eq!(
        resp.message(),
        format!("Glance metadata for volume/snapshot {empty_id} cannot be found.")
    );
    let resp = cloud
        .volume_action(
            &alice,
            &empty_id,
            json!({"os-set_image_metadata": {"metadata": {"kernel_id": "k1", "ramdisk_id": "r1"}}}),
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        resp.body,
        json!({"metadata": {"kernel_id": "k1", "ramdisk_id": "r1"}})
    );
    let resp = cloud
        .volume_action(
            &alice,
            &empty_id,
            json!({"os-set_image_metadata": {"metadata": {"kernel_id": "k2"}}}),
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        resp.body,
        json!({"metadata": {"kernel_id": "k2", "ramdisk_id": "r1"}})
    );
    cloud
        .volume_action(
            &alice,
            &empty_id,
            json!({"os-unset_image_metadata": {"key": "ramdisk_id"}}),
            None,
        )
        .await
        .expect(200);
    let resp = cloud
        .volume_action(
            &alice,
            &empty_id,
            json!({"os-show_image_metadata": null}),
            None,
        )
        .await
        .expect(200);
    assert_eq!(resp.body, json!({"metadata": {"kernel_id": "k2"}}));
    let shown = cloud
        .send(
            Method::GET,
            &format!("/v3/{}/volumes/{empty_id}", alice.project_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        shown.body["volume"]["volume_image_metadata"],
        json!({"kernel_id": "k2"})
    );
    let resp = cloud
        .volume_action(
            &alice,
            &empty_id,
            json!({"os-set_image_metadata": {"metadata": {"a$": "1"}}}),
            None,
        )
        .await
        .expect(400);
    assert!(resp
        .message()
        .contains("'a$' does not match any of the regexes"));
    let resp = cloud
        .volume_action(
            &alice,
            &empty_id,
            json!({"os-set_image_metadata": {"metadata": {"a": 1}}}),
            None,
        )
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid input for field/attribute a. Value: 1. 1 is not of type 'string'"
    );
    let resp = cloud
        .volume_action(
            &alice,
            &empty_id,
            json!({"os-set_image_metadata": {}}),
            None,
        )
        .await
        .expect(400);
    assert!(resp.message().contains("'metadata' is a required property"));
}

/// A real qcow2 (made by qemu-img) whose backing file is a host file.
fn qcow2_backed_by(host_file: &str) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("ferro-bs-bad-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("evil.qcow2");
    let status = std::process::Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2", "-F", "raw", "-b", host_file])
        .arg(&path)
        .arg("1M")
        .status()
        .unwrap();
    assert!(status.success());
    let image = std::fs::read(&path).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
    image
}

/// CVE-2024-32498 from the volume host's side: whatever the image service let
/// through (here it inspects nothing) or holds now (here data changed on its
/// store), the host inspects and verifies what it downloads before qemu-img
/// reads it, and tells qemu-img the format it found.
#[tokio::test]
async fn the_volume_host_inspects_and_verifies_what_it_downloads() {
    let cloud = Cloud::with_images(ImageApi::Uninspected, false).await;
    let alice = cloud.identity.persona(&["member"]).await;
    let secret = cloud.env.dir.join("host-secret");
    std::fs::write(&secret, b"the host's private key").unwrap();
    let evil = qcow2_backed_by(&secret.display().to_string());
    for declared in ["raw", "ami", "qcow2"] {
        let image_id = cloud
            .image_of(
                &alice,
                declared,
                evil.clone(),
                json!({"disk_format": declared}),
            )
            .await;
        let resp = create_from(&cloud, &alice, json!({"size": 1, "imageRef": image_id}))
            .await
            .expect(202);
        let id = resp.body["volume"]["id"].as_str().unwrap().to_string();
        cloud.wait_status(&alice, &id, "error").await;
        for backend in ["gold", "silver"] {
            let file = cloud
                .env
                .dir
                .join("volumes")
                .join(backend)
                .join(format!("volume-{id}"));
            assert!(!file.exists(), "{declared}: a volume was made");
        }
    }

    // Genuine data that changed on the image store after its upload.
    let mut data = MARK.to_vec();
    data.resize(1 << 20, 0);
    let image_id = cloud
        .image_of(&alice, "changed", data, json!({"disk_format": "raw"}))
        .await;
    let store = cloud.image_env.as_ref().unwrap().dir.join("images");
    let stored = walk(&store)
        .into_iter()
        .find(|p| p.display().to_string().contains(&image_id))
        .expect("the image's file");
    std::fs::write(&stored, vec![0xee; 1 << 20]).unwrap();
    let resp = create_from(&cloud, &alice, json!({"size": 1, "imageRef": image_id}))
        .await
        .expect(202);
    let id = resp.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "error").await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}
