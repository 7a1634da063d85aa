//! Moving servers: resize to a bigger flavor (on another host, or on the
//! same one when allowed), confirm or revert, cold migration (admin), the
//! allocations following the server, the migrations listed; and the
//! refusals.

mod common;

use common::{create, flavor, server_body, setup, Cloud};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

async fn act(cloud: &Cloud, who: &Persona, id: &str, body: Value) -> common::Resp {
    cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{id}/action"),
            who,
            Some(body),
            None,
        )
        .await
}

async fn admin_view(cloud: &Cloud, admin: &Persona, id: &str) -> Value {
    cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}"),
            admin,
            None,
            Some("2.47"),
        )
        .await
        .body["server"]
        .clone()
}

/// vCPUs used on each host, as the hypervisors show it.
async fn used_vcpus(cloud: &Cloud, admin: &Persona) -> Vec<(String, i64)> {
    let mut used: Vec<(String, i64)> = cloud
        .send(
            Method::GET,
            "/v2.1/os-hypervisors/detail",
            admin,
            None,
            Some("2.27"),
        )
        .await
        .body["hypervisors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["hypervisor_hostname"].as_str().unwrap().to_string(),
                h["vcpus_used"].as_i64().unwrap(),
            )
        })
        .collect();
    used.sort();
    used
}

