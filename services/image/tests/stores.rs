//! Store conformance: the file store and the S3 store (against the moto server the
//! test backends start) behave the same through the `Store` trait, and an S3 store
//! serves uploads and downloads through the API.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::Cloud;
use ferrostack_image::config::{ImageConfig, StoreConfig};
use ferrostack_image::store::{Store, StoreError, Stores};
use futures::TryStreamExt;
use serde_json::json;

/// A fresh bucket on the test S3 server (moto accepts unsigned bucket creation).
async fn bucket() -> String {
    let name = format!("ferro-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let resp = reqwest::Client::new()
        .put(format!("{}/{name}", ferrostack_testkit::s3_url()))
        .send()
        .await
        .expect("the S3 server answers");
    assert!(
        resp.status().is_success(),
        "create bucket: {}",
        resp.status()
    );
    name
}

/// The one store `options` configure in section `id`, as the service reads it.
fn store_config(id: &str, kind: &str, options: &[(&str, &str)]) -> StoreConfig {
    let mut config = ferrostack_config::Config::default();
    config.set("DEFAULT", "enabled_backends", format!("{id}:{kind}"));
    for (option, value) in options {
        config.set(id, option, *value);
    }
    ImageConfig::from_config(&config)
        .expect("the store is configured")
        .stores
        .remove(0)
}

fn s3_config(id: &str, bucket: &str) -> StoreConfig {
    store_config(
        id,
        "s3",
        &[
            ("store_description", "s3"),
            ("s3_store_host", &ferrostack_testkit::s3_url()),
            ("s3_store_access_key", "testing"),
            ("s3_store_secret_key", "testing"),
            ("s3_store_bucket", bucket),
        ],
    )
}

async fn read_all(store: &dyn Store, url: &str, range: Option<(u64, u64)>) -> Vec<u8> {
    let chunks: Vec<Bytes> = store
        .read(url, range)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    chunks.concat()
}

/// The checks every store passes.
async fn conformance(store: Arc<dyn Store>) {
    let data: Vec<u8> = (0..6 * 1024 * 1024 + 3).map(|i| (i % 253) as u8).collect();
    let mut writer = store.begin("img-1").await.unwrap();
    for chunk in data.chunks(1024 * 1024 + 7) {
        writer.write(Bytes::copy_from_slice(chunk)).await.unwrap();
    }
    let url = writer.commit().await.unwrap();
    assert_eq!(read_all(store.as_ref(), &url, None).await, data);
    assert_eq!(
        read_all(store.as_ref(), &url, Some((5, 10))).await,
        data[5..15]
    );
    // An aborted write leaves nothing readable behind.
    let mut aborted = store.begin("img-2").await.unwrap();
    aborted.write(Bytes::from_static(b"partial")).await.unwrap();
    aborted.abort().await;
    store.delete(&url).await.unwrap();
    assert!(matches!(
        store.read(&url, None).await.err(),
        Some(StoreError::NotFound(_))
    ));
    // Deleting twice is fine.
    store.delete(&url).await.unwrap();
}

#[tokio::test]
async fn file_store_conformance() {
    let dir = std::env::temp_dir().join(format!("ferro-store-{}", uuid::Uuid::new_v4().simple()));
    let configs = [store_config(
        "local",
        "file",
        &[("filesystem_store_datadir", dir.to_str().unwrap())],
    )];
    let stores = Stores::open(&configs, "local").await.unwrap();
    conformance(stores.default_store().clone()).await;
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no files left");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn s3_store_conformance() {
    let bucket = bucket().await;
    let stores = Stores::open(&[s3_config("s3", &bucket)], "s3")
        .await
        .unwrap();
    conformance(stores.default_store().clone()).await;
}

#[tokio::test]
async fn images_in_s3_through_the_api() {
    let bucket = bucket().await;
    let url = ferrostack_testkit::s3_url();
    let cloud = Cloud::start_with(|c| {
        c.set("DEFAULT", "enabled_backends", "fast:file,s3:s3");
        c.set("glance_store", "default_backend", "s3");
        c.set("s3", "s3_store_host", &url);
        c.set("s3", "s3_store_access_key", "testing");
        c.set("s3", "s3_store_secret_key", "testing");
        c.set("s3", "s3_store_bucket", &bucket);
    })
    .await;
    let alice = cloud.member().await;
    let data = vec![7u8; 5 * 1024 * 1024 + 1];
    let id = cloud.image_with(&alice, &data).await;
    let image = cloud.get(&format!("/v2/images/{id}"), &alice).await.body;
    assert_eq!(image["stores"], "s3");
    assert_eq!(image["checksum"], common::hashes(&data).0.as_str());
    assert_eq!(
        cloud
            .get(&format!("/v2/images/{id}/file"), &alice)
            .await
            .bytes,
        data
    );
    let admin = cloud.admin().await;
    cloud
        .post(
            &format!("/v2/images/{id}/import"),
            &admin,
            json!({"method": {"name": "copy-image"}, "stores": ["fast"]}),
        )
        .await
        .expect(202);
    for _ in 0..200 {
        if cloud.get(&format!("/v2/images/{id}"), &alice).await.body["stores"] == "s3,fast" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    cloud
        .delete(&format!("/v2/images/{id}"), &alice)
        .await
        .expect(204);
}
