//! Image data over HTTP: upload (sized and chunked), hashes, download with ranges,
//! interrupted uploads, format inspection, size caps and quotas, deactivation.

mod common;

use common::{hashes, Cloud};
use futures::StreamExt;
use reqwest::Method;
use serde_json::json;

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

#[tokio::test]
async fn upload_download_and_ranges() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    let bytes = data(3 * 1024 * 1024 + 17);
    let id = cloud.image_with(&alice, &bytes).await;
    let image = cloud
        .get(&format!("/v2/images/{id}"), &alice)
        .await
        .expect(200)
        .body;
    let (md5, sha512) = hashes(&bytes);
    assert_eq!(image["status"], "active");
    assert_eq!(image["size"], bytes.len());
    assert_eq!(image["virtual_size"], bytes.len());
    assert_eq!(image["checksum"], md5.as_str());
    assert_eq!(image["os_hash_algo"], "sha512");
    assert_eq!(image["os_hash_value"], sha512.as_str());
    assert_eq!(image["stores"], "fast");

    let resp = cloud
        .get(&format!("/v2/images/{id}/file"), &alice)
        .await
        .expect(200);
    assert_eq!(resp.bytes, bytes);
    assert_eq!(resp.header("content-md5"), Some(md5.as_str()));
    assert_eq!(
        resp.header("content-type"),
        Some("application/octet-stream")
    );
    let range = |spec: &'static str| {
        cloud.send(
            cloud
                .request(Method::GET, &format!("/v2/images/{id}/file"), Some(&alice))
                .header("range", spec),
        )
    };
    let resp = range("bytes=0-9").await.expect(206);
    assert_eq!(resp.bytes, bytes[..10]);
    assert_eq!(
        resp.header("content-range").unwrap(),
        format!("bytes 0-9/{}", bytes.len())
    );
    assert_eq!(
        range("bytes=-5").await.expect(206).bytes,
        bytes[bytes.len() - 5..]
    );
    assert_eq!(
        range("bytes=3145728-").await.expect(206).bytes,
        bytes[3145728..]
    );
    let resp = range("bytes=99999999-").await.expect(416);
    assert!(resp
        .text()
        .contains("The Range requested is not available."));
    range("bytes=0-1,5-6").await.expect(400);

    // Uploading again is a conflict; wrong media types are 415.
    let resp = cloud
        .upload(&id, &alice, b"more".to_vec())
        .await
        .expect(409);
    assert!(resp
        .text()
        .contains("Image status transition from active to saving is not allowed"));
    let resp = cloud
        .send(
            cloud
                .request(Method::PUT, &format!("/v2/images/{id}/file"), Some(&alice))
                .header("content-type", "application/json")
                .body("{}"),
        )
        .await
        .expect(415);
    assert!(resp.text().contains("application/json is not supported"));
}