#[tokio::test]
async fn resizes_move_confirm_and_revert() {
    let (cloud, admin, alice, image) = setup(2, |_| {}).await;
    flavor(&cloud, &admin, "2", 1024, 2, 1).await;
    let id = create(&cloud, &alice, server_body("r", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let source = admin_view(&cloud, &admin, &id).await["OS-EXT-SRV-ATTR:host"]
        .as_str()
        .unwrap()
        .to_string();

    // The same flavor, a smaller disk, a flavor that is not there: 400.
    let same = act(&cloud, &alice, &id, json!({"resize": {"flavorRef": "1"}})).await;
    assert_eq!(same.status, 400);
    assert_eq!(
        same.message(),
        "When resizing, instances must change flavor!"
    );
    let missing = act(
        &cloud,
        &alice,
        &id,
        json!({"resize": {"flavorRef": "nope"}}),
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.message(), "Unable to locate requested flavor.");
    let unconfirmed = act(&cloud, &alice, &id, json!({"confirmResize": null})).await;
    assert_eq!(unconfirmed.status, 409);

    // Resize: to the other host (the same is not allowed by default).
    act(&cloud, &alice, &id, json!({"resize": {"flavorRef": "2"}}))
        .await
        .expect(202);
    let resized = cloud.wait_status(&alice, &id, "VERIFY_RESIZE").await;
    assert_eq!(resized["flavor"]["vcpus"], 2);
    let moved = admin_view(&cloud, &admin, &id).await;
    let dest = moved["OS-EXT-SRV-ATTR:host"].as_str().unwrap().to_string();
    assert_ne!(dest, source);
    let migrations = cloud
        .send(
            Method::GET,
            "/v2.1/os-migrations",
            &admin,
            None,
            Some("2.80"),
        )
        .await
        .expect(200)
        .body["migrations"]
        .clone();
    assert_eq!(migrations[0]["status"], "finished");
    assert_eq!(migrations[0]["migration_type"], "resize");
    assert_eq!(migrations[0]["source_compute"], source.as_str());
    assert_eq!(migrations[0]["dest_compute"], dest.as_str());
    assert_eq!(migrations[0]["old_instance_type_id"], 1);
    assert_eq!(migrations[0]["new_instance_type_id"], 2);

    // Revert: back on the source with the old flavor, the destination freed.
    act(&cloud, &alice, &id, json!({"revertResize": null}))
        .await
        .expect(202);
    let back = cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(back["flavor"]["vcpus"], 1);
    assert_eq!(
        admin_view(&cloud, &admin, &id).await["OS-EXT-SRV-ATTR:host"],
        source.as_str()
    );

    // Resize again and confirm: the server stays on its new host with its
    // new flavor; the source's resources are given back.
    act(&cloud, &alice, &id, json!({"resize": {"flavorRef": "2"}}))
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "VERIFY_RESIZE").await;
    let confirm = act(&cloud, &alice, &id, json!({"confirmResize": null})).await;
    assert_eq!(confirm.status, 204, "{}", confirm.body);
    let confirmed = cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(confirmed["flavor"]["vcpus"], 2);
    let host = admin_view(&cloud, &admin, &id).await["OS-EXT-SRV-ATTR:host"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(host, source);
    let statuses: Vec<Value> = cloud
        .send(Method::GET, "/v2.1/os-migrations", &admin, None, None)
        .await
        .body["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!("confirmed"), json!("reverted")]);
    // Quotas count the new flavor only.
    let usage = cloud
        .send(
            Method::GET,
            &format!("/v2.1/os-quota-sets/{}/detail", alice.project_id),
            &alice,
            None,
            None,
        )
        .await
        .body;
    assert_eq!(usage["quota_set"]["cores"]["in_use"], 2);

    // Cold migration (admin): back to the other host.
    act(&cloud, &alice, &id, json!({"migrate": null}))
        .await
        .expect(403);
    act(&cloud, &admin, &id, json!({"migrate": null}))
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "VERIFY_RESIZE").await;
    act(&cloud, &alice, &id, json!({"confirmResize": null}))
        .await
        .expect(204);
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(
        admin_view(&cloud, &admin, &id).await["OS-EXT-SRV-ATTR:host"],
        source.as_str()
    );
    // Only the server's own flavor is held, on its host alone (as the agents
    // report their guests).
    // Each host's use follows its agent's reports, so the moved-from host may
    // still hold the server a moment after the moved-to host holds it too, or
    // before it does: wait for the whole expected picture, not for a total.
    let mut used = Vec::new();
    for _ in 0..100 {
        used = used_vcpus(&cloud, &admin).await;
        if used.contains(&(source.clone(), 2)) && used.iter().map(|(_, v)| v).sum::<i64>() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(used.contains(&(source.clone(), 2)), "{used:?}");
    assert_eq!(used.iter().map(|(_, v)| v).sum::<i64>(), 2, "{used:?}");
}

#[tokio::test]
async fn a_single_host_resizes_in_place_only_when_allowed() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    flavor(&cloud, &admin, "2", 1024, 2, 1).await;
    let id = create(&cloud, &alice, server_body("one", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    // No other host: the resize fails and the server stays as it was.
    act(&cloud, &alice, &id, json!({"resize": {"flavorRef": "2"}}))
        .await
        .expect(202);
    for _ in 0..100 {
        let server = admin_view(&cloud, &admin, &id).await;
        if server["OS-EXT-STS:task_state"].is_null() {
            assert_eq!(server["status"], "ACTIVE");
            assert_eq!(server["flavor"]["vcpus"], 1);
            let migrations = cloud
                .send(Method::GET, "/v2.1/os-migrations", &admin, None, None)
                .await
                .body;
            assert_eq!(migrations["migrations"][0]["status"], "error");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the resize never ended");
}

#[tokio::test]
async fn servers_resize_in_place_stopped_or_running() {
    let (cloud, admin, alice, image) = setup(1, |c| {
        c.set("DEFAULT", "allow_resize_to_same_host", "true");
    })
    .await;
    flavor(&cloud, &admin, "2", 1024, 2, 1).await;
    let id = create(&cloud, &alice, server_body("s", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    act(&cloud, &alice, &id, json!({"os-stop": null}))
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "SHUTOFF").await;
    act(&cloud, &alice, &id, json!({"resize": {"flavorRef": "2"}}))
        .await
        .expect(202);
    let resized = cloud.wait_status(&alice, &id, "VERIFY_RESIZE").await;
    assert_eq!(resized["OS-EXT-STS:power_state"], 4);
    act(&cloud, &alice, &id, json!({"revertResize": null}))
        .await
        .expect(202);
    let reverted = cloud.wait_status(&alice, &id, "SHUTOFF").await;
    assert_eq!(reverted["flavor"]["vcpus"], 1);
    act(&cloud, &alice, &id, json!({"resize": {"flavorRef": "2"}}))
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "VERIFY_RESIZE").await;
    act(&cloud, &alice, &id, json!({"confirmResize": null}))
        .await
        .expect(204);
    let done = cloud.wait_status(&alice, &id, "SHUTOFF").await;
    assert_eq!(done["flavor"]["vcpus"], 2);
    act(&cloud, &alice, &id, json!({"os-start": null}))
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    // Running, reverted in place: the guest of the old flavor replaces the
    // running one.
    act(&cloud, &alice, &id, json!({"resize": {"flavorRef": "1"}}))
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "VERIFY_RESIZE").await;
    act(&cloud, &alice, &id, json!({"revertResize": null}))
        .await
        .expect(202);
    let reverted = cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(reverted["flavor"]["vcpus"], 2);
}

#[tokio::test]
async fn live_migrations_move_running_servers() {
    let (cloud, admin, alice, image) = setup(2, |_| {}).await;
    let id = create(&cloud, &alice, server_body("live", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let source = admin_view(&cloud, &admin, &id).await["OS-EXT-SRV-ATTR:host"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"os-migrateLive": {"host": null, "block_migration": "auto"}});
    let live = |who, body: Value| {
        let (cloud, id) = (&cloud, id.clone());
        async move {
            cloud
                .send(
                    Method::POST,
                    &format!("/v2.1/servers/{id}/action"),
                    who,
                    Some(body),
                    Some("2.30"),
                )
                .await
        }
    };
    live(&alice, body.clone()).await.expect(403);
    let same = live(
        &admin,
        json!({"os-migrateLive": {"host": source, "block_migration": "auto"}}),
    )
    .await;
    assert_eq!(same.status, 400, "{}", same.body);
    live(&admin, body.clone()).await.expect(202);
    for _ in 0..100 {
        let server = admin_view(&cloud, &admin, &id).await;
        if server["OS-EXT-SRV-ATTR:host"] != source.as_str()
            && server["OS-EXT-STS:task_state"].is_null()
        {
            assert_eq!(server["status"], "ACTIVE");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let server = admin_view(&cloud, &admin, &id).await;
    assert_ne!(server["OS-EXT-SRV-ATTR:host"], source.as_str());
    let migrations = cloud
        .send(
            Method::GET,
            "/v2.1/os-migrations?migration_type=live-migration",
            &admin,
            None,
            Some("2.23"),
        )
        .await
        .body["migrations"]
        .clone();
    assert_eq!(migrations[0]["status"], "completed");

    // Paused servers move paused; stopped ones cannot move live.
    act(&cloud, &alice, &id, json!({"pause": null}))
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "PAUSED").await;
    live(&admin, body.clone()).await.expect(202);
    for _ in 0..100 {
        let server = admin_view(&cloud, &admin, &id).await;
        if server["OS-EXT-SRV-ATTR:host"] == source.as_str()
            && server["OS-EXT-STS:task_state"].is_null()
        {
            assert_eq!(server["status"], "PAUSED");
            assert_eq!(server["OS-EXT-STS:power_state"], 3);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        admin_view(&cloud, &admin, &id).await["OS-EXT-SRV-ATTR:host"],
        source.as_str()
    );
    act(&cloud, &alice, &id, json!({"unpause": null}))
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    act(&cloud, &alice, &id, json!({"os-stop": null}))
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "SHUTOFF").await;
    live(&admin, body).await.expect(409);
}

#[tokio::test]
async fn servers_of_a_host_that_is_down_are_evacuated() {
    let (cloud, admin, alice, image) = setup(2, |_| {}).await;
    let id = create(&cloud, &alice, server_body("evac", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let source = admin_view(&cloud, &admin, &id).await["OS-EXT-SRV-ATTR:host"]
        .as_str()
        .unwrap()
        .to_string();
    let evacuate = |version: &'static str, body: Value| {
        let (cloud, admin, id) = (&cloud, &admin, id.clone());
        async move {
            cloud
                .send(
                    Method::POST,
                    &format!("/v2.1/servers/{id}/action"),
                    admin,
                    Some(body),
                    Some(version),
                )
                .await
        }
    };
    let in_use = evacuate("2.14", json!({"evacuate": {}})).await;
    assert_eq!(in_use.status, 400);
    assert_eq!(
        in_use.message(),
        format!("Compute service of {source} is still in use.")
    );
    evacuate("2.1", json!({"evacuate": {}})).await.expect(400);

    // The source forced down: the server is built on the other host.
    let services = cloud
        .send(
            Method::GET,
            "/v2.1/os-services?binary=nova-compute",
            &admin,
            None,
            Some("2.53"),
        )
        .await
        .body["services"]
        .clone();
    let service = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["host"] == source.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud
        .send(
            Method::PUT,
            &format!("/v2.1/os-services/{service}"),
            &admin,
            Some(json!({"forced_down": true})),
            Some("2.53"),
        )
        .await
        .expect(200);
    let old = evacuate("2.1", json!({"evacuate": {"onSharedStorage": false}}))
        .await
        .expect(200);
    assert_eq!(old.body["adminPass"].as_str().unwrap().len(), 12);
    for _ in 0..100 {
        let server = admin_view(&cloud, &admin, &id).await;
        if server["OS-EXT-SRV-ATTR:host"] != source.as_str()
            && server["OS-EXT-STS:task_state"].is_null()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let server = admin_view(&cloud, &admin, &id).await;
    assert_ne!(server["OS-EXT-SRV-ATTR:host"], source.as_str());
    assert_eq!(server["status"], "ACTIVE");
    let migrations = cloud
        .send(
            Method::GET,
            "/v2.1/os-migrations",
            &admin,
            None,
            Some("2.23"),
        )
        .await
        .body["migrations"]
        .clone();
    assert_eq!(migrations[0]["migration_type"], "evacuation");
    assert_eq!(migrations[0]["status"], "done");
}
