//! A build waits for the network service to report its new ports plugged
//! (`network-vif-plugged`, passed from the API to the server's host): with
//! the reports on, servers on networks go ACTIVE as before; with them off,
//! the build fails after `vif_plugging_timeout` with Nova's fault and gives
//! its ports back, or goes on when `vif_plugging_is_fatal` is off.

mod common;

use common::networks::{body, boot, network, ports_of};
use common::{create, setup_with_networks_configured};
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
async fn ports_never_reported_plugged_fail_the_build() {
    let (cloud, _admin, alice, image) = setup_with_networks_configured(
        1,
        |c| c.set("DEFAULT", "vif_plugging_timeout", "1"),
        &silent,
    )
    .await;
    let net = network(&cloud, &alice, "silent", "10.6.0.0/24").await;
    let id = create(&cloud, &alice, body(&image, json!([{"uuid": net}]))).await["server"]["id"]
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
    assert!(
        ports_of(&cloud, &alice, &id).await.is_empty(),
        "the failed build's port stays"
    );
}

#[tokio::test]
async fn unless_plugging_is_not_fatal() {
    let (cloud, _admin, alice, image) = setup_with_networks_configured(
        1,
        |c| {
            c.set("DEFAULT", "vif_plugging_timeout", "1");
            c.set("DEFAULT", "vif_plugging_is_fatal", "false");
        },
        &silent,
    )
    .await;
    let net = network(&cloud, &alice, "lenient", "10.7.0.0/24").await;
    let (_, server) = boot(&cloud, &alice, &image, json!([{"uuid": net}])).await;
    assert_eq!(server["status"], "ACTIVE");
}
