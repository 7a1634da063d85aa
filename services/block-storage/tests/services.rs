//! `os-services` (filters; enable, disable, disable-log-reason, honoured by the
//! scheduler) and `os-hosts` (enabled services; what a volume host holds).

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn services_filter_disable_and_hosts() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let at = |path: &str| format!("/v3/{}/{path}", admin.project_id);
    let send = |method: Method, path: String, body: Option<Value>| {
        let (cloud, admin) = (&cloud, &admin);
        async move { cloud.send(method, &path, admin, body, None).await }
    };
    let volume_services = send(Method::GET, at("os-services?binary=cinder-volume"), None)
        .await
        .expect(200)
        .body["services"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!volume_services.is_empty());
    assert!(volume_services
        .iter()
        .all(|s| s["binary"] == "cinder-volume"));
    assert_eq!(volume_services[0]["frozen"], false);
    assert_eq!(volume_services[0]["disabled_reason"], Value::Null);
    let backends: Vec<String> = volume_services
        .iter()
        .map(|s| s["host"].as_str().unwrap().to_string())
        .collect();
    let machine = backends[0].split('@').next().unwrap().to_string();
    let on_machine = send(
        Method::GET,
        at(&format!("os-services?host={machine}")),
        None,
    )
    .await
    .expect(200)
    .body;
    let binaries: Vec<&str> = on_machine["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["binary"].as_str().unwrap())
        .collect();
    assert!(binaries.contains(&"cinder-volume"), "{binaries:?}");

    // Bad requests and callers.
    let change = |action: &str, body: Value| {
        send(
            Method::PUT,
            at(&format!("os-services/{action}")),
            Some(body),
        )
    };
    let resp = change(
        "enable",
        json!({"host": "nowhere", "binary": "cinder-volume"}),
    )
    .await
    .expect(404);
    assert_eq!(
        resp.message(),
        "Service None could not be found on host nowhere."
    );
    change(
        "disable-log-reason",
        json!({"host": backends[0], "binary": "cinder-volume", "disabled_reason": null}),
    )
    .await
    .expect(400);
    change("disable", json!({"binary": "cinder-volume"}))
        .await
        .expect(400);
    change(
        "explode",
        json!({"host": backends[0], "binary": "cinder-volume"}),
    )
    .await
    .expect(404);
    cloud
        .send(
            Method::PUT,
            &format!("/v3/{}/os-services/disable", alice.project_id),
            &alice,
            Some(json!({"host": backends[0], "binary": "cinder-volume"})),
            None,
        )
        .await
        .expect(403);

    // Every backend disabled: the scheduler places nothing; os-hosts hides them.
    for backend in &backends {
        let answer = change(
            "disable-log-reason",
            json!({"host": backend, "binary": "cinder-volume", "disabled_reason": "maintenance"}),
        )
        .await
        .expect(200)
        .body;
        assert_eq!(answer["status"], "disabled");
        assert_eq!(answer["disabled_reason"], "maintenance");
    }
    let listed = send(Method::GET, at("os-services?binary=cinder-volume"), None)
        .await
        .expect(200)
        .body;
    assert!(listed["services"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "disabled" && s["disabled_reason"] == "maintenance"));
    let hosts = send(Method::GET, at("os-hosts"), None)
        .await
        .expect(200)
        .body;
    assert!(hosts["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["service"] != "cinder-volume"));
    let volumes = format!("/v3/{}/volumes", alice.project_id);
    let refused = cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &refused, "error").await;

    for backend in &backends {
        let answer = change(
            "enable",
            json!({"host": backend, "service": "cinder-volume"}),
        )
        .await
        .expect(200)
        .body;
        assert_eq!(
            answer,
            json!({"host": backend, "binary": "", "service": "cinder-volume", "status": "enabled", "disabled": false, "disabled_reason": null})
        );
    }
    let placed = cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"size": 2}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &placed, "available").await;
    let shown = send(Method::GET, at(&format!("volumes/{placed}")), None)
        .await
        .expect(200)
        .body;
    let host = shown["volume"]["os-vol-host-attr:host"]
        .as_str()
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();

    let hosts = send(Method::GET, at("os-hosts"), None)
        .await
        .expect(200)
        .body;
    let volume_hosts: Vec<&Value> = hosts["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["service"] == "cinder-volume")
        .collect();
    assert_eq!(volume_hosts.len(), backends.len());
    assert_eq!(volume_hosts[0]["service-state"], "enabled");
    assert_eq!(volume_hosts[0]["service-status"], "available");
    let usage = send(Method::GET, at(&format!("os-hosts/{host}")), None)
        .await
        .expect(200)
        .body;
    let rows = usage["host"].as_array().unwrap();
    assert_eq!(rows[0]["resource"]["project"], "(total)");
    assert_eq!(rows[0]["resource"]["volume_count"], "1");
    assert_eq!(rows[0]["resource"]["total_volume_gb"], "2");
    assert_eq!(rows[1]["resource"]["project"], alice.project_id.as_str());
    send(Method::GET, at("os-hosts/nowhere"), None)
        .await
        .expect(404);
}

