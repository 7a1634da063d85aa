//! A build request run again — the cast redelivered to another conductor
//! after the first died before acknowledging it, or the scheduler asked
//! again — changes nothing the first run did: the server is neither built
//! nor claimed twice, and stays ACTIVE where it is.

mod common;

use std::time::Duration;

use common::{active_server, setup};
use ferrostack_compute::config::ComputeConfig;
use ferrostack_compute::db::entity::allocation;
use ferrostack_compute::rpc::messages::{BuildInstances, FlavorSpec, RequestSpec};
use ferrostack_compute::rpc::{conductor, scheduler};
use ferrostack_rpc::{Client, Context};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::Value;

/// The claims server `id` holds, as (host, vCPUs).
async fn claims(db: &DatabaseConnection, id: &str) -> Vec<(String, i64)> {
    allocation::Entity::find()
        .filter(allocation::Column::ConsumerUuid.eq(id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.host, a.vcpu))
        .collect()
}

#[tokio::test]
async fn a_build_request_run_again_builds_nothing_twice() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    let id = active_server(&cloud, &alice, "once", &image).await;
    let shown = cloud.wait_status(&admin, &id, "ACTIVE").await;
    let cfg = ComputeConfig::from_config(&cloud.env.config).unwrap();
    let db = ferrostack_db::connect(&cfg.database).await.unwrap();
    let host = shown["OS-EXT-SRV-ATTR:host"].as_str().unwrap().to_string();
    assert_eq!(claims(&db, &id).await, [(host.clone(), 1)]);

    let transport = cfg.messaging.transport().await.unwrap();
    let spec = RequestSpec {
        project_id: alice.project_id.clone(),
        flavor: Some(FlavorSpec {
            vcpus: 1,
            memory_mb: 64,
            ..Default::default()
        }),
        instance_uuids: vec![id.clone()],
        ..Default::default()
    };
    // The scheduler asked again finds the claim made.
    let schedulers: Client<scheduler::Topic> =
        Client::new(transport.clone(), Duration::from_secs(10));
    let placed = schedulers
        .call::<scheduler::SelectDestinations>(&Context::internal(), None, &spec)
        .await
        .unwrap();
    assert_eq!(placed.destinations.len(), 1);
    assert_eq!(placed.destinations[0].host, host);
    assert_eq!(claims(&db, &id).await, [(host.clone(), 1)], "claimed twice");

    // The conductor given the request again builds nothing.
    let conductors: Client<conductor::Topic> = Client::new(transport, Duration::from_secs(10));
    conductors
        .cast::<conductor::BuildInstances>(
            &Context::internal(),
            None,
            &BuildInstances {
                instance_uuids: vec![id.clone()],
                spec: Some(spec),
                unshelve_image_id: String::new(),
            },
        )
        .await
        .unwrap();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let server = cloud.wait_status(&alice, &id, "ACTIVE").await;
        assert_eq!(server["OS-EXT-STS:task_state"], Value::Null, "{server}");
    }
    let events = cloud.first_action_events(&alice, &admin, &id).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| *e == "compute__do_build_and_run_instance")
            .count(),
        1,
        "{events:?}"
    );
    assert_eq!(claims(&db, &id).await, [(host, 1)], "claimed twice");
}
