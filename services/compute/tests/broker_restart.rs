//! RabbitMQ restarted while 100 servers build (every role on it): none is
//! left building or failed, and none is built twice (the builds the agent
//! had not acknowledged come again; the fake driver refuses a second guest
//! of one server, as a hypervisor does). Run alone (it stops the broker
//! every other test uses): `make test-unit` runs it after the rest.

mod common;

use std::time::Duration;

use common::{create, flavor, server_body, Cloud};
use futures::StreamExt;
use reqwest::Method;
use serde_json::Value;

const SERVERS: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_during_boots() {
    let cloud = Cloud::on_rabbit(|c| {
        // Each build still spawning when the broker goes.
        c.set("fake", "spawn_delay_ms", "4000");
        c.set("fake", "vcpus", "200");
        c.set("fake", "memory_mb", "100000");
        for quota in ["instances", "cores", "ram"] {
            c.set("quota", quota, "-1");
        }
    })
    .await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    cloud.wait_for_hosts(&admin, 1).await;
    flavor(&cloud, &admin, "1", 64, 1, 0).await;
    let image = cloud.image(&alice, "cirros", 0, 0).await;

    let ids: Vec<String> = futures::stream::iter(0..SERVERS)
        .map(|n| {
            let (cloud, alice, image) = (&cloud, &alice, &image);
            async move {
                create(cloud, alice, server_body(&format!("s{n}"), image, "1")).await["server"]
                    ["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    // The broker goes while most builds are with the agent.
    for _ in 0..100 {
        if count(&statuses(&cloud, &alice).await, "spawning") >= SERVERS / 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let active_before = statuses(&cloud, &alice).await;
    tokio::task::spawn_blocking(|| ferrostack_testkit::restart_rabbit(Duration::from_secs(1)))
        .await
        .unwrap();
    let active_during = count(&statuses(&cloud, &alice).await, "ACTIVE");
    assert!(
        count(&active_before, "ACTIVE") < SERVERS,
        "every build ended before the broker went; the test proved nothing"
    );

    // Every server ends ACTIVE.
    let mut listed = Vec::new();
    for _ in 0..240 {
        listed = statuses(&cloud, &alice).await;
        if count(&listed, "ACTIVE") == SERVERS || count(&listed, "ERROR") > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        count(&listed, "ACTIVE"),
        SERVERS,
        "not every server went ACTIVE ({active_during} were when the broker came back): {:?}",
        listed
            .iter()
            .filter(|(_, s)| s != "ACTIVE")
            .collect::<Vec<_>>()
    );

    // Each was built once: one build event, one guest, one claim.
    for id in &ids {
        let events = cloud.first_action_events(&alice, &admin, id).await;
        let builds = events
            .iter()
            .filter(|e| *e == "compute__do_build_and_run_instance")
            .count();
        assert_eq!(builds, 1, "{id}: {events:?}");
    }
    let mut stats = Value::Null;
    for _ in 0..50 {
        stats = cloud
            .send(
                Method::GET,
                "/v2.1/os-hypervisors/statistics",
                &admin,
                None,
                None,
            )
            .await
            .expect(200)
            .body["hypervisor_statistics"]
            .clone();
        if stats["running_vms"] == SERVERS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(stats["running_vms"], SERVERS, "{stats}");
    assert_eq!(stats["vcpus_used"], SERVERS, "{stats}");
}

/// Each of `who`'s servers: its id and status.
async fn statuses(
    cloud: &Cloud,
    who: &ferrostack_identity::testing::Persona,
) -> Vec<(String, String)> {
    let listed = cloud
        .send(
            Method::GET,
            "/v2.1/servers/detail?limit=1000",
            who,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    listed["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let status = match s["OS-EXT-STS:task_state"].as_str() {
                Some("spawning") => "spawning",
                _ => s["status"].as_str().unwrap(),
            };
            (s["id"].as_str().unwrap().to_string(), status.to_string())
        })
        .collect()
}

fn count(listed: &[(String, String)], status: &str) -> usize {
    listed.iter().filter(|(_, s)| s == status).count()
}