/// Freezing a backend disables it ("frozen") and stops its volumes and
/// snapshots from being deleted or snapshotted until it is thawed.
#[tokio::test]
async fn frozen_backends_keep_their_volumes() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let at = |who: &ferrostack_identity::testing::Persona, path: &str| {
        format!("/v3/{}/{path}", who.project_id)
    };
    let made = cloud
        .send(
            Method::POST,
            &at(&alice, "volumes"),
            &alice,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(202);
    let id = made.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "available").await;
    let shown = cloud
        .send(
            Method::GET,
            &at(&admin, &format!("volumes/{id}")),
            &admin,
            None,
            None,
        )
        .await
        .body;
    let backend = shown["volume"]["os-vol-host-attr:host"]
        .as_str()
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();
    let change = |action: &'static str, body: Value, who| {
        let (cloud, path) = (&cloud, at(who, &format!("os-services/{action}")));
        async move { cloud.send(Method::PUT, &path, who, Some(body), None).await }
    };

    // Bad requests and callers.
    let resp = change("freeze", json!({"host": "nowhere"}), &admin)
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid input received: No service found with host=nowhere"
    );
    change("freeze", json!({}), &admin).await.expect(400);
    change("freeze", json!({"host": backend, "x": 1}), &admin)
        .await
        .expect(400);
    change("freeze", json!({"host": backend}), &alice)
        .await
        .expect(403);
    let resp = change("thaw", json!({"host": backend}), &admin)
        .await
        .expect(400);
    assert!(
        resp.message().contains("must be True to failover"),
        "{}",
        resp.message()
    );

    change("freeze", json!({"host": backend}), &admin)
        .await
        .expect(200);
    let resp = change("freeze", json!({"host": backend}), &admin)
        .await
        .expect(400);
    assert!(
        resp.message().contains("must be False to failover"),
        "{}",
        resp.message()
    );
    let services = cloud
        .send(
            Method::GET,
            &at(&admin, &format!("os-services?host={backend}")),
            &admin,
            None,
            None,
        )
        .await
        .body;
    let frozen = &services["services"][0];
    assert_eq!(frozen["frozen"], true);
    assert_eq!(frozen["status"], "disabled");
    assert_eq!(frozen["disabled_reason"], "frozen");
    let refused = "Invalid input received: Modification operations are not allowed on frozen storage backends.";
    let resp = cloud
        .send(
            Method::POST,
            &at(&alice, "snapshots"),
            &alice,
            Some(json!({"snapshot": {"volume_id": id}})),
            None,
        )
        .await
        .expect(400);
    assert_eq!(resp.message(), refused);
    let resp = cloud
        .send(
            Method::DELETE,
            &at(&alice, &format!("volumes/{id}")),
            &alice,
            None,
            None,
        )
        .await
        .expect(400);
    assert_eq!(resp.message(), refused);

    change("thaw", json!({"host": backend}), &admin)
        .await
        .expect(200);
    let services = cloud
        .send(
            Method::GET,
            &at(&admin, &format!("os-services?host={backend}")),
            &admin,
            None,
            None,
        )
        .await
        .body;
    assert_eq!(services["services"][0]["frozen"], false);
    assert_eq!(services["services"][0]["status"], "enabled");
    cloud
        .send(
            Method::DELETE,
            &at(&alice, &format!("volumes/{id}")),
            &alice,
            None,
            None,
        )
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "gone").await;
}
