//! A build waits for the network service to report its new ports plugged
//! (`network-vif-plugged`, passed from the API to the server's host): with
//! the reports on, servers on networks go ACTIVE as before; with them off,
//! the build still ends ACTIVE by reading its ports; a port never plugged
//! (administratively down) fails the build after `vif_plugging_timeout` with
//! Nova's fault and the port is given back, or the build goes on when
//! `vif_plugging_is_fatal` is off.

mod common;

use common::networks::{body, boot, network, ports_of};
use common::{create, setup_with_networks_configured, Cloud};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::json;

fn silent(network: &mut ferrostack_config::Config) {
    network.set("DEFAULT", "notify_nova_on_port_status_changes", "false");
}

#[tokio::test]
async fn a_build_waits_for_its_ports_to_be_plugged() {
    let (cloud, _admin, alice, image) = setup_with_networks_configured(
        1,
        |c| c.set("DEFAULT", "vif_plugging_timeout", "30"),
        &|_| {},
    )
    .await;
    let net = network(&cloud, &alice, "plugged", "10.5.0.0/24").await;
    let (id, server) = boot(&cloud, &alice, &image, json!([{"uuid": net}])).await;
    assert_eq!(server["status"], "ACTIVE");
    let ports = ports_of(&cloud, &alice, &id).await;
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0]["status"], "ACTIVE");
}

#[tokio::test]
async fn a_lost_event_is_made_good_by_reading_the_port() {
    let (cloud, _admin, alice, image) = setup_with_networks_configured(
        1,
        |c| c.set("DEFAULT", "vif_plugging_timeout", "30"),
        &silent,
    )
    .await;
    let net = network(&cloud, &alice, "silent", "10.6.0.0/24").await;
    let (id, server) = boot(&cloud, &alice, &image, json!([{"uuid": net}])).await;
    assert_eq!(server["status"], "ACTIVE");
    assert_eq!(ports_of(&cloud, &alice, &id).await[0]["status"], "ACTIVE");
}

/// A port of `who`'s on `net` that is administratively down: its agent
/// never reports it plugged.
async fn port_down(cloud: &Cloud, who: &Persona, net: &str) -> String {
    let made = cloud
        .network_api(
            Method::POST,
            "/v2.0/ports",
            who,
            Some(json!({"port": {"network_id": net, "admin_state_up": false}})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    made.body["port"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn ports_never_plugged_fail_the_build() {
    let (cloud, _admin, alice, image) = setup_with_networks_configured(
        1,
        |c| c.set("DEFAULT", "vif_plugging_timeout", "3"),
        &|_| {},
    )
    .await;
    let net = network(&cloud, &alice, "down", "10.6.0.0/24").await;
    let port = port_down(&cloud, &alice, &net).await;
    let id = create(&cloud, &alice, body(&image, json!([{"port": port}]))).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let server = cloud.wait_status(&alice, &id, "ERROR").await;
    assert_eq!(
        server["fault"]["message"],
        format!(
            "Build of instance {id} aborted: Failed to allocate the network(s), not rescheduling."
        )
    );
    // The user's own port is given back, not deleted.
    let shown = cloud
        .network_api(Method::GET, &format!("/v2.0/ports/{port}"), &alice, None)
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.body["port"]["device_id"], "", "{}", shown.body);
}

#[tokio::test]
async fn unless_plugging_is_not_fatal() {
    let (cloud, _admin, alice, image) = setup_with_networks_configured(
        1,
        |c| {
            c.set("DEFAULT", "vif_plugging_timeout", "1");
            c.set("DEFAULT", "vif_plugging_is_fatal", "false");
        },
        &|_| {},
    )
    .await;
    let net = network(&cloud, &alice, "lenient", "10.7.0.0/24").await;
    let port = port_down(&cloud, &alice, &net).await;
    let (_, server) = boot(&cloud, &alice, &image, json!([{"port": port}])).await;
    assert_eq!(server["status"], "ACTIVE");
}
