//! Servers built with volumes (`block_device_mapping_v2` of destination
//! `volume`): booted from an existing volume or from one made of an image,
//! with a blank data volume; what they made deleted with them, what they were
//! given left available; and the requests refused before any build.

mod common;

use common::{setup_with_volumes, Cloud};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

async fn boot(cloud: &Cloud, who: &Persona, name: &str, mappings: Value) -> common::Resp {
    cloud
        .send(
            Method::POST,
            "/v2.1/servers",
            who,
            Some(
                json!({"server": {"name": name, "flavorRef": "1", "networks": "none",
                "block_device_mapping_v2": mappings}}),
            ),
            Some("2.79"),
        )
        .await
}

async fn gone(cloud: &Cloud, who: &Persona, volume: &str) -> bool {
    for _ in 0..200 {
        let shown = cloud
            .volume_api(Method::GET, &format!("/volumes/{volume}"), who, None)
            .await;
        if shown.get("itemNotFound").is_some() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn servers_boot_from_volumes() {
    let (cloud, _admin, alice, image) = setup_with_volumes().await;
    let root = cloud.volume(&alice, "root").await;
    // A volume not marked bootable is no root disk.
    let refused = boot(
        &cloud,
        &alice,
        "not-bootable",
        json!([{"uuid": root, "source_type": "volume", "destination_type": "volume", "boot_index": 0}]),
    )
    .await
    .expect(400);
    assert_eq!(
        refused.message(),
        format!("Block Device {root} is not bootable.")
    );
    cloud.set_bootable(&alice, &root).await;

    // An existing root volume and a blank data volume the build makes.
    let created = boot(
        &cloud,
        &alice,
        "bfv",
        json!([
            {"uuid": root, "source_type": "volume", "destination_type": "volume", "boot_index": 0},
            {"source_type": "blank", "destination_type": "volume", "volume_size": 1,
             "delete_on_termination": true}
        ]),
    )
    .await
    .expect(202);
    let id = created.body["server"]["id"].as_str().unwrap().to_string();
    let server = cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(server["image"], "");
    let attached = server["os-extended-volumes:volumes_attached"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(attached.len(), 2, "{attached:?}");
    let in_use = cloud.wait_volume(&alice, &root, "in-use").await;
    assert_eq!(in_use["attachments"][0]["server_id"], id.as_str());
    let listed = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}/os-volume_attachments"),
            &alice,
            None,
            None,
        )
        .await
        .body["volumeAttachments"]
        .clone();
    let devices: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["device"].as_str().unwrap())
        .collect();
    assert!(
        devices.contains(&"/dev/vda") && devices.contains(&"/dev/vdb"),
        "{devices:?}"
    );
    let blank = attached
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .find(|v| v != &root)
        .unwrap();
    cloud.wait_volume(&alice, &blank, "in-use").await;

    // The root volume cannot be detached.
    let root_detach = cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/servers/{id}/os-volume_attachments/{root}"),
            &alice,
            None,
            None,
        )
        .await;
    assert_eq!(root_detach.status, 400);
    assert_eq!(root_detach.message(), "Cannot detach a root device volume");

    // Deleted: the volume it was given is available, the one it made is gone.
    cloud.delete_server(&alice, &id).await;
    cloud.wait_status(&alice, &id, "DELETED").await;
    cloud.wait_volume(&alice, &root, "available").await;
    assert!(
        gone(&cloud, &alice, &blank).await,
        "the blank volume outlived its server"
    );

    // A root volume made from an image, deleted with the server.
    let from_image = boot(
        &cloud,
        &alice,
        "from-image",
        json!([{"uuid": image, "source_type": "image", "destination_type": "volume",
                "boot_index": 0, "volume_size": 1, "delete_on_termination": true}]),
    )
    .await
    .expect(202);
    let id = from_image.body["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let server = cloud.wait_status(&alice, &id, "ACTIVE").await;
    let made = server["os-extended-volumes:volumes_attached"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let volume = cloud.wait_volume(&alice, &made, "in-use").await;
    assert_eq!(volume["bootable"], "true");
    assert_eq!(volume["volume_image_metadata"]["image_id"], image.as_str());
    cloud.delete_server(&alice, &id).await;
    assert!(
        gone(&cloud, &alice, &made).await,
        "the image volume outlived its server"
    );
}

#[tokio::test]
async fn bad_volume_mappings_are_refused() {
    let (cloud, _admin, alice, image) = setup_with_volumes().await;
    let missing = uuid::Uuid::new_v4().to_string();
    let absent = boot(
        &cloud,
        &alice,
        "x",
        json!([{"uuid": missing, "source_type": "volume", "destination_type": "volume", "boot_index": 0}]),
    )
    .await;
    assert_eq!(absent.status, 400);
    assert_eq!(
        absent.message(),
        format!("Block Device Mapping is Invalid: failed to get volume {missing}.")
    );
    let sizeless = boot(
        &cloud,
        &alice,
        "x",
        json!([{"uuid": image, "source_type": "image", "destination_type": "volume", "boot_index": 0}]),
    )
    .await;
    assert_eq!(sizeless.status, 400);
    assert!(
        sizeless.message().contains("non-zero size"),
        "{}",
        sizeless.message()
    );

    // A volume in use by another server is not free.
    let root = cloud.volume(&alice, "taken").await;
    cloud.set_bootable(&alice, &root).await;
    let first = boot(
        &cloud,
        &alice,
        "first",
        json!([{"uuid": root, "source_type": "volume", "destination_type": "volume", "boot_index": 0}]),
    )
    .await
    .expect(202);
    let id = first.body["server"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let taken = boot(
        &cloud,
        &alice,
        "second",
        json!([{"uuid": root, "source_type": "volume", "destination_type": "volume", "boot_index": 0}]),
    )
    .await;
    assert_eq!(taken.status, 400);
    assert!(
        taken.message().contains("status must be 'available'"),
        "{}",
        taken.message()
    );
}

async fn rebuild(
    cloud: &Cloud,
    who: &Persona,
    id: &str,
    image: &str,
    version: &str,
) -> common::Resp {
    cloud
        .server_action(
            who,
            id,
            json!({"rebuild": {"imageRef": image}}),
            Some(version),
        )
        .await
}

#[tokio::test]
async fn volume_backed_servers_rebuild_on_their_reimaged_volume() {
    let (cloud, _admin, alice, image) = setup_with_volumes().await;
    let other = cloud.image(&alice, "other", 0, 0).await;
    let big = cloud.image(&alice, "big", 0, 5).await;
    let created = boot(
        &cloud,
        &alice,
        "bfv",
        json!([{"uuid": image, "source_type": "image", "destination_type": "volume",
                "boot_index": 0, "volume_size": 1, "delete_on_termination": true}]),
    )
    .await
    .expect(202);
    let id = created.body["server"]["id"].as_str().unwrap().to_string();
    let server = cloud.wait_status(&alice, &id, "ACTIVE").await;
    let root = server["os-extended-volumes:volumes_attached"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Before 2.93 only the image the volume holds; never one the volume
    // cannot hold.
    let refused = rebuild(&cloud, &alice, &id, &other, "2.92")
        .await
        .expect(400);
    assert_eq!(
        refused.message(),
        format!("Image {other} is unacceptable: Unable to rebuild with a different image for a volume-backed server.")
    );
    let small = rebuild(&cloud, &alice, &id, &big, "2.93").await.expect(400);
    assert!(
        small
            .message()
            .starts_with("Volume is smaller than the minimum size"),
        "{}",
        small.message()
    );
    let same = rebuild(&cloud, &alice, &id, &image, "2.92")
        .await
        .expect(202);
    assert_eq!(same.body["server"]["image"], "");
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let volume = cloud.wait_volume(&alice, &root, "in-use").await;
    assert_eq!(volume["volume_image_metadata"]["image_id"], image.as_str());

    // 2.93: block storage writes the other image over the root volume, which
    // is attached to the server again.
    let rebuilt = rebuild(&cloud, &alice, &id, &other, "2.93")
        .await
        .expect(202);
    assert_eq!(
        rebuilt.body["server"]["image"], "",
        "a volume-backed server shows no image"
    );
    let server = cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(server["image"], "");
    assert_eq!(
        server["os-extended-volumes:volumes_attached"][0]["id"],
        root.as_str()
    );
    let volume = cloud.wait_volume(&alice, &root, "in-use").await;
    assert_eq!(volume["volume_image_metadata"]["image_id"], other.as_str());
    let attachments = volume["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "{attachments:?}");
    assert_eq!(attachments[0]["server_id"], id.as_str());

    // The volume still goes with the server.
    cloud.delete_server(&alice, &id).await;
    assert!(
        gone(&cloud, &alice, &root).await,
        "the root volume outlived its server"
    );
}
