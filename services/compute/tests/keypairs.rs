//! Key pairs across their microversions: import and generation, type, other
//! users' (admin), pages, names, quota and bad keys.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::{json, Value};

const RSA: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDkbjgPqUSAyPpxHAI/J2wyXVVE3YH0NXJXmWbCywZ4kKXLBkxZwqVJkFpY9vBu3bT+vvh4wZk+Wq0SL1Gj4QePj+fn7cDYyHXWHQ8ZK3nc9I99bChmESD2FDXDVnF8EwLHt4bZh0YVChwyBHTNBqwkaOO3yGu4KdZEHek0f0OETAqGARMfT8IXPFKHR5laz87gZJ/i6nCZEb/Vi73S+dVmrcBqfC+9blQGTqDi5ZvoVMRLzruQDLhvkRwfpZHeUsTT2ia4b82q0f6qSAh1ByicOSaS4rfF/mCjoZLASh3R6szUbW974LjD8wP3wpnhmWif2HLugTatyodd/nyBm05N Generated-by-Nova";

#[tokio::test]
async fn keypairs_across_microversions() {
    let cloud = Cloud::with_config(|c| c.set("quota", "key_pairs", "3")).await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let send = |method: Method, path: &str, who, body: Option<Value>, version: &'static str| {
        let (cloud, path) = (&cloud, path.to_string());
        async move { cloud.send(method, &path, who, body, Some(version)).await }
    };
    // 2.1 import: 200, no type.
    let imported = send(
        Method::POST,
        "/v2.1/os-keypairs",
        &alice,
        Some(json!({"keypair": {"name": "mine", "public_key": RSA}})),
        "2.1",
    )
    .await
    .expect(200)
    .body["keypair"]
        .clone();
    assert_eq!(
        imported["fingerprint"],
        "e7:66:a1:2c:4f:90:6e:11:19:da:ac:c2:69:e1:ad:89"
    );
    assert_eq!(imported["user_id"], alice.user_id.as_str());
    assert!(imported.get("type").is_none() && imported.get("private_key").is_none());
    // 2.2 generation: 201 with the private key and the type.
    let made = send(
        Method::POST,
        "/v2.1/os-keypairs",
        &alice,
        Some(json!({"keypair": {"name": "made-here"}})),
        "2.2",
    )
    .await
    .expect(201)
    .body["keypair"]
        .clone();
    assert!(made["private_key"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert!(made["public_key"]
        .as_str()
        .unwrap()
        .ends_with(" Generated-by-Nova"));
    assert_eq!(made["type"], "ssh");
    // An X.509 pair generated: a certificate and its PKCS#12 key.
    let x509 = send(
        Method::POST,
        "/v2.1/os-keypairs",
        &alice,
        Some(json!({"keypair": {"name": "cert", "type": "x509"}})),
        "2.2",
    )
    .await
    .expect(201)
    .body["keypair"]
        .clone();
    assert_eq!(x509["type"], "x509");
    assert!(x509["public_key"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(!x509["private_key"].as_str().unwrap().is_empty());
    assert_eq!(x509["fingerprint"].as_str().unwrap().len(), 59);
    let deleted = send(
        Method::DELETE,
        "/v2.1/os-keypairs/cert",
        &alice,
        None,
        "2.2",
    )
    .await;
    assert!(deleted.status < 300, "{}", deleted.body);
    // 2.92: import only, and names may have '@' and '.'.
    let resp = send(
        Method::POST,
        "/v2.1/os-keypairs",
        &alice,
        Some(json!({"keypair": {"name": "x"}})),
        "2.92",
    )
    .await
    .expect(400);
    assert!(resp
        .message()
        .ends_with("'public_key' is a required property"));
    let resp = send(
        Method::POST,
        "/v2.1/os-keypairs",
        &alice,
        Some(json!({"keypair": {"name": "me@host.example", "public_key": RSA}})),
        "2.91",
    )
    .await
    .expect(400);
    assert_eq!(resp.message(), "Invalid input for field/attribute name. Value: me@host.example. 'me@host.example' does not match '^[_\\\\- a-zA-Z0-9]+$'");
    send(
        Method::POST,
        "/v2.1/os-keypairs",
        &alice,
        Some(json!({"keypair": {"name": "me@host.example", "public_key": RSA}})),
        "2.92",
    )
    .await
    .expect(201);
    // Quota (3 per user), duplicates, bad keys.
    let resp = send(
        Method::POST,
        "/v2.1/os-keypairs",
        &alice,
        Some(json!({"keypair": {"name": "fourth", "public_key": RSA}})),
        "2.2",
    )
    .await
    .expect(403);
    assert_eq!(resp.message(), "Quota exceeded, too many key pairs.");
    send(
        Method::DELETE,
        "/v2.1/os-keypairs/me@host.example",
        &alice,
        None,
        "2.2",
    )
    .await
    .expect(204);
    let resp = send(
        Method::POST,
        "/v2.1/os-keypairs",
        &alice,
        Some(json!({"keypair": {"name": "mine", "public_key": RSA}})),
        "2.2",
    )
    .await
    .expect(409);
    assert_eq!(resp.message(), "Key pair 'mine' already exists.");
    let resp = send(
        Method::POST,
        "/v2.1/os-keypairs",
        &alice,
        Some(json!({"keypair": {"name": "bad", "public_key": "ssh-rsa nonsense"}})),
        "2.2",
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        "Keypair data is invalid: failed to generate fingerprint"
    );
    let resp = send(
        Method::POST,
        "/v2.1/os-keypairs",
        &alice,
        Some(json!({"keypair": {"name": " padded", "public_key": RSA}})),
        "2.2",
    )
    .await
    .expect(400);
    assert!(resp
        .message()
        .starts_with("An invalid 'name' value was provided."));

    // List (name order), show with its record fields, pages from 2.35.
    let listed = send(Method::GET, "/v2.1/os-keypairs", &alice, None, "2.2")
        .await
        .expect(200)
        .body;
    let names: Vec<&str> = listed["keypairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["keypair"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["made-here", "mine"]);
    assert_eq!(listed["keypairs"][0]["keypair"]["type"], "ssh");
    let page = send(
        Method::GET,
        "/v2.1/os-keypairs?limit=1",
        &alice,
        None,
        "2.35",
    )
    .await
    .expect(200)
    .body;
    assert_eq!(page["keypairs"].as_array().unwrap().len(), 1);
    assert!(page["keypairs_links"][0]["href"]
        .as_str()
        .unwrap()
        .contains("marker=made-here"));
    let rest = send(
        Method::GET,
        "/v2.1/os-keypairs?limit=1&marker=made-here",
        &alice,
        None,
        "2.35",
    )
    .await
    .expect(200)
    .body;
    assert_eq!(rest["keypairs"][0]["keypair"]["name"], "mine");
    let resp = send(
        Method::GET,
        "/v2.1/os-keypairs?marker=nope",
        &alice,
        None,
        "2.35",
    )
    .await
    .expect(400);
    assert_eq!(resp.message(), "Marker nope could not be found.");
    send(
        Method::GET,
        "/v2.1/os-keypairs?colour=red",
        &alice,
        None,
        "2.75",
    )
    .await
    .expect(400);
    let shown = send(Method::GET, "/v2.1/os-keypairs/mine", &alice, None, "2.2")
        .await
        .expect(200)
        .body["keypair"]
        .clone();
    assert_eq!(shown["deleted"], false);
    assert_eq!(shown["updated_at"], Value::Null);
    assert!(shown["id"].is_i64());
    assert_eq!(shown["created_at"].as_str().unwrap().len(), 26);

    // Another user's key pairs: admins from 2.10; not alice.
    let bobs = send(
        Method::POST,
        "/v2.1/os-keypairs",
        &admin,
        Some(
            json!({"keypair": {"name": "for-alice", "public_key": RSA, "user_id": alice.user_id}}),
        ),
        "2.10",
    )
    .await
    .expect(201)
    .body;
    assert_eq!(bobs["keypair"]["user_id"], alice.user_id.as_str());
    let theirs = send(
        Method::GET,
        &format!("/v2.1/os-keypairs?user_id={}", alice.user_id),
        &admin,
        None,
        "2.10",
    )
    .await
    .expect(200)
    .body;
    assert_eq!(theirs["keypairs"].as_array().unwrap().len(), 3);
    let resp = send(
        Method::GET,
        &format!("/v2.1/os-keypairs?user_id={}", admin.user_id),
        &alice,
        None,
        "2.10",
    )
    .await
    .expect(403);
    assert_eq!(
        resp.message(),
        "Policy doesn't allow os_compute_api:os-keypairs:index to be performed."
    );

    // Delete: 202 before 2.2; 404 after.
    send(
        Method::DELETE,
        "/v2.1/os-keypairs/mine",
        &alice,
        None,
        "2.1",
    )
    .await
    .expect(202);
    let resp = send(Method::GET, "/v2.1/os-keypairs/mine", &alice, None, "2.2")
        .await
        .expect(404);
    assert_eq!(
        resp.message(),
        format!("Keypair mine not found for user {}", alice.user_id)
    );
}
