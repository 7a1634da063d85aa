//! Servers end to end on the fake driver: create through the scheduler,
//! conductor and agent to ACTIVE, the views at each microversion, list
//! filters and paging, power actions and their state checks, delete, action
//! records, quotas, and builds that fail.

mod common;

use common::{create, flavor, server_body, setup, Cloud, V47};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn a_server_boots_shows_and_goes() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    let resp = cloud
        .send(
            Method::POST,
            "/v2.1/servers",
            &alice,
            Some(
                json!({"server": {"name": "web 1", "imageRef": image, "flavorRef": "1",
                "networks": "none", "metadata": {"role": "web"}}}),
            ),
            V47,
        )
        .await
        .expect(202);
    let id = resp.body["server"]["id"].as_str().unwrap().to_string();
    assert_eq!(resp.body["server"]["adminPass"].as_str().unwrap().len(), 12);
    assert!(resp
        .header("location")
        .unwrap()
        .ends_with(&format!("/v2.1/servers/{id}")));

    let server = cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(server["OS-EXT-STS:vm_state"], "active");
    assert_eq!(server["OS-EXT-STS:power_state"], 1);
    assert_eq!(server["OS-EXT-STS:task_state"], Value::Null);
    assert_eq!(server["metadata"], json!({"role": "web"}));
    assert_eq!(server["image"]["id"], image.as_str());
    assert_eq!(server["flavor"]["vcpus"], 1);
    assert_eq!(server["flavor"]["original_name"], "f1");
    assert_eq!(server["hostId"].as_str().unwrap().len(), 56);
    assert!(server["OS-SRV-USG:launched_at"].is_string());
    // Host attributes are the admin's.
    assert!(server.get("OS-EXT-SRV-ATTR:host").is_none());
    let seen = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}"),
            &admin,
            None,
            Some("2.90"),
        )
        .await
        .expect(200)
        .body["server"]
        .clone();
    assert_eq!(seen["OS-EXT-SRV-ATTR:host"], "node1");
    assert_eq!(seen["OS-EXT-SRV-ATTR:hostname"], "web-1");
    assert_eq!(seen["host_status"], "UP");
    assert_eq!(seen["locked"], false);
    // Before 2.47 the flavor is a link.
    let old = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}"),
            &alice,
            None,
            None,
        )
        .await
        .body["server"]
        .clone();
    assert_eq!(old["flavor"]["id"], "1");
    assert!(old.get("tags").is_none());

    // Another project cannot see it.
    let bob = cloud.identity.persona(&["member"]).await;
    let hidden = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}"),
            &bob,
            None,
            None,
        )
        .await
        .expect(404);
    assert_eq!(
        hidden.message(),
        format!("Instance {id} could not be found.")
    );

    // Update.
    let updated = cloud
        .send(
            Method::PUT,
            &format!("/v2.1/servers/{id}"),
            &alice,
            Some(json!({"server": {"name": "web-renamed", "description": "front"}})),
            Some("2.19"),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["server"]["name"], "web-renamed");
    assert_eq!(updated.body["server"]["description"], "front");

    // Delete, through the agent.
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/servers/{id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(204);
    cloud.wait_status(&alice, &id, "DELETED").await;

    // The action records survive the server.
    let actions = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}/os-instance-actions"),
            &alice,
            None,
            None,
        )
        .await
        .expect(200);
    let names: Vec<&str> = actions.body["instanceActions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["delete", "create"]);
    let create_request = actions.body["instanceActions"][1]["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    let action = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}/os-instance-actions/{create_request}"),
            &admin,
            None,
            Some("2.62"),
        )
        .await
        .expect(200);
    let events: Vec<&str> = action.body["instanceAction"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert!(
        events.contains(&"compute__do_build_and_run_instance"),
        "{events:?}"
    );
    assert!(action.body["instanceAction"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["result"] == "Success"));

    // Its resources are free again.
    let node = cloud
        .send(
            Method::GET,
            "/v2.1/os-hypervisors/detail",
            &admin,
            None,
            None,
        )
        .await;
    let _ = node;
}

