//! Networks for the servers of compute's tests, made through the network
//! service's own API.

use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

use super::{create, Cloud};

/// A network named `name` with one IPv4 subnet `cidr`: its id.
pub async fn network(cloud: &Cloud, who: &Persona, name: &str, cidr: &str) -> String {
    let made = cloud
        .network_api(
            Method::POST,
            "/v2.0/networks",
            who,
            Some(json!({"network": {"name": name}})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.body["network"]["id"].as_str().unwrap().to_string();
    let subnet = cloud
        .network_api(
            Method::POST,
            "/v2.0/subnets",
            who,
            Some(json!({"subnet": {"network_id": id, "cidr": cidr, "ip_version": 4}})),
        )
        .await;
    assert_eq!(subnet.status, 201, "{}", subnet.body);
    id
}

/// The ports whose device is `server`.
pub async fn ports_of(cloud: &Cloud, who: &Persona, server: &str) -> Vec<Value> {
    cloud
        .network_api(
            Method::GET,
            &format!("/v2.0/ports?device_id={server}"),
            who,
            None,
        )
        .await
        .body["ports"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// An address `<prefix>.N` (N from `from` up) no port on `net` holds (the
/// ports made so far got random ones).
pub async fn unused_ip(cloud: &Cloud, who: &Persona, net: &str, prefix: &str, from: u8) -> String {
    let taken = cloud
        .network_api(
            Method::GET,
            &format!("/v2.0/ports?network_id={net}"),
            who,
            None,
        )
        .await
        .body
        .to_string();
    (from..=250)
        .map(|n| format!("{prefix}.{n}"))
        .find(|a| !taken.contains(&format!("\"{a}\"")))
        .expect("a free address")
}

/// A create body of server "s" on `networks`.
pub fn body(image: &str, networks: Value) -> Value {
    json!({"server": {"name": "s", "imageRef": image, "flavorRef": "1", "networks": networks}})
}

/// An ACTIVE server on `networks`: its id and view.
pub async fn boot(cloud: &Cloud, who: &Persona, image: &str, networks: Value) -> (String, Value) {
    let id = create(cloud, who, body(image, networks)).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let server = cloud.wait_status(who, &id, "ACTIVE").await;
    (id, server)
}

/// An external network "public" (admin-made) with subnet 172.24.4.0/24,
/// routed by a router of `who`'s to `private`'s subnet: its id.
pub async fn routed_public(cloud: &Cloud, admin: &Persona, who: &Persona, private: &str) -> String {
    let made = cloud
        .network_api(
            Method::POST,
            "/v2.0/networks",
            admin,
            Some(json!({"network": {"name": "public", "router:external": true}})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let public = made.body["network"]["id"].as_str().unwrap().to_string();
    let subnet = cloud
        .network_api(
            Method::POST,
            "/v2.0/subnets",
            admin,
            Some(
                json!({"subnet": {"network_id": public, "cidr": "172.24.4.0/24", "ip_version": 4}}),
            ),
        )
        .await;
    assert_eq!(subnet.status, 201, "{}", subnet.body);
    let subnet = cloud
        .network_api(
            Method::GET,
            &format!("/v2.0/subnets?network_id={private}"),
            who,
            None,
        )
        .await
        .body["subnets"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let router = cloud
        .network_api(
            Method::POST,
            "/v2.0/routers",
            who,
            Some(json!({"router": {"name": "r", "external_gateway_info": {"network_id": public}}})),
        )
        .await
        .body["router"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let added = cloud
        .network_api(
            Method::PUT,
            &format!("/v2.0/routers/{router}/add_router_interface"),
            who,
            Some(json!({"subnet_id": subnet})),
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    public
}
