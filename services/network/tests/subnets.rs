//! Subnets over HTTP: defaults, Neutron's refusals, updates and deletes.

mod common;

use common::{error, Cloud};
use reqwest::Method;
use serde_json::{json, Value};

async fn refused(
    cloud: &Cloud,
    who: &ferrostack_identity::testing::Persona,
    fields: Value,
    status: u16,
) -> (String, String) {
    let resp = cloud
        .send(
            Method::POST,
            "/v2.0/subnets",
            who,
            Some(json!({"subnet": fields})),
        )
        .await
        .expect(status);
    error(&resp)
}

#[tokio::test]
async fn subnets_get_neutrons_defaults() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let net = cloud
        .create("networks", "network", &alice, json!({"name": "n"}))
        .await;
    let net_id = net["id"].as_str().unwrap();
    let v4 = cloud
        .create(
            "subnets",
            "subnet",
            &alice,
            json!({"network_id": net_id, "ip_version": 4, "cidr": "10.0.0.5/24", "name": "s4"}),
        )
        .await;
    assert_eq!(v4["cidr"], "10.0.0.0/24");
    assert_eq!(v4["gateway_ip"], "10.0.0.1");
    assert_eq!(
        v4["allocation_pools"],
        json!([{"start": "10.0.0.2", "end": "10.0.0.254"}])
    );
    assert_eq!(v4["enable_dhcp"], true);
    assert_eq!(v4["dns_nameservers"], json!([]));
    assert_eq!(v4["host_routes"], json!([]));
    assert_eq!(v4["ipv6_ra_mode"], json!(null));
    assert_eq!(v4["subnetpool_id"], json!(null));
    let v6 = cloud
        .create("subnets", "subnet", &alice, json!({"network_id": net_id, "ip_version": 6, "cidr": "2001:db8::/64", "ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"}))
        .await;
    assert_eq!(v6["gateway_ip"], "2001:db8::");
    assert_eq!(v6["allocation_pools"][0]["start"], "2001:db8::1");
    let shown = cloud
        .get(&format!("/v2.0/networks/{net_id}"), &alice)
        .await
        .body["network"]
        .clone();
    assert_eq!(shown["subnets"].as_array().unwrap().len(), 2);
    assert_eq!(shown["revision_number"], 3);
    let custom = cloud
        .create("subnets", "subnet", &alice, json!({
            "network_id": net_id, "ip_version": 4, "cidr": "10.1.0.0/24", "gateway_ip": null, "enable_dhcp": false,
            "allocation_pools": [{"start": "10.1.0.10", "end": "10.1.0.20"}],
            "dns_nameservers": ["8.8.8.8", "1.1.1.1"],
            "host_routes": [{"destination": "192.168.0.0/16", "nexthop": "10.1.0.1"}],
        }))
        .await;
    assert_eq!(custom["gateway_ip"], json!(null));
    assert_eq!(custom["dns_nameservers"], json!(["8.8.8.8", "1.1.1.1"]));
    assert_eq!(custom["host_routes"][0]["nexthop"], "10.1.0.1");
    // Member networks of one project are not another's.
    let bob = cloud.identity.persona(&["member"]).await;
    let hidden = refused(
        &cloud,
        &bob,
        json!({"network_id": net_id, "ip_version": 4, "cidr": "10.9.0.0/24"}),
        404,
    )
    .await;
    assert_eq!(hidden.0, "NetworkNotFound");
    let listed = cloud
        .get(
            &format!("/v2.0/subnets?network_id={net_id}&ip_version=4&sort_key=cidr&sort_dir=asc"),
            &alice,
        )
        .await
        .expect(200);
    let cidrs: Vec<&str> = listed.body["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["cidr"].as_str().unwrap())
        .collect();
    assert_eq!(cidrs, ["10.0.0.0/24", "10.1.0.0/24"]);
    assert!(cloud.get("/v2.0/subnets", &bob).await.body["subnets"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn bad_subnets_are_refused_as_neutron_does() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let net = cloud.create("networks", "network", &alice, json!({})).await;
    let id = net["id"].as_str().unwrap();
    let with = |extra: Value| {
        let mut fields = json!({"network_id": id, "ip_version": 4, "cidr": "10.0.0.0/24"});
        for (k, v) in extra.as_object().unwrap() {
            fields[k] = v.clone();
        }
        fields
    };
    assert_eq!(
        refused(&cloud, &alice, with(json!({"ip_version": 5})), 400)
            .await
            .1,
        "Invalid input for ip_version. Reason: 5 is not in [4, 6]."
    );
    assert_eq!(
        refused(&cloud, &alice, with(json!({"cidr": "2001:db8::/64"})), 400)
            .await
            .1,
        "Invalid input for operation: cidr '2001:db8::/64' does not match the ip_version '4'."
    );
    assert_eq!(
        refused(&cloud, &alice, with(json!({"cidr": "nonsense"})), 400)
            .await
            .1,
        "Invalid input for operation: nonsense is not in a CIDR format."
    );
    assert_eq!(
        refused(&cloud, &alice, with(json!({"cidr": "10.0.0.0/31"})), 400).await.1,
        "Invalid input for operation: Subnet has a prefix length that is incompatible with DHCP service enabled."
    );
    assert_eq!(
        refused(
            &cloud,
            &alice,
            json!({"network_id": id, "ip_version": 4}),
            400
        )
        .await
        .1,
        "Bad subnets request: a subnetpool must be specified in the absence of a cidr."
    );
    assert_eq!(
        refused(
            &cloud,
            &alice,
            json!({"ip_version": 4, "cidr": "10.0.0.0/24"}),
            400
        )
        .await
        .1,
        "Failed to parse request. Required attribute 'network_id' not specified"
    );
    assert_eq!(
        refused(&cloud, &alice, with(json!({"gateway_ip": "10.0.0.5", "allocation_pools": [{"start": "10.0.0.2", "end": "10.0.0.100"}]})), 409).await,
        ("GatewayConflictWithAllocationPools".into(), "Gateway ip 10.0.0.5 conflicts with allocation pool 10.0.0.2-10.0.0.100.".into())
    );
    assert_eq!(
        refused(
            &cloud,
            &alice,
            with(json!({"allocation_pools": [{"start": "10.0.1.2", "end": "10.0.1.5"}]})),
            400
        )
        .await
        .0,
        "OutOfBoundsAllocationPool"
    );
    assert_eq!(
        refused(
            &cloud,
            &alice,
            with(json!({"dns_nameservers": ["1.1.1.1", "1.1.1.1"]})),
            400
        )
        .await
        .1,
        "Invalid input for dns_nameservers. Reason: Duplicate nameserver '1.1.1.1'."
    );
    assert_eq!(
        refused(&cloud, &alice, with(json!({"dns_nameservers": ["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4", "1.1.1.5", "1.1.1.6"]})), 400).await.0,
        "DNSNameServersExhausted"
    );
    assert_eq!(
        refused(&cloud, &alice, with(json!({"ipv6_ra_mode": "slaac"})), 400)
            .await
            .1,
        "Invalid input for operation: ipv6_ra_mode is not valid when ip_version is 4."
    );
    cloud
        .create("subnets", "subnet", &alice, with(json!({})))
        .await;
    let overlap = refused(&cloud, &alice, with(json!({"cidr": "10.0.0.128/25"})), 400).await;
    assert_eq!(
        overlap.1,
        format!("Invalid input for operation: Requested subnet with cidr: 10.0.0.128/25 for network: {id} overlaps with another subnet.")
    );
}

#[tokio::test]
async fn updates_and_deletes() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let (net, subnet) = cloud.network_with_subnet(&alice, "n", "10.0.0.0/24").await;
    let path = format!("/v2.0/subnets/{subnet}");
    let updated = cloud
        .send(Method::PUT, &path, &alice, Some(json!({"subnet": {"name": "renamed", "dns_nameservers": ["9.9.9.9"], "gateway_ip": "10.0.0.254", "allocation_pools": [{"start": "10.0.0.2", "end": "10.0.0.200"}]}})))
        .await
        .expect(200);
    assert_eq!(updated.body["subnet"]["name"], "renamed");
    assert_eq!(updated.body["subnet"]["gateway_ip"], "10.0.0.254");
    let read_only = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"subnet": {"cidr": "10.9.0.0/24"}})),
        )
        .await
        .expect(400);
    assert_eq!(
        error(&read_only).1,
        "Cannot update read-only attribute cidr"
    );
    let conflict = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"subnet": {"gateway_ip": "10.0.0.50"}})),
        )
        .await
        .expect(409);
    assert_eq!(error(&conflict).0, "GatewayConflictWithAllocationPools");
    let port = cloud
        .create("ports", "port", &alice, json!({"network_id": net}))
        .await;
    let busy = cloud
        .send(Method::DELETE, &path, &alice, None)
        .await
        .expect(409);
    assert_eq!(error(&busy).0, "SubnetInUse");
    // A DHCP port's address does not keep the subnet.
    let admin = cloud.identity.admin_persona().await;
    cloud
        .create("ports", "port", &admin, json!({"network_id": net, "device_owner": "network:dhcp", "project_id": alice.project_id}))
        .await;
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/ports/{}", port["id"].as_str().unwrap()),
            &alice,
            None,
        )
        .await
        .expect(204);
    cloud
        .send(Method::DELETE, &path, &alice, None)
        .await
        .expect(204);
    let missing = cloud.get(&path, &alice).await.expect(404);
    assert_eq!(
        error(&missing).1,
        format!("Subnet {subnet} could not be found.")
    );
}