#[tokio::test]
async fn bad_creates_are_400s() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    let bad = |body: Value, version: Option<&'static str>| {
        let cloud = &cloud;
        let alice = &alice;
        async move {
            cloud
                .send(
                    Method::POST,
                    "/v2.1/servers",
                    alice,
                    Some(body),
                    version.or(V47),
                )
                .await
        }
    };
    let missing_networks = json!({"server": {"name": "a", "imageRef": image, "flavorRef": "1"}});
    assert_eq!(
        bad(missing_networks, None).await.expect(400).message(),
        "'networks' is a required property"
    );
    assert_eq!(
        bad(server_body("a", &image, "nope"), None)
            .await
            .expect(400)
            .message(),
        "Flavor nope could not be found."
    );
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        bad(server_body("a", &unknown, "1"), None)
            .await
            .expect(400)
            .message(),
        format!("Image {unknown} could not be found.")
    );
    let mut auto = server_body("a", &image, "1");
    auto["server"]["networks"] = json!("auto");
    assert!(bad(auto, None)
        .await
        .expect(400)
        .message()
        .starts_with("Unable to automatically allocate a network"));
    let mut counts = server_body("a", &image, "1");
    counts["server"]["min_count"] = json!(3);
    counts["server"]["max_count"] = json!(2);
    bad(counts, None).await.expect(400);
    let mut key = server_body("a", &image, "1");
    key["server"]["key_name"] = json!("nokey");
    assert_eq!(
        bad(key, None).await.expect(400).message(),
        "Invalid key_name provided."
    );
    let mut zone = server_body("a", &image, "1");
    zone["server"]["availability_zone"] = json!("mars");
    assert_eq!(
        bad(zone, None).await.expect(400).message(),
        "The requested availability zone is not available"
    );
    let mut forced = server_body("a", &image, "1");
    forced["server"]["availability_zone"] = json!("nova:node1");
    bad(forced, None).await.expect(403);
    // An image that needs more memory than the flavor has.
    let big = cloud.image(&alice, "big", 1024, 0).await;
    assert_eq!(
        bad(server_body("a", &big, "1"), None)
            .await
            .expect(400)
            .message(),
        "Flavor's memory is too small for requested image."
    );
    // Not JSON, and unknown fields.
    let resp = cloud
        .http
        .post(cloud.served.url("/v2.1/servers"))
        .header("X-Auth-Token", &alice.token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let mut extra = server_body("a", &image, "1");
    extra["server"]["wings"] = json!(2);
    assert!(bad(extra, None)
        .await
        .expect(400)
        .message()
        .contains("'wings' was unexpected"));
    let _ = admin;
}

#[tokio::test]
async fn power_actions_follow_novas_states() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    let id = create(&cloud, &alice, server_body("p", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let action = |body: Value| {
        let (cloud, alice, id) = (&cloud, &alice, id.clone());
        async move {
            cloud
                .send(
                    Method::POST,
                    &format!("/v2.1/servers/{id}/action"),
                    alice,
                    Some(body),
                    Some("2.73"),
                )
                .await
        }
    };
    action(json!({"os-stop": null})).await.expect(202);
    let stopped = cloud.wait_status(&alice, &id, "SHUTOFF").await;
    assert_eq!(stopped["OS-EXT-STS:power_state"], 4);
    assert_eq!(
        action(json!({"os-stop": null})).await.expect(409).message(),
        format!("Cannot 'stop' instance {id} while it is in vm_state stopped")
    );
    action(json!({"os-start": null})).await.expect(202);
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    action(json!({"reboot": {"type": "HARD"}}))
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    action(json!({"pause": null})).await.expect(202);
    assert_eq!(
        cloud.wait_status(&alice, &id, "PAUSED").await["OS-EXT-STS:power_state"],
        3
    );
    action(json!({"suspend": null})).await.expect(409);
    action(json!({"unpause": null})).await.expect(202);
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    action(json!({"suspend": null})).await.expect(202);
    cloud.wait_status(&alice, &id, "SUSPENDED").await;
    action(json!({"resume": null})).await.expect(202);
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    action(json!({"reboot": {"type": "WARM"}}))
        .await
        .expect(400);
    action(json!({"fly": null})).await.expect(404);

    // Locked by an admin: the owner can neither act nor unlock.
    cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{id}/action"),
            &admin,
            Some(json!({"lock": {"locked_reason": "audit"}})),
            Some("2.73"),
        )
        .await
        .expect(202);
    let shown = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}"),
            &alice,
            None,
            Some("2.73"),
        )
        .await
        .body["server"]
        .clone();
    assert_eq!(
        (shown["locked"].clone(), shown["locked_reason"].clone()),
        (json!(true), json!("audit"))
    );
    assert_eq!(
        action(json!({"os-stop": null})).await.expect(409).message(),
        format!("Instance {id} is locked")
    );
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/servers/{id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(409);
    action(json!({"unlock": null})).await.expect(403);
    cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{id}/action"),
            &admin,
            Some(json!({"unlock": null})),
            None,
        )
        .await
        .expect(202);
    action(json!({"os-stop": null})).await.expect(202);
    cloud.wait_status(&alice, &id, "SHUTOFF").await;
}

