//! The roles as an admin sees them: os-services from heartbeats,
//! os-hypervisors from the agent's reports, availability zones.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn services_hypervisors_and_zones() {
    let cloud = Cloud::with_config(|c| {
        c.set("fake", "vcpus", "8");
        c.set("fake", "memory_mb", "4096");
    })
    .await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    cloud.wait_for_hosts(&admin, 1).await;

    let services = cloud
        .send(Method::GET, "/v2.1/os-services", &admin, None, None)
        .await
        .expect(200)
        .body;
    let mut binaries: Vec<(&str, &str, &str)> = services["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["binary"].as_str().unwrap(),
                s["zone"].as_str().unwrap(),
                s["state"].as_str().unwrap(),
            )
        })
        .collect();
    binaries.sort();
    assert_eq!(
        binaries,
        [
            ("nova-compute", "nova", "up"),
            ("nova-conductor", "internal", "up"),
            ("nova-scheduler", "internal", "up")
        ]
    );
    assert!(services["services"][0]["id"].is_i64());
    assert!(services["services"][0].get("forced_down").is_none());
    let v253 = cloud
        .send(
            Method::GET,
            "/v2.1/os-services?binary=nova-compute",
            &admin,
            None,
            Some("2.53"),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(v253["services"].as_array().unwrap().len(), 1);
    assert_eq!(v253["services"][0]["id"].as_str().unwrap().len(), 36);
    assert_eq!(v253["services"][0]["forced_down"], false);
    cloud
        .send(
            Method::GET,
            "/v2.1/os-services?colour=red",
            &admin,
            None,
            Some("2.75"),
        )
        .await
        .expect(400);
    let resp = cloud
        .send(Method::GET, "/v2.1/os-services", &alice, None, None)
        .await
        .expect(403);
    assert_eq!(
        resp.message(),
        "Policy doesn't allow os_compute_api:os-services:list to be performed."
    );

    // Hypervisors: the fake node's size, per microversion.
    let detail = cloud
        .send(
            Method::GET,
            "/v2.1/os-hypervisors/detail",
            &admin,
            None,
            Some("2.27"),
        )
        .await
        .expect(200)
        .body;
    let node = &detail["hypervisors"][0];
    assert_eq!(node["hypervisor_hostname"], "node1");
    assert_eq!(node["hypervisor_type"], "fake");
    assert_eq!(node["vcpus"], 8);
    assert_eq!(node["memory_mb"], 4096);
    assert_eq!(node["free_ram_mb"], 4096);
    assert!(node["cpu_info"].is_string(), "a JSON text before 2.28");
    assert_eq!(node["service"]["host"], "node1");
    let id = node["id"].as_i64().unwrap();
    let shown = cloud
        .send(
            Method::GET,
            &format!("/v2.1/os-hypervisors/{id}"),
            &admin,
            None,
            Some("2.28"),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(shown["hypervisor"]["cpu_info"]["arch"], "x86_64");
    let v288 = cloud
        .send(
            Method::GET,
            "/v2.1/os-hypervisors/detail?with_servers=true",
            &admin,
            None,
            Some("2.88"),
        )
        .await
        .expect(200)
        .body;
    let node = &v288["hypervisors"][0];
    assert!(node.get("vcpus").is_none() && node.get("cpu_info").is_none());
    assert_eq!(node["uptime"], Value::Null);
    assert_eq!(node["servers"], serde_json::json!([]));
    let uuid = node["id"].as_str().unwrap().to_string();
    cloud
        .send(
            Method::GET,
            &format!("/v2.1/os-hypervisors/{uuid}"),
            &admin,
            None,
            Some("2.53"),
        )
        .await
        .expect(200);
    // The host's uptime, asked of its agent: its own path before 2.88, part
    // of the show from 2.88.
    let up = cloud
        .send(
            Method::GET,
            &format!("/v2.1/os-hypervisors/{id}/uptime"),
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(up["hypervisor"]["hypervisor_hostname"], "node1");
    assert!(
        up["hypervisor"]["uptime"]
            .as_str()
            .unwrap()
            .contains(" up "),
        "{up}"
    );
    let shown = cloud
        .send(
            Method::GET,
            &format!("/v2.1/os-hypervisors/{uuid}"),
            &admin,
            None,
            Some("2.88"),
        )
        .await
        .expect(200)
        .body;
    assert!(
        shown["hypervisor"]["uptime"]
            .as_str()
            .unwrap()
            .contains("load average"),
        "{shown}"
    );
    cloud
        .send(
            Method::GET,
            &format!("/v2.1/os-hypervisors/{uuid}/uptime"),
            &admin,
            None,
            Some("2.88"),
        )
        .await
        .expect(404);
    let resp = cloud
        .send(
            Method::GET,
            "/v2.1/os-hypervisors/42",
            &admin,
            None,
            Some("2.53"),
        )
        .await
        .expect(400);
    assert_eq!(resp.message(), "Invalid uuid 42");
    let resp = cloud
        .send(Method::GET, "/v2.1/os-hypervisors/42", &admin, None, None)
        .await
        .expect(404);
    assert_eq!(
        resp.message(),
        "Hypervisor with ID '42' could not be found."
    );
    let stats = cloud
        .send(
            Method::GET,
            "/v2.1/os-hypervisors/statistics",
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(stats["hypervisor_statistics"]["count"], 1);
    assert_eq!(stats["hypervisor_statistics"]["vcpus"], 8);
    cloud
        .send(
            Method::GET,
            "/v2.1/os-hypervisors/statistics",
            &admin,
            None,
            Some("2.88"),
        )
        .await
        .expect(404);
    let page = cloud
        .send(
            Method::GET,
            "/v2.1/os-hypervisors?limit=1",
            &admin,
            None,
            Some("2.53"),
        )
        .await
        .expect(200)
        .body;
    assert!(page["hypervisors_links"][0]["href"]
        .as_str()
        .unwrap()
        .contains(&format!("marker={uuid}")));
    let found = cloud
        .send(
            Method::GET,
            "/v2.1/os-hypervisors?hypervisor_hostname_pattern=node",
            &admin,
            None,
            Some("2.53"),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(found["hypervisors"].as_array().unwrap().len(), 1);
    let resp = cloud
        .send(
            Method::GET,
            "/v2.1/os-hypervisors?hypervisor_hostname_pattern=elsewhere",
            &admin,
            None,
            Some("2.53"),
        )
        .await
        .expect(404);
    assert_eq!(
        resp.message(),
        "No hypervisor matching 'elsewhere' could be found."
    );
    cloud
        .send(Method::GET, "/v2.1/os-hypervisors", &alice, None, None)
        .await
        .expect(403);

    // Zones: anyone sees "nova"; admins see the hosts, and "internal".
    let zones = cloud
        .send(
            Method::GET,
            "/v2.1/os-availability-zone",
            &alice,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        zones,
        serde_json::json!({"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": true}, "hosts": null}]})
    );
    let detail = cloud
        .send(
            Method::GET,
            "/v2.1/os-availability-zone/detail",
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    let names: Vec<&str> = detail["availabilityZoneInfo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["zoneName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["internal", "nova"]);
    assert_eq!(
        detail["availabilityZoneInfo"][1]["hosts"]["node1"]["nova-compute"]["available"],
        true
    );
    cloud
        .send(
            Method::GET,
            "/v2.1/os-availability-zone/detail",
            &alice,
            None,
            None,
        )
        .await
        .expect(403);
}

/// Aggregates: create (with a zone), hosts, metadata, the zone they give
/// their hosts, and Nova's refusals.
#[tokio::test]
async fn aggregates_and_the_zones_they_give() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    cloud.wait_for_hosts(&admin, 1).await;
    let send = |method: Method, path: &str, body: Option<Value>, version: Option<&'static str>| {
        let (cloud, admin, path) = (&cloud, &admin, path.to_string());
        async move { cloud.send(method, &path, admin, body, version).await }
    };
    let made = send(
        Method::POST,
        "/v2.1/os-aggregates",
        Some(serde_json::json!({"aggregate": {"name": "rack1", "availability_zone": "london"}})),
        Some("2.41"),
    )
    .await
    .expect(200)
    .body["aggregate"]
        .clone();
    assert_eq!(made["availability_zone"], "london");
    assert!(made.get("hosts").is_none() && made.get("metadata").is_none());
    assert_eq!(made["uuid"].as_str().unwrap().len(), 36);
    let id = made["id"].as_i64().unwrap();
    let resp = send(
        Method::POST,
        "/v2.1/os-aggregates",
        Some(serde_json::json!({"aggregate": {"name": "rack1"}})),
        None,
    )
    .await
    .expect(409);
    assert_eq!(resp.message(), "Aggregate rack1 already exists.");
    cloud
        .send(
            Method::POST,
            "/v2.1/os-aggregates",
            &alice,
            Some(serde_json::json!({"aggregate": {"name": "mine"}})),
            None,
        )
        .await
        .expect(403);

    // The host joins: its zone is now london.
    let resp = send(
        Method::POST,
        &format!("/v2.1/os-aggregates/{id}/action"),
        Some(serde_json::json!({"add_host": {"host": "nowhere"}})),
        None,
    )
    .await
    .expect(404);
    assert_eq!(resp.message(), "Compute host nowhere could not be found.");
    let joined = send(
        Method::POST,
        &format!("/v2.1/os-aggregates/{id}/action"),
        Some(serde_json::json!({"add_host": {"host": "node1"}})),
        None,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(joined["aggregate"]["hosts"], serde_json::json!(["node1"]));
    let resp = send(
        Method::POST,
        &format!("/v2.1/os-aggregates/{id}/action"),
        Some(serde_json::json!({"add_host": {"host": "node1"}})),
        None,
    )
    .await
    .expect(409);
    assert_eq!(
        resp.message(),
        format!("Aggregate {id} already has host node1.")
    );
    let services = send(
        Method::GET,
        "/v2.1/os-services?binary=nova-compute",
        None,
        None,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(services["services"][0]["zone"], "london");
    let zones = cloud
        .send(
            Method::GET,
            "/v2.1/os-availability-zone",
            &alice,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(zones["availabilityZoneInfo"][0]["zoneName"], "london");

    // Another aggregate in another zone may not take the host.
    let other = send(
        Method::POST,
        "/v2.1/os-aggregates",
        Some(serde_json::json!({"aggregate": {"name": "rack2", "availability_zone": "paris"}})),
        None,
    )
    .await
    .expect(200)
    .body["aggregate"]["id"]
        .as_i64()
        .unwrap();
    let resp = send(
        Method::POST,
        &format!("/v2.1/os-aggregates/{other}/action"),
        Some(serde_json::json!({"add_host": {"host": "node1"}})),
        None,
    )
    .await
    .expect(409);
    assert_eq!(resp.message(), format!("Cannot add host to aggregate {other}. Reason: One or more hosts already in availability zone(s) ['london']."));

    // Metadata merges; a null removes a key; the zone cannot be emptied.
    let meta = send(
        Method::POST,
        &format!("/v2.1/os-aggregates/{id}/action"),
        Some(serde_json::json!({"set_metadata": {"metadata": {"ssd": "true", "tier": "gold"}}})),
        None,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        meta["aggregate"]["metadata"],
        serde_json::json!({"availability_zone": "london", "ssd": "true", "tier": "gold"})
    );
    let meta = send(
        Method::POST,
        &format!("/v2.1/os-aggregates/{id}/action"),
        Some(serde_json::json!({"set_metadata": {"metadata": {"tier": null}}})),
        None,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        meta["aggregate"]["metadata"],
        serde_json::json!({"availability_zone": "london", "ssd": "true"})
    );
    let resp = send(
        Method::POST,
        &format!("/v2.1/os-aggregates/{id}/action"),
        Some(serde_json::json!({"set_metadata": {"metadata": {"availability_zone": null}}})),
        None,
    )
    .await
    .expect(400);
    assert_eq!(resp.message(), format!("Cannot update metadata of aggregate {id}. Reason: Aggregate rack1 does not support empty named availability zone."));
    let renamed = send(
        Method::PUT,
        &format!("/v2.1/os-aggregates/{id}"),
        Some(serde_json::json!({"aggregate": {"name": "rack-one"}})),
        None,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(renamed["aggregate"]["name"], "rack-one");

    // Not while it has hosts; then gone.
    let resp = send(
        Method::DELETE,
        &format!("/v2.1/os-aggregates/{id}"),
        None,
        None,
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        format!("Cannot remove host from aggregate {id}. Reason: Host aggregate is not empty.")
    );
    send(
        Method::POST,
        &format!("/v2.1/os-aggregates/{id}/action"),
        Some(serde_json::json!({"remove_host": {"host": "node1"}})),
        None,
    )
    .await
    .expect(200);
    let resp = send(
        Method::POST,
        &format!("/v2.1/os-aggregates/{id}/action"),
        Some(serde_json::json!({"remove_host": {"host": "node1"}})),
        None,
    )
    .await
    .expect(404);
    assert_eq!(
        resp.message(),
        format!("Cannot remove host node1 in aggregate {id}")
    );
    send(
        Method::DELETE,
        &format!("/v2.1/os-aggregates/{id}"),
        None,
        None,
    )
    .await
    .expect(200);
    let resp = send(
        Method::GET,
        &format!("/v2.1/os-aggregates/{id}"),
        None,
        None,
    )
    .await
    .expect(404);
    assert_eq!(
        resp.message(),
        format!("Aggregate {id} could not be found.")
    );
    let resp = send(Method::GET, "/v2.1/os-aggregates/abc", None, None)
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid input received: id must be an integer"
    );
    let services = send(
        Method::GET,
        "/v2.1/os-services?binary=nova-compute",
        None,
        None,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        services["services"][0]["zone"], "nova",
        "back in the default zone"
    );
}

/// Services changed and deleted: by action name before 2.53, by UUID from
/// then; only nova-compute may change.
#[tokio::test]
async fn services_are_disabled_forced_down_and_deleted() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    cloud.wait_for_hosts(&admin, 1).await;
    let send = |method: Method, path: &str, body: Option<Value>, version: Option<&'static str>| {
        let (cloud, admin, path) = (&cloud, &admin, path.to_string());
        async move { cloud.send(method, &path, admin, body, version).await }
    };
    // Before 2.53: actions on host and binary.
    let disabled = send(Method::PUT, "/v2.1/os-services/disable-log-reason", Some(serde_json::json!({"host": "node1", "binary": "nova-compute", "disabled_reason": "maintenance"})), None)
        .await
        .expect(200)
        .body;
    assert_eq!(
        disabled,
        serde_json::json!({"service": {"host": "node1", "binary": "nova-compute", "status": "disabled", "disabled_reason": "maintenance"}})
    );
    let resp = send(
        Method::PUT,
        "/v2.1/os-services/disable-log-reason",
        Some(serde_json::json!({"host": "node1", "binary": "nova-compute"})),
        None,
    )
    .await
    .expect(400);
    assert_eq!(resp.message(), "Missing disabled reason field");
    let resp = send(
        Method::PUT,
        "/v2.1/os-services/force-down",
        Some(serde_json::json!({"host": "node1", "binary": "nova-compute", "forced_down": true})),
        Some("2.10"),
    )
    .await;
    assert_eq!(
        resp.status, 400,
        "forced_down is not a field before 2.11: {}",
        resp.body
    );
    send(
        Method::PUT,
        "/v2.1/os-services/explode",
        Some(serde_json::json!({"host": "node1", "binary": "nova-compute"})),
        None,
    )
    .await
    .expect(404);
    let resp = send(
        Method::PUT,
        "/v2.1/os-services/enable",
        Some(serde_json::json!({"host": "node1", "binary": "nova-conductor"})),
        None,
    )
    .await
    .expect(400);
    assert_eq!(resp.message(), "Updating a nova-conductor service is not supported. Only nova-compute services can be updated.");
    let resp = send(
        Method::PUT,
        "/v2.1/os-services/enable",
        Some(serde_json::json!({"host": "nowhere", "binary": "nova-compute"})),
        None,
    )
    .await
    .expect(404);
    assert_eq!(
        resp.message(),
        "Could not find binary nova-compute on host nowhere."
    );
    let listed = send(
        Method::GET,
        "/v2.1/os-services?binary=nova-compute",
        None,
        Some("2.53"),
    )
    .await
    .expect(200)
    .body;
    let service = listed["services"][0].clone();
    assert_eq!(service["status"], "disabled");
    assert_eq!(service["disabled_reason"], "maintenance");
    let uuid = service["id"].as_str().unwrap().to_string();

    // From 2.53: by UUID.
    let forced = send(
        Method::PUT,
        &format!("/v2.1/os-services/{uuid}"),
        Some(serde_json::json!({"status": "enabled", "forced_down": true})),
        Some("2.53"),
    )
    .await
    .expect(200)
    .body["service"]
        .clone();
    assert_eq!(forced["status"], "enabled");
    assert_eq!(forced["disabled_reason"], Value::Null);
    assert_eq!(forced["forced_down"], true);
    assert_eq!(forced["state"], "down", "forced down means down");
    let resp = send(
        Method::PUT,
        &format!("/v2.1/os-services/{uuid}"),
        Some(serde_json::json!({"status": "enabled", "disabled_reason": "x"})),
        Some("2.53"),
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        "Specifying 'disabled_reason' with status 'enabled' is invalid."
    );
    let resp = send(
        Method::PUT,
        &format!("/v2.1/os-services/{uuid}"),
        Some(serde_json::json!({})),
        Some("2.53"),
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        "No updates were requested. Fields 'status' or 'forced_down' should be specified."
    );
    let resp = send(
        Method::PUT,
        "/v2.1/os-services/disable",
        Some(serde_json::json!({"status": "disabled"})),
        Some("2.53"),
    )
    .await
    .expect(400);
    assert_eq!(resp.message(), "Invalid uuid disable");
    let other = uuid::Uuid::new_v4();
    let resp = send(
        Method::PUT,
        &format!("/v2.1/os-services/{other}"),
        Some(serde_json::json!({"status": "disabled"})),
        Some("2.53"),
    )
    .await
    .expect(404);
    assert_eq!(
        resp.message(),
        format!("Service {other} could not be found.")
    );
    let up = send(
        Method::PUT,
        &format!("/v2.1/os-services/{uuid}"),
        Some(serde_json::json!({"forced_down": false})),
        Some("2.53"),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(up["service"]["state"], "up");

    // Deleted: gone with its node (its agent registers again when it next reports).
    let resp = send(Method::DELETE, "/v2.1/os-services/abc", None, None)
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid input received: id must be an integer"
    );
    send(
        Method::DELETE,
        &format!("/v2.1/os-services/{uuid}"),
        None,
        Some("2.53"),
    )
    .await
    .expect(204);
    let resp = send(
        Method::DELETE,
        &format!("/v2.1/os-services/{uuid}"),
        None,
        Some("2.53"),
    )
    .await
    .expect(404);
    assert_eq!(resp.message(), format!("Service {uuid} not found."));
}

#[tokio::test]
async fn one_process_simulates_many_hosts() {
    let cloud = Cloud::with_config(|c| c.set("fake", "hosts", "3")).await;
    let admin = cloud.identity.admin_persona().await;
    cloud.wait_for_hosts(&admin, 3).await;
    let listed = cloud
        .send(Method::GET, "/v2.1/os-hypervisors", &admin, None, None)
        .await
        .expect(200);
    let mut names: Vec<&str> = listed.body["hypervisors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hypervisor_hostname"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["node1-1", "node1-2", "node1-3"]);
}
