//! Subnet pools over HTTP: subnets carved from a pool's prefixes by length
//! or by CIDR, bounds and overlaps refused, the default pool, and a pool in
//! use kept.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn subnets_are_carved_from_pools() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let pool = cloud
        .create(
            "subnetpools",
            "subnetpool",
            &alice,
            json!({"name": "p", "prefixes": ["10.100.0.0/24", "10.100.1.0/24"], "default_prefixlen": 26, "max_prefixlen": 28}),
        )
        .await;
    assert_eq!(pool["prefixes"], json!(["10.100.0.0/23"]));
    assert_eq!(pool["ip_version"], 4);
    assert_eq!(pool["min_prefixlen"], 8);
    assert_eq!(pool["is_default"], false);
    let pool_id = pool["id"].as_str().unwrap();

    let (kind, _) = cloud
        .refused(
            Method::POST,
            "/v2.0/subnetpools",
            &alice,
            Some(json!({"subnetpool": {"name": "x", "prefixes": ["10.0.0.0/8", "2001:db8::/32"]}})),
            400,
        )
        .await;
    assert_eq!(kind, "PrefixVersionMismatch");
    let (kind, _) = cloud
        .refused(Method::POST, "/v2.0/subnetpools", &alice, Some(json!({"subnetpool": {"name": "x", "prefixes": ["10.0.0.0/8"], "is_default": true}})), 403)
        .await;
    assert_eq!(kind, "PolicyNotAuthorized");
    let (kind, _) = cloud
        .refused(Method::POST, "/v2.0/subnetpools", &alice, Some(json!({"subnetpool": {"name": "x", "prefixes": ["10.0.0.0/8"], "min_prefixlen": 24, "default_prefixlen": 16}})), 400)
        .await;
    assert_eq!(kind, "IllegalSubnetPoolPrefixBounds");

    // By default length, by asked length, by CIDR; each free prefix once.
    let net = cloud.create("networks", "network", &alice, json!({})).await;
    let subnet = |extra: serde_json::Value| {
        let mut body = json!({"network_id": net["id"], "ip_version": 4, "subnetpool_id": pool_id});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"subnet": body})
    };
    let first = cloud
        .send(
            Method::POST,
            "/v2.0/subnets",
            &alice,
            Some(subnet(json!({}))),
        )
        .await
        .expect(201);
    assert_eq!(first.body["subnet"]["cidr"], "10.100.0.0/26");
    assert_eq!(first.body["subnet"]["subnetpool_id"], json!(pool_id));
    let second = cloud
        .send(
            Method::POST,
            "/v2.0/subnets",
            &alice,
            Some(subnet(json!({"prefixlen": 28}))),
        )
        .await
        .expect(201);
    assert_eq!(second.body["subnet"]["cidr"], "10.100.0.64/28");
    let named = cloud
        .send(
            Method::POST,
            "/v2.0/subnets",
            &alice,
            Some(subnet(json!({"cidr": "10.100.1.0/24"}))),
        )
        .await
        .expect(201);
    assert_eq!(named.body["subnet"]["gateway_ip"], "10.100.1.1");
    let (kind, _) = cloud
        .refused(
            Method::POST,
            "/v2.0/subnets",
            &alice,
            Some(subnet(json!({"cidr": "10.100.0.0/27"}))),
            409,
        )
        .await;
    assert_eq!(kind, "SubnetAllocationError");
    let (kind, _) = cloud
        .refused(
            Method::POST,
            "/v2.0/subnets",
            &alice,
            Some(subnet(json!({"cidr": "10.200.0.0/24"}))),
            409,
        )
        .await;
    assert_eq!(kind, "SubnetAllocationError");
    let (_, message) = cloud
        .refused(
            Method::POST,
            "/v2.0/subnets",
            &alice,
            Some(subnet(json!({"prefixlen": 30}))),
            400,
        )
        .await;
    assert!(
        message.contains("outside the pool's bounds 8-28"),
        "{message}"
    );
    let (_, message) = cloud
        .refused(
            Method::POST,
            "/v2.0/subnets",
            &alice,
            Some(subnet(json!({"ip_version": 6}))),
            400,
        )
        .await;
    assert_eq!(
        message,
        "Bad subnets request: Cannot allocate IPv6 subnet from IPv4 subnet pool."
    );

    // Prefixes only grow; a pool in use stays.
    let path = format!("/v2.0/subnetpools/{pool_id}");
    let (kind, _) = cloud
        .refused(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"subnetpool": {"prefixes": ["10.100.0.0/24"]}})),
            400,
        )
        .await;
    assert_eq!(kind, "IllegalSubnetPoolPrefixUpdate");
    let grown = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"subnetpool": {"prefixes": ["10.100.0.0/23", "10.100.2.0/23"]}})),
        )
        .await
        .expect(200);
    assert_eq!(
        grown.body["subnetpool"]["prefixes"],
        json!(["10.100.0.0/22"])
    );
    let (kind, _) = cloud
        .refused(Method::DELETE, &path, &alice, None, 409)
        .await;
    assert_eq!(kind, "SubnetPoolInUse");

    // Others see neither the pool nor carve from it; a shared one they do.
    let bob = cloud.identity.persona(&["member"]).await;
    let (kind, _) = cloud.refused(Method::GET, &path, &bob, None, 404).await;
    assert_eq!(kind, "SubnetPoolNotFound");
    let shared = cloud
        .create("subnetpools", "subnetpool", &admin, json!({"name": "s", "prefixes": ["172.30.0.0/16"], "shared": true, "is_default": true, "default_prefixlen": 24}))
        .await;
    cloud
        .get(
            &format!("/v2.0/subnetpools/{}", shared["id"].as_str().unwrap()),
            &bob,
        )
        .await
        .expect(200);
    let (_, message) = cloud
        .refused(Method::POST, "/v2.0/subnetpools", &admin, Some(json!({"subnetpool": {"name": "d", "prefixes": ["172.31.0.0/16"], "is_default": true}})), 400)
        .await;
    assert!(
        message.contains("Only one default may exist per IP family"),
        "{message}"
    );
    let bobs = cloud.create("networks", "network", &bob, json!({})).await;
    let by_default = cloud
        .send(Method::POST, "/v2.0/subnets", &bob, Some(json!({"subnet": {"network_id": bobs["id"], "ip_version": 4, "use_default_subnetpool": true}})))
        .await
        .expect(201);
    assert_eq!(by_default.body["subnet"]["cidr"], "172.30.0.0/24");

    // Tagged as other resources are.
    cloud
        .send(
            Method::PUT,
            &format!("/v2.0/subnetpools/{pool_id}/tags/blue"),
            &alice,
            None,
        )
        .await
        .expect(201);
    let tagged = cloud
        .get("/v2.0/subnetpools?tags=blue", &alice)
        .await
        .expect(200);
    assert_eq!(tagged.body["subnetpools"][0]["id"], json!(pool_id));
}