#[tokio::test]
async fn chunked_upload_to_a_named_store_and_empty_image() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    let image = cloud
        .create(
            &alice,
            json!({"name": "c", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let id = image["id"].as_str().unwrap().to_string();
    // No data yet: 204.
    cloud
        .get(&format!("/v2/images/{id}/file"), &alice)
        .await
        .expect(204);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..64).map(|i| Ok(vec![i as u8; 4096])).collect();
    let expected: Vec<u8> = (0..64).flat_map(|i| vec![i as u8; 4096]).collect();
    cloud
        .send(
            cloud
                .request(Method::PUT, &format!("/v2/images/{id}/file"), Some(&alice))
                .header("content-type", "application/octet-stream")
                .header("x-image-meta-store", "cheap")
                .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks))),
        )
        .await
        .expect(204);
    let image = cloud.get(&format!("/v2/images/{id}"), &alice).await.body;
    assert_eq!(image["stores"], "cheap");
    assert_eq!(image["checksum"], hashes(&expected).0.as_str());
    assert_eq!(
        cloud
            .get(&format!("/v2/images/{id}/file"), &alice)
            .await
            .bytes,
        expected
    );
    // An unknown store, and formats missing.
    let other = cloud
        .create(
            &alice,
            json!({"name": "x", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let resp = cloud
        .send(
            cloud
                .request(
                    Method::PUT,
                    &format!("/v2/images/{}/file", other["id"].as_str().unwrap()),
                    Some(&alice),
                )
                .header("content-type", "application/octet-stream")
                .header("x-image-meta-store", "nowhere")
                .body("x"),
        )
        .await
        .expect(400);
    assert!(resp.text().contains("nowhere"));
    let bare = cloud.create(&alice, json!({"name": "nofmt"})).await;
    let resp = cloud
        .upload(bare["id"].as_str().unwrap(), &alice, b"x".to_vec())
        .await
        .expect(400);
    assert!(resp
        .text()
        .contains("disk_format, container_format must be set"));
    // Zero bytes of data: any range is unsatisfiable (a suffix range once
    // underflowed computing the last byte).
    let empty = cloud.image_with(&alice, b"").await;
    for spec in ["bytes=-5", "bytes=0-"] {
        cloud
            .send(
                cloud
                    .request(
                        Method::GET,
                        &format!("/v2/images/{empty}/file"),
                        Some(&alice),
                    )
                    .header("range", spec),
            )
            .await
            .expect(416);
    }
}

#[tokio::test]
async fn interrupted_upload_leaves_no_data_and_a_queued_image() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    let image = cloud
        .create(
            &alice,
            json!({"name": "i", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let id = image["id"].as_str().unwrap().to_string();
    let body = futures::stream::iter(0..8).map(|i| {
        if i < 4 {
            Ok(vec![1u8; 65536])
        } else {
            Err(std::io::Error::other("client went away"))
        }
    });
    let result = cloud
        .request(Method::PUT, &format!("/v2/images/{id}/file"), Some(&alice))
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await;
    if let Ok(resp) = result {
        assert!(resp.status().is_client_error(), "{}", resp.status());
    }
    let image = cloud.wait_status(&id, &alice, "queued").await;
    assert_eq!(image["size"], json!(null));
    assert!(image.get("stores").is_none());
    let dir = cloud.env.dir.join("images").join("fast");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The image takes a good upload afterwards.
    cloud
        .upload(&id, &alice, b"fine".to_vec())
        .await
        .expect(204);
}

/// A qcow2 header whose backing file is `/etc/passwd`.
fn qcow2_with_backing_file() -> Vec<u8> {
    let mut qcow2 = vec![0u8; 512];
    qcow2[..4].copy_from_slice(b"QFI\xfb");
    qcow2[7] = 3;
    qcow2[8..16].copy_from_slice(&501u64.to_be_bytes());
    qcow2[16..20].copy_from_slice(&11u32.to_be_bytes());
    qcow2[20..24].copy_from_slice(&16u32.to_be_bytes());
    qcow2[24..32].copy_from_slice(&(1u64 << 30).to_be_bytes());
    qcow2[100..104].copy_from_slice(&4u32.to_be_bytes());
    qcow2[104..108].copy_from_slice(&112u32.to_be_bytes());
    qcow2[512 - 11..].copy_from_slice(b"/etc/passwd");
    qcow2
}

#[tokio::test]
async fn content_must_match_the_disk_format() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    // A qcow2 header with a backing file: refused whatever it is declared as (ami,
    // ari, aki and ploop included, OSSA-2024-001), nothing kept.
    let qcow2 = qcow2_with_backing_file();
    for declared in ["raw", "qcow2", "ami", "ari", "aki", "ploop", "vmdk"] {
        let image = cloud
            .create(
                &alice,
                json!({"name": declared, "disk_format": declared, "container_format": "bare"}),
            )
            .await;
        let id = image["id"].as_str().unwrap();
        let resp = cloud.upload(id, &alice, qcow2.clone()).await.expect(400);
        assert!(!resp.text().is_empty());
        let image = cloud.get(&format!("/v2/images/{id}"), &alice).await.body;
        assert_eq!(image["status"], "queued", "{declared}");
    }
    // Plain data declared qcow2 is a mismatch too.
    let image = cloud
        .create(
            &alice,
            json!({"name": "q", "disk_format": "qcow2", "container_format": "bare"}),
        )
        .await;
    let resp = cloud
        .upload(image["id"].as_str().unwrap(), &alice, vec![0u8; 4096])
        .await
        .expect(400);
    assert!(
        resp.text().contains("does not match disk_format qcow2"),
        "{}",
        resp.text()
    );
    let dir = cloud.env.dir.join("images").join("fast");
    let kept = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(kept, 0);
}

#[tokio::test]
async fn formats_are_frozen_once_data_is_in() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    let image = cloud
        .create(
            &alice,
            json!({"name": "k", "disk_format": "aki", "container_format": "aki"}),
        )
        .await;
    let id = image["id"].as_str().unwrap();
    // Queued: the formats may change.
    let replace =
        |path: &str, value: &str| json!([{"op": "replace", "path": path, "value": value}]);
    cloud
        .patch(id, &alice, replace("/disk_format", "ami"))
        .await
        .expect(200);
    cloud
        .upload(id, &alice, b"a kernel, say".to_vec())
        .await
        .expect(204);
    for (path, value) in [("/disk_format", "qcow2"), ("/container_format", "bare")] {
        let resp = cloud
            .patch(id, &alice, replace(path, value))
            .await
            .expect(403);
        assert!(
            resp.text()
                .contains("can be only replaced for a queued image"),
            "{}",
            resp.text()
        );
    }
    let image = cloud.get(&format!("/v2/images/{id}"), &alice).await.body;
    assert_eq!(image["disk_format"], "ami");
    assert_eq!(image["container_format"], "aki");
    // Other attributes still change, and leave the formats alone.
    cloud
        .patch(id, &alice, replace("/name", "renamed"))
        .await
        .expect(200);
    let image = cloud.get(&format!("/v2/images/{id}"), &alice).await.body;
    assert_eq!(image["disk_format"], "ami");
}

#[tokio::test]
async fn size_cap_and_quota_give_413() {
    let cloud = Cloud::start_with(|c| {
        c.set("DEFAULT", "image_size_cap", "1000");
        c.set("image_quota", "image_count_total", "3");
    })
    .await;
    let alice = cloud.member().await;
    let image = cloud
        .create(
            &alice,
            json!({"name": "big", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let id = image["id"].as_str().unwrap();
    cloud.upload(id, &alice, vec![0u8; 1001]).await.expect(413);
    assert_eq!(
        cloud.get(&format!("/v2/images/{id}"), &alice).await.body["status"],
        "queued"
    );
    cloud.upload(id, &alice, vec![0u8; 1000]).await.expect(204);
    cloud.create(&alice, json!({})).await;
    cloud.create(&alice, json!({})).await;
    let resp = cloud
        .post("/v2/images", &alice, json!({}))
        .await
        .expect(413);
    assert!(resp.text().contains("image_count_total"), "{}", resp.text());
    let usage = cloud.get("/v2/info/usage", &alice).await.expect(200).body;
    assert_eq!(
        usage["usage"]["image_count_total"],
        json!({"limit": 3, "usage": 3})
    );
}

#[tokio::test]
async fn stored_bytes_quota() {
    let cloud = Cloud::start_with(|c| c.set("DEFAULT", "user_storage_quota", "1KB")).await;
    let alice = cloud.member().await;
    cloud.image_with(&alice, &[1u8; 800]).await;
    let image = cloud
        .create(
            &alice,
            json!({"name": "b", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let resp = cloud
        .upload(image["id"].as_str().unwrap(), &alice, vec![0u8; 300])
        .await
        .expect(413);
    assert!(resp.text().contains("quota"), "{}", resp.text());
}

#[tokio::test]
async fn deactivated_images_are_not_downloadable_by_users() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    let admin = cloud.admin().await;
    let id = cloud.image_with(&alice, b"secret bytes").await;
    let reader = cloud
        .identity
        .user_in(Some((&alice.project_id, &alice.project_name)), &["reader"])
        .await;
    let resp = cloud
        .get(&format!("/v2/images/{id}/file"), &reader)
        .await
        .expect(403);
    assert!(resp.text().contains("download_image"));
    cloud
        .post(
            &format!("/v2/images/{id}/actions/deactivate"),
            &reader,
            json!({}),
        )
        .await
        .expect(403);
    cloud
        .post(
            &format!("/v2/images/{id}/actions/deactivate"),
            &alice,
            json!({}),
        )
        .await
        .expect(204);
    let resp = cloud
        .get(&format!("/v2/images/{id}/file"), &alice)
        .await
        .expect(403);
    assert!(resp.text().contains("has been deactivated"));
    assert_eq!(
        cloud
            .get(&format!("/v2/images/{id}/file"), &admin)
            .await
            .expect(200)
            .bytes,
        b"secret bytes"
    );
    let resp = cloud.upload(&id, &alice, b"x".to_vec()).await.expect(409);
    assert!(resp.text().contains("from deactivated to saving"));
    cloud
        .post(
            &format!("/v2/images/{id}/actions/reactivate"),
            &alice,
            json!({}),
        )
        .await
        .expect(204);
    cloud
        .get(&format!("/v2/images/{id}/file"), &alice)
        .await
        .expect(200);
    // Deleting removes the data file.
    cloud
        .delete(&format!("/v2/images/{id}"), &alice)
        .await
        .expect(204);
    let dir = cloud.env.dir.join("images").join("fast");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}
