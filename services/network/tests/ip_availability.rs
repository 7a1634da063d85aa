//! Network IP availability over HTTP: pool sizes and allocations per
//! network and subnet, for admins only.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn admins_see_how_many_addresses_are_used() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let (net, subnet) = cloud
        .network_with_subnet(&alice, "counted", "10.9.0.0/24")
        .await;
    for _ in 0..2 {
        cloud
            .create("ports", "port", &alice, json!({"network_id": net}))
            .await;
    }
    let path = format!("/v2.0/network-ip-availabilities/{net}");
    let shown = cloud.get(&path, &admin).await.expect(200).body["network_ip_availability"].clone();
    assert_eq!(shown["network_name"], "counted");
    assert_eq!(shown["project_id"], json!(alice.project_id));
    assert_eq!(shown["total_ips"], 253);
    assert_eq!(shown["used_ips"], 2);
    assert_eq!(
        shown["subnet_ip_availability"],
        json!([{"subnet_id": subnet, "subnet_name": "", "cidr": "10.9.0.0/24", "ip_version": 4, "total_ips": 253, "used_ips": 2}])
    );

    let listed = cloud
        .get(
            &format!("/v2.0/network-ip-availabilities?network_id={net}"),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(
        listed.body["network_ip_availabilities"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let v6 = cloud
        .get(
            &format!("/v2.0/network-ip-availabilities?network_id={net}&ip_version=6"),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(v6.body["network_ip_availabilities"], json!([]));

    let (kind, _) = cloud.refused(Method::GET, &path, &alice, None, 403).await;
    assert_eq!(kind, "PolicyNotAuthorized");
    let (kind, _) = cloud
        .refused(
            Method::GET,
            "/v2.0/network-ip-availabilities/nope",
            &admin,
            None,
            404,
        )
        .await;
    assert_eq!(kind, "NetworkNotFound");
    let (kind, _) = cloud
        .refused(
            Method::GET,
            "/v2.0/network-ip-availabilities?bogus=1",
            &admin,
            None,
            400,
        )
        .await;
    assert_eq!(kind, "HTTPBadRequest");
}