#[tokio::test]
async fn lists_filter_sort_and_page() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    let mut ids = Vec::new();
    for name in ["alpha", "beta", "gamma"] {
        let mut body = server_body(name, &image, "1");
        body["server"]["tags"] = json!([name, "all"]);
        let created = cloud
            .send(
                Method::POST,
                "/v2.1/servers",
                &alice,
                Some(body),
                Some("2.52"),
            )
            .await
            .expect(202);
        ids.push(created.body["server"]["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        cloud.wait_status(&alice, id, "ACTIVE").await;
    }
    let names = |resp: &common::Resp| -> Vec<String> {
        resp.body["servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };
    let get = |path: String| {
        let (cloud, alice) = (&cloud, &alice);
        async move {
            cloud
                .send(Method::GET, &path, alice, None, Some("2.26"))
                .await
                .expect(200)
        }
    };
    assert_eq!(names(&get("/v2.1/servers?name=^a".into()).await), ["alpha"]);
    assert_eq!(
        names(&get("/v2.1/servers?sort_key=display_name&sort_dir=asc".into()).await),
        ["alpha", "beta", "gamma"]
    );
    assert_eq!(
        names(&get("/v2.1/servers/detail?tags=beta".into()).await),
        ["beta"]
    );
    assert_eq!(
        names(&get("/v2.1/servers?not-tags-any=alpha,beta".into()).await),
        ["gamma"]
    );
    assert!(names(&get("/v2.1/servers?status=SHUTOFF".into()).await).is_empty());
    assert_eq!(
        names(&get("/v2.1/servers?status=ACTIVE".into()).await).len(),
        3
    );
    let page = get("/v2.1/servers?sort_key=display_name&sort_dir=asc&limit=2".into()).await;
    assert_eq!(names(&page), ["alpha", "beta"]);
    let next = page.body["servers_links"][0]["href"].as_str().unwrap();
    let rest = next.split_once("/v2.1/").unwrap().1;
    assert_eq!(names(&get(format!("/v2.1/{rest}")).await), ["gamma"]);
    // Newest first by default, one page at a time, each server once.
    let mut seen = Vec::new();
    let mut path = "/v2.1/servers?limit=1".to_string();
    loop {
        let page = get(path.clone()).await;
        seen.extend(names(&page));
        let Some(next) = page.body["servers_links"][0]["href"].as_str() else {
            break;
        };
        path = format!("/v2.1/{}", next.split_once("/v2.1/").unwrap().1);
        assert!(seen.len() <= 3, "{seen:?}");
    }
    // Created in the same second, they tie on created_at: the UUID decides.
    seen.sort();
    assert_eq!(seen, ["alpha", "beta", "gamma"]);
    let detail = get("/v2.1/servers/detail".into()).await;
    assert_eq!(
        detail.body["servers"][0]["tags"].as_array().unwrap().len(),
        2
    );
    // Bad queries.
    cloud
        .send(
            Method::GET,
            "/v2.1/servers?sort_key=wings",
            &alice,
            None,
            None,
        )
        .await
        .expect(400);
    cloud
        .send(Method::GET, "/v2.1/servers?marker=nope", &alice, None, None)
        .await
        .expect(400);
    cloud
        .send(
            Method::GET,
            "/v2.1/servers?changes-since=yesterday",
            &alice,
            None,
            None,
        )
        .await
        .expect(400);
    // Only an admin lists every project's.
    cloud
        .send(
            Method::GET,
            "/v2.1/servers?all_tenants=1",
            &alice,
            None,
            None,
        )
        .await
        .expect(403);
    let all = cloud
        .send(
            Method::GET,
            &format!(
                "/v2.1/servers?all_tenants=1&project_id={}",
                alice.project_id
            ),
            &admin,
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(all.body["servers"].as_array().unwrap().len(), 3);
    let own = cloud
        .send(Method::GET, "/v2.1/servers", &admin, None, None)
        .await
        .expect(200);
    assert!(own.body["servers"].as_array().unwrap().is_empty());
    // Deleted servers show up in changes-since.
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/servers/{}", ids[0]),
            &alice,
            None,
            None,
        )
        .await
        .expect(204);
    cloud.wait_status(&alice, &ids[0], "DELETED").await;
    let since = get("/v2.1/servers/detail?changes-since=2000-01-01T00:00:00Z".into()).await;
    let statuses: Vec<&str> = since.body["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "DELETED").count(), 1);
}

#[tokio::test]
async fn quotas_count_servers_cores_and_ram() {
    let (cloud, _admin, alice, image) = setup(1, |c| {
        c.set("quota", "instances", "3");
        c.set("quota", "cores", "-1");
    })
    .await;
    let mut body = server_body("q", &image, "1");
    body["server"]["min_count"] = json!(2);
    body["server"]["max_count"] = json!(5);
    body["server"]["return_reservation_id"] = json!(true);
    let created = create(&cloud, &alice, body).await;
    assert!(created["reservation_id"]
        .as_str()
        .unwrap()
        .starts_with("r-"));
    let listed = cloud
        .send(Method::GET, "/v2.1/servers", &alice, None, None)
        .await
        .body["servers"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(listed, 3);
    let over = cloud
        .send(
            Method::POST,
            "/v2.1/servers",
            &alice,
            Some(server_body("q", &image, "1")),
            V47,
        )
        .await
        .expect(403);
    assert_eq!(
        over.message(),
        "Quota exceeded for instances: Requested 1, but already used 3 of 3 instances"
    );
}

#[tokio::test]
async fn quotas_hold_under_concurrent_creates() {
    let (cloud, _admin, alice, image) = setup(1, |c| c.set("quota", "instances", "5")).await;
    let attempts = (0..12).map(|i| {
        let (cloud, alice, image) = (&cloud, &alice, image.clone());
        async move {
            cloud
                .send(
                    Method::POST,
                    "/v2.1/servers",
                    alice,
                    Some(server_body(&format!("c{i}"), &image, "1")),
                    V47,
                )
                .await
                .status
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 403).count(),
        7,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn failed_builds_end_in_error_with_a_fault() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    // No host has 8 GiB.
    flavor(&cloud, &admin, "huge", 8192, 1, 1).await;
    let id = create(&cloud, &alice, server_body("h", &image, "huge")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let failed = wait_error(&cloud, &alice, &id).await;
    assert_eq!(
        failed["fault"]["message"],
        "No valid host was found. There are not enough hosts available."
    );
    assert_eq!(failed["fault"]["code"], 500);
    assert!(
        failed["fault"].get("details").is_none(),
        "details are the admin's"
    );
    // The driver refuses a flavor with the failure spec.
    flavor(&cloud, &admin, "bad", 512, 1, 1).await;
    cloud
        .send(
            Method::POST,
            "/v2.1/flavors/bad/os-extra_specs",
            &admin,
            Some(json!({"extra_specs": {"fake:spawn_error": "true"}})),
            None,
        )
        .await
        .expect(200);
    let id = create(&cloud, &alice, server_body("b", &image, "bad")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let failed = wait_error(&cloud, &alice, &id).await;
    assert!(failed["fault"]["message"]
        .as_str()
        .unwrap()
        .starts_with(&format!("Build of instance {id} aborted")));
    // A server in ERROR deletes at once and frees what it held.
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/servers/{id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(204);
    cloud.wait_status(&alice, &id, "DELETED").await;
}

/// A server is never seen in ERROR without its fault: the state and the
/// fault are one write (CI once read an ERROR server whose fault was not
/// there yet).
#[tokio::test]
async fn an_error_is_never_seen_without_its_fault() {
    let (cloud, admin, alice, image) = setup(1, |c| c.set("quota", "instances", "-1")).await;
    flavor(&cloud, &admin, "bad", 256, 1, 1).await;
    cloud
        .send(
            Method::POST,
            "/v2.1/flavors/bad/os-extra_specs",
            &admin,
            Some(json!({"extra_specs": {"fake:spawn_error": "true"}})),
            None,
        )
        .await
        .expect(200);
    for i in 0..8 {
        create(&cloud, &alice, server_body(&format!("e{i}"), &image, "bad")).await;
    }
    for _ in 0..400 {
        let listed = cloud
            .send(Method::GET, "/v2.1/servers/detail", &alice, None, V47)
            .await
            .expect(200)
            .body;
        let servers = listed["servers"].as_array().unwrap();
        for server in servers.iter().filter(|s| s["status"] == "ERROR") {
            assert!(server["fault"]["message"].is_string(), "{server}");
        }
        if servers.iter().all(|s| s["status"] == "ERROR") {
            return;
        }
    }
    panic!("the builds never failed");
}

async fn wait_error(cloud: &Cloud, who: &Persona, id: &str) -> Value {
    for _ in 0..200 {
        let server = cloud
            .send(Method::GET, &format!("/v2.1/servers/{id}"), who, None, V47)
            .await
            .body["server"]
            .clone();
        if server["status"] == "ERROR" {
            return server;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("server {id} never failed");
}

#[tokio::test]
async fn the_scheduler_spreads_and_respects_capacity() {
    let (cloud, admin, alice, image) = setup(2, |c| c.set("quota", "instances", "-1")).await;
    let host_of = |id: String| {
        let (cloud, admin) = (&cloud, &admin);
        async move {
            cloud
                .send(
                    Method::GET,
                    &format!("/v2.1/servers/{id}"),
                    admin,
                    None,
                    None,
                )
                .await
                .body["server"]["OS-EXT-SRV-ATTR:host"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let boot = |body: Value| {
        let (cloud, alice) = (&cloud, &alice);
        async move {
            let id = create(cloud, alice, body).await["server"]["id"]
                .as_str()
                .unwrap()
                .to_string();
            cloud.wait_status(alice, &id, "ACTIVE").await;
            id
        }
    };
    // same_host / different_host hints (512 MiB each).
    let anchor = boot(server_body("anchor", &image, "1")).await;
    let mut apart = server_body("apart", &image, "1");
    apart["os:scheduler_hints"] = json!({"different_host": [anchor]});
    let apart = boot(apart).await;
    assert_ne!(host_of(anchor.clone()).await, host_of(apart.clone()).await);
    // 4 GiB usable per host (4.5 GiB less 512 MiB reserved), 512 MiB taken on
    // each: three more 1 GiB servers fit on each, spread by free RAM.
    flavor(&cloud, &admin, "2", 1024, 1, 1).await;
    let mut body = server_body("s", &image, "2");
    body["server"]["min_count"] = json!(6);
    body["server"]["return_reservation_id"] = json!(true);
    let reservation = create(&cloud, &alice, body).await["reservation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let servers = cloud
        .send(Method::GET, "/v2.1/servers/detail", &admin, None, None)
        .await;
    let _ = servers;
    let listed = cloud
        .send(Method::GET, "/v2.1/servers?name=^s-", &alice, None, None)
        .await
        .body["servers"]
        .clone();
    let mut hosts = std::collections::BTreeMap::new();
    for s in listed.as_array().unwrap() {
        let id = s["id"].as_str().unwrap().to_string();
        cloud.wait_status(&alice, &id, "ACTIVE").await;
        *hosts.entry(host_of(id).await).or_insert(0) += 1;
    }
    assert_eq!(
        hosts.values().copied().collect::<Vec<_>>(),
        [3, 3],
        "{hosts:?} ({reservation})"
    );
    // Both hosts are full now.
    let id = create(&cloud, &alice, server_body("x", &image, "2")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        wait_error(&cloud, &alice, &id).await["fault"]["message"],
        "No valid host was found. There are not enough hosts available."
    );
    // A deleted server's resources can be claimed again.
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/servers/{apart}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(204);
    cloud.wait_status(&alice, &apart, "DELETED").await;
    let mut same = server_body("same", &image, "1");
    same["os:scheduler_hints"] = json!({"same_host": anchor});
    let same = boot(same).await;
    assert_eq!(host_of(same).await, host_of(anchor).await);
}

#[tokio::test]
async fn rebuild_and_reset_state() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    let other = cloud.image(&alice, "other", 0, 0).await;
    let id = create(&cloud, &alice, server_body("r", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let act = |who: &Persona, body: Value, version: &'static str| {
        let (cloud, id, who) = (&cloud, id.clone(), who.clone());
        async move {
            cloud
                .send(
                    Method::POST,
                    &format!("/v2.1/servers/{id}/action"),
                    &who,
                    Some(body),
                    Some(version),
                )
                .await
        }
    };
    let rebuilt = act(
        &alice,
        json!({"rebuild": {"imageRef": other, "name": "r2", "metadata": {"v": "2"},
            "accessIPv6": "0:0:0:0:0:0:0:1", "description": "again"}}),
        "2.19",
    )
    .await
    .expect(202);
    let view = &rebuilt.body["server"];
    assert_eq!(view["status"], "REBUILD");
    assert_eq!(view["name"], "r2");
    assert_eq!(view["accessIPv6"], "::1");
    assert_eq!(view["metadata"], json!({"v": "2"}));
    assert_eq!(view["adminPass"].as_str().unwrap().len(), 12);
    let active = cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(active["image"]["id"], other.as_str());
    assert!(view.get("user_data").is_none(), "user_data only from 2.57");
    assert!(view.get("key_name").is_none(), "key_name only from 2.54");
    let with_data = act(
        &alice,
        json!({"rebuild": {"imageRef": other, "user_data": "aGk="}}),
        "2.57",
    )
    .await
    .expect(202);
    assert_eq!(with_data.body["server"]["user_data"], "aGk=");
    assert_eq!(with_data.body["server"].get("key_name"), Some(&Value::Null));
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    // From 2.75 an admin's rebuild reply has the extended attributes, but its
    // user data only as `user_data`.
    let by_admin = act(&admin, json!({"rebuild": {"imageRef": other}}), "2.75")
        .await
        .expect(202);
    let server = &by_admin.body["server"];
    assert!(server.get("OS-EXT-SRV-ATTR:host").is_some(), "{server}");
    assert!(
        server.get("OS-EXT-SRV-ATTR:user_data").is_none(),
        "{server}"
    );
    assert!(server.get("user_data").is_some());
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    // Only a soft-deleted server can be restored.
    assert_eq!(
        act(&alice, json!({"restore": null}), "2.1")
            .await
            .expect(409)
            .message(),
        format!("Cannot 'restore' instance {id} while it is in vm_state active")
    );
    // A stopped server is rebuilt stopped.
    act(&alice, json!({"os-stop": null}), "2.1")
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "SHUTOFF").await;
    act(&alice, json!({"rebuild": {"imageRef": image}}), "2.1")
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "SHUTOFF").await;
    // Bad rebuilds.
    act(&alice, json!({"rebuild": {}}), "2.1").await.expect(400);
    act(
        &alice,
        json!({"rebuild": {"imageRef": image, "key_name": null}}),
        "2.53",
    )
    .await
    .expect(400);
    let missing = uuid::Uuid::new_v4().to_string();
    act(&alice, json!({"rebuild": {"imageRef": missing}}), "2.1")
        .await
        .expect(400);

    // Only an admin resets a state, to active or error.
    act(&alice, json!({"os-resetState": {"state": "error"}}), "2.1")
        .await
        .expect(403);
    act(&admin, json!({"os-resetState": {"state": "paused"}}), "2.1")
        .await
        .expect(400);
    act(&admin, json!({"os-resetState": {"state": "error"}}), "2.1")
        .await
        .expect(202);
    let shown = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}"),
            &alice,
            None,
            None,
        )
        .await
        .body["server"]
        .clone();
    assert_eq!(shown["status"], "ERROR");
    act(&admin, json!({"os-resetState": {"state": "active"}}), "2.1")
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "ACTIVE").await;
}

#[tokio::test]
async fn builds_that_take_too_long_end_in_error() {
    let (cloud, _admin, alice, image) = setup(1, |c| {
        c.set("fake", "spawn_delay_ms", "4000");
        c.set("DEFAULT", "instance_build_timeout", "1");
    })
    .await;
    let id = create(&cloud, &alice, server_body("slow", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut server = Value::Null;
    for _ in 0..100 {
        server = cloud
            .send(
                Method::GET,
                &format!("/v2.1/servers/{id}"),
                &alice,
                None,
                V47,
            )
            .await
            .body["server"]
            .clone();
        if server["status"] == "ERROR" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(server["status"], "ERROR", "{server}");
    assert_eq!(
        server["fault"]["message"],
        "Instance build timed out. Set to error state."
    );
    // The late spawn does not bring it back.
    tokio::time::sleep(std::time::Duration::from_millis(4500)).await;
    let after = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}"),
            &alice,
            None,
            V47,
        )
        .await
        .body["server"]
        .clone();
    assert_eq!(after["status"], "ERROR");
}

#[tokio::test]
async fn disk_config_is_kept_through_update_rebuild_and_resize() {
    let (cloud, _admin, alice, image) = setup(1, |_| {}).await;
    let mut body = server_body("dc", &image, "1");
    body["server"]["OS-DCF:diskConfig"] = json!("AUTO");
    let created = create(&cloud, &alice, body).await;
    assert_eq!(created["server"]["OS-DCF:diskConfig"], "AUTO");
    let id = created["server"]["id"].as_str().unwrap().to_string();
    let shown = cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(shown["OS-DCF:diskConfig"], "AUTO");

    let path = format!("/v2.1/servers/{id}");
    let updated = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"server": {"OS-DCF:diskConfig": "MANUAL"}})),
            V47,
        )
        .await
        .expect(200);
    assert_eq!(updated.body["server"]["OS-DCF:diskConfig"], "MANUAL");
    let rebuilt = cloud
        .send(
            Method::POST,
            &format!("{path}/action"),
            &alice,
            Some(json!({"rebuild": {"imageRef": image, "OS-DCF:diskConfig": "AUTO"}})),
            V47,
        )
        .await
        .expect(202);
    assert_eq!(rebuilt.body["server"]["OS-DCF:diskConfig"], "AUTO");
    let shown = cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(shown["OS-DCF:diskConfig"], "AUTO");
    cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"server": {"OS-DCF:diskConfig": "auto"}})),
            V47,
        )
        .await
        .expect(400);
}

#[tokio::test]
async fn servers_show_their_host_s_zone_and_are_pinned_and_unpinned_at_2_104() {
    let (cloud, _admin, alice, image) = setup(1, |_| {}).await;
    let id = common::active_server(&cloud, &alice, "zoned", &image).await;
    let v104 = Some("2.104");
    let path = format!("/v2.1/servers/{id}");
    let shown = cloud
        .send(Method::GET, &path, &alice, None, v104)
        .await
        .expect(200);
    // Not pinned, yet in its host's zone (the default one here).
    assert_eq!(shown.body["server"]["OS-EXT-AZ:availability_zone"], "nova");
    assert_eq!(
        shown.body["server"]["pinned_availability_zone"],
        Value::Null
    );
    let pin = |zone: Value, version| {
        cloud.send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"server": {"pinned_availability_zone": zone}})),
            version,
        )
    };
    let elsewhere = pin(json!("az9"), v104).await.expect(409);
    assert_eq!(
        elsewhere.message(),
        "Server can only be pinned to its current availability zone 'nova', but 'az9' was requested."
    );
    let pinned = pin(json!("nova"), v104).await.expect(200);
    assert_eq!(pinned.body["server"]["pinned_availability_zone"], "nova");
    pin(json!("nova"), v104).await.expect(200);
    let moved = pin(json!("az9"), v104).await.expect(409);
    assert!(
        moved.message().starts_with("Cannot change pinned"),
        "{}",
        moved.body
    );
    let unpinned = pin(Value::Null, v104).await.expect(200);
    assert_eq!(
        unpinned.body["server"]["pinned_availability_zone"],
        Value::Null
    );
    let shown = cloud
        .send(Method::GET, &path, &alice, None, v104)
        .await
        .expect(200);
    assert_eq!(shown.body["server"]["OS-EXT-AZ:availability_zone"], "nova");
    assert_eq!(
        shown.body["server"]["pinned_availability_zone"],
        Value::Null
    );
    pin(Value::Null, v104).await.expect(200);
    // Before 2.104 the field is not one an update may have.
    pin(json!("nova"), Some("2.103")).await.expect(400);
}
