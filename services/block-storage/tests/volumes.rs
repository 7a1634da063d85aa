//! Volumes over HTTP with the api, scheduler and volume roles running together on
//! the transport the testkit chose, two file backends, and a real identity.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn versions_and_microversions() {
    let cloud = Cloud::start().await;
    let resp = cloud.http.get(cloud.served.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 300);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["versions"][0]["id"], "v3.0");
    assert_eq!(body["versions"][0]["version"], "3.71");
    assert_eq!(body["versions"][0]["min_version"], "3.0");
    let alice = cloud.identity.persona(&["member"]).await;
    let path = format!("/v3/{}/volumes", alice.project_id);
    let resp = cloud
        .send(Method::GET, &path, &alice, None, None)
        .await
        .expect(200);
    assert_eq!(resp.headers["openstack-api-version"], "volume 3.0");
    let resp = cloud
        .send(Method::GET, &path, &alice, None, Some("volume latest"))
        .await
        .expect(200);
    assert_eq!(resp.headers["openstack-api-version"], "volume 3.71");
    let resp = cloud
        .send(Method::GET, &path, &alice, None, Some("volume 3.72"))
        .await
        .expect(406);
    assert!(resp.body["computeFault"]["message"]
        .as_str()
        .unwrap()
        .contains("maximum is 3.71"));
    let resp = cloud
        .send(Method::GET, &path, &alice, None, Some("volume 3.x"))
        .await
        .expect(400);
    assert!(resp.body["badRequest"]["message"]
        .as_str()
        .unwrap()
        .contains("invalid format"));
    // The project in the URL must be the token's.
    let resp = cloud
        .send(Method::GET, "/v3/someone-else/volumes", &alice, None, None)
        .await
        .expect(400);
    assert_eq!(resp.body["badRequest"]["message"], "Malformed request url");
}

#[tokio::test]
async fn create_show_list_update_delete() {
    lifecycle(Cloud::start().await).await;
}

#[tokio::test]
async fn roles_apart_meet_on_the_bus() {
    lifecycle(Cloud::start_split(true).await).await;
}

async fn lifecycle(cloud: Cloud) {
    let alice = cloud.identity.persona(&["member"]).await;
    let base = format!("/v3/{}/volumes", alice.project_id);
    let created = cloud
        .send(
            Method::POST,
            &base,
            &alice,
            Some(json!({"volume": {"size": 1, "name": "data", "metadata": {"k": "v"}}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]
        .clone();
    assert_eq!(created["status"], "creating");
    assert_eq!(created["volume_type"], "__DEFAULT__");
    assert_eq!(created["availability_zone"], "nova");
    assert_eq!(created["metadata"], json!({"k": "v"}));
    assert!(
        created.get("os-vol-host-attr:host").is_none(),
        "admin-only field shown"
    );
    // Cinder's extensions add the project to shown and listed volumes, not to
    // create answers (tempest's create schema refuses it).
    assert!(created.get("os-vol-tenant-attr:tenant_id").is_none());
    let id = created["id"].as_str().unwrap().to_string();
    let volume = cloud.wait_status(&alice, &id, "available").await;
    assert_eq!(
        volume["os-vol-tenant-attr:tenant_id"],
        alice.project_id.as_str()
    );
    assert_eq!(volume["size"], 1);
    assert_eq!(volume["bootable"], "false");
    // The data is a real file of the asked size on one of the backends.
    let files: Vec<_> = ["gold", "silver"]
        .iter()
        .map(|b| {
            cloud
                .env
                .dir
                .join("volumes")
                .join(b)
                .join(format!("volume-{id}"))
        })
        .filter(|p| p.exists())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let admin = cloud.identity.admin_persona().await;
    let as_admin = cloud
        .send(
            Method::GET,
            &format!("/v3/{}/volumes/{id}", admin.project_id),
            &admin,
            None,
            None,
        )
        .await;
    // Admins see any volume by id, with the admin-only fields.
    let as_admin = as_admin.expect(200);
    assert!(as_admin.body["volume"]["os-vol-host-attr:host"]
        .as_str()
        .unwrap()
        .starts_with("node1@"));
    let bob = cloud.identity.persona(&["member"]).await;
    cloud
        .send(
            Method::GET,
            &format!("/v3/{}/volumes/{id}", bob.project_id),
            &bob,
            None,
            None,
        )
        .await
        .expect(404);

    let listed = cloud
        .send(Method::GET, &base, &alice, None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(
        listed["volumes"][0],
        json!({"id": id, "name": "data", "links": listed["volumes"][0]["links"]})
    );
    let detailed = cloud
        .send(
            Method::GET,
            &format!("{base}/detail"),
            &alice,
            None,
            Some("volume 3.63"),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(detailed["volumes"][0]["status"], "available");
    assert!(detailed["volumes"][0]["volume_type_id"].is_string());
    let all = cloud
        .send(
            Method::GET,
            &format!("/v3/{}/volumes/detail?all_tenants=1", admin.project_id),
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert!(all["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["id"] == id.as_str()));
    assert!(all["volumes"][0].get("os-vol-host-attr:host").is_some());
    // all_tenants narrowed to one project: only alice's, not the admin's.
    let mine = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes", admin.project_id),
            &admin,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let hers = cloud
        .send(
            Method::GET,
            &format!(
                "/v3/{}/volumes?all_tenants=1&project_id={}",
                admin.project_id, alice.project_id
            ),
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    let ids: Vec<&str> = hers["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&id.as_str()) && !ids.contains(&mine.as_str()),
        "{ids:?}"
    );

    let updated = cloud
        .send(
            Method::PUT,
            &format!("{base}/{id}"),
            &alice,
            Some(json!({"volume": {"name": "renamed"}})),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(updated["volume"]["name"], "renamed");
    let shown = cloud
        .send(Method::GET, &format!("{base}/{id}"), &alice, None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(shown["volume"]["name"], "renamed", "the update was stored");

    cloud
        .send(Method::DELETE, &format!("{base}/{id}"), &alice, None, None)
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "gone").await;
    assert!(files.iter().all(|f| !f.exists()), "data removed");
    let resp = cloud
        .send(Method::GET, &format!("{base}/{id}"), &alice, None, None)
        .await
        .expect(404);
    assert_eq!(
        resp.body["itemNotFound"]["message"],
        format!("Volume {id} could not be found.")
    );
}

#[tokio::test]
async fn bad_input_gets_cinder_errors() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let base = format!("/v3/{}/volumes", alice.project_id);
    for body in [
        json!({"volume": {}}),
        json!({"volume": {"size": 0}}),
        json!({"volume": {"size": "abc"}}),
        json!({"volume": {"size": 1, "multiattach": true}}),
        json!({"nothing": {}}),
    ] {
        let resp = cloud
            .send(Method::POST, &base, &alice, Some(body.clone()), None)
            .await
            .expect(400);
        assert!(
            resp.body["badRequest"]["code"] == 400,
            "{body}: {}",
            resp.body
        );
    }
    let resp = cloud
        .send(
            Method::POST,
            &base,
            &alice,
            Some(json!({"volume": {"size": 1, "volume_type": "nope"}})),
            None,
        )
        .await
        .expect(404);
    assert!(resp.body["itemNotFound"]["message"]
        .as_str()
        .unwrap()
        .contains("nope"));
    cloud
        .send(Method::GET, &format!("{base}/nope"), &alice, None, None)
        .await
        .expect(404);
    cloud
        .send(Method::DELETE, &format!("{base}/nope"), &alice, None, None)
        .await
        .expect(404);
    let member = cloud.identity.persona(&["member"]).await;
    cloud
        .send(
            Method::GET,
            &format!("/v3/{}/os-services", member.project_id),
            &member,
            None,
            None,
        )
        .await
        .expect(403);
}

#[tokio::test]
async fn actions_extend_reset_force_delete_bootable() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let admin = cloud.identity.admin_persona().await;
    let base = format!("/v3/{}/volumes", alice.project_id);
    let created = cloud
        .send(
            Method::POST,
            &base,
            &alice,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(202)
        .body;
    let id = created["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "available").await;
    let action = format!("{base}/{id}/action");
    let resp = cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-extend": {"new_size": 1}})),
            None,
        )
        .await
        .expect(400);
    assert!(resp.body["badRequest"]["message"]
        .as_str()
        .unwrap()
        .contains(
            "New size for extend must be greater than current size. (current: 1, extended: 1)."
        ));
    cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-extend": {"new_size": 2}})),
            None,
        )
        .await
        .expect(202);
    let mut grown = Value::Null;
    for _ in 0..200 {
        grown = cloud.wait_status(&alice, &id, "available").await;
        if grown["size"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(grown["size"], 2);
    let file = ["gold", "silver"]
        .iter()
        .map(|b| {
            cloud
                .env
                .dir
                .join("volumes")
                .join(b)
                .join(format!("volume-{id}"))
        })
        .find(|p| p.exists())
        .unwrap();
    let virtual_size = std::process::Command::new("qemu-img")
        .args(["info", "--output=json", file.to_str().unwrap()])
        .output()
        .unwrap();
    let info: Value = serde_json::from_slice(&virtual_size.stdout).unwrap();
    assert_eq!(info["virtual-size"], 2u64 << 30);

    cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-set_bootable": {"bootable": true}})),
            None,
        )
        .await
        .expect(200);
    let shown = cloud
        .send(Method::GET, &format!("{base}/{id}"), &alice, None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(shown["volume"]["bootable"], "true");
    cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-frobnicate": {}})),
            None,
        )
        .await
        .expect(400);

    // Admin-only actions.
    let admin_action = format!("/v3/{}/volumes/{id}/action", admin.project_id);
    cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-reset_status": {"status": "error"}})),
            None,
        )
        .await
        .expect(403);
    cloud
        .send(
            Method::POST,
            &admin_action,
            &admin,
            Some(json!({"os-reset_status": {"status": "bogus"}})),
            None,
        )
        .await
        .expect(400);
    cloud
        .send(
            Method::POST,
            &admin_action,
            &admin,
            Some(json!({"os-reset_status": {"status": "in-use"}})),
            None,
        )
        .await
        .expect(202);
    let resp = cloud
        .send(Method::DELETE, &format!("{base}/{id}"), &alice, None, None)
        .await
        .expect(400);
    assert!(resp.body["badRequest"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid volume: Volume status must be available"));
    cloud
        .send(
            Method::POST,
            &admin_action,
            &admin,
            Some(json!({"os-force_delete": {}})),
            None,
        )
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "gone").await;
    assert!(!file.exists());
}

#[tokio::test]
async fn operations_nobody_finishes_are_marked_failed() {
    let cloud = Cloud::api_alone().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let base = format!("/v3/{}/volumes", alice.project_id);
    let created = cloud
        .send(
            Method::POST,
            &base,
            &alice,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(202)
        .body;
    let id = created["volume"]["id"].as_str().unwrap();
    // No scheduler and no volume manager: the volume ends in error, not creating.
    cloud.wait_status(&alice, id, "error").await;
    // An errored volume that was never placed is deleted at once.
    cloud
        .send(Method::DELETE, &format!("{base}/{id}"), &alice, None, None)
        .await
        .expect(202);
    cloud.wait_status(&alice, id, "gone").await;
}

#[tokio::test]
async fn metadata_like_filter_and_count() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let base = format!("/v3/{}/volumes", alice.project_id);
    let mut ids = Vec::new();
    for name in ["alpha-one", "alpha-two", "beta"] {
        let created = cloud
            .send(
                Method::POST,
                &base,
                &alice,
                Some(json!({"volume": {"size": 1, "name": name}})),
                None,
            )
            .await
            .expect(202)
            .body;
        ids.push(created["volume"]["id"].as_str().unwrap().to_string());
    }
    let meta = format!("{base}/{}/metadata", ids[0]);
    let merged = cloud
        .send(
            Method::POST,
            &meta,
            &alice,
            Some(json!({"metadata": {"a": "1", "b": "2"}})),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(merged["metadata"], json!({"a": "1", "b": "2"}));
    cloud
        .send(
            Method::PUT,
            &format!("{meta}/a"),
            &alice,
            Some(json!({"meta": {"a": "3"}})),
            None,
        )
        .await
        .expect(200);
    cloud
        .send(Method::DELETE, &format!("{meta}/b"), &alice, None, None)
        .await
        .expect(200);
    cloud
        .send(Method::DELETE, &format!("{meta}/b"), &alice, None, None)
        .await
        .expect(404);
    cloud
        .send(
            Method::POST,
            &meta,
            &alice,
            Some(json!({"metadata": {"bad key!": "x"}})),
            None,
        )
        .await
        .expect(400);
    let shown = cloud
        .send(Method::GET, &meta, &alice, None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(shown["metadata"], json!({"a": "3"}));
    let replaced = cloud
        .send(
            Method::PUT,
            &meta,
            &alice,
            Some(json!({"metadata": {"z": "9"}})),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(replaced["metadata"], json!({"z": "9"}));

    let like = format!("{base}?name~=alpha&with_count=true");
    let listed = cloud
        .send(Method::GET, &like, &alice, None, Some("volume 3.45"))
        .await
        .expect(200)
        .body;
    assert_eq!(listed["volumes"].as_array().unwrap().len(), 2);
    assert_eq!(listed["count"], 2);
    // Before 3.34 `name~` is not a filter, before 3.45 there is no count.
    let old = cloud
        .send(Method::GET, &like, &alice, None, Some("volume 3.33"))
        .await
        .expect(200)
        .body;
    assert_eq!(old["volumes"].as_array().unwrap().len(), 3);
    assert!(old.get("count").is_none());
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let base = format!("/v3/{}/volumes", alice.project_id);
    let mut ids = Vec::new();
    for (name, size, metadata) in [
        ("d", 1, json!({"tier": "gold"})),
        ("c", 3, json!({})),
        ("b", 2, json!({"tier": "gold", "x_y": "1"})),
        ("a", 1, json!({"tier": "silver"})),
    ] {
        let made = cloud
            .send(
                Method::POST,
                &base,
                &alice,
                Some(json!({"volume": {"size": size, "name": name, "metadata": metadata}})),
                None,
            )
            .await
            .expect(202);
        ids.push(made.body["volume"]["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        cloud.wait_status(&alice, id, "available").await;
    }
    cloud
        .send(
            Method::POST,
            &format!("{base}/{}/action", ids[1]),
            &alice,
            Some(json!({"os-set_bootable": {"bootable": true}})),
            None,
        )
        .await
        .expect(200);
    let names = |body: &Value| -> Vec<String> {
        body["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap().to_string())
            .collect()
    };
    let list = |query: &str, version: Option<&'static str>| {
        let (cloud, alice, path) = (&cloud, &alice, format!("{base}?{query}"));
        async move { cloud.send(Method::GET, &path, alice, None, version).await }
    };
    let page = list("sort=size:asc,name:asc&limit=3", None)
        .await
        .expect(200);
    assert_eq!(names(&page.body), ["a", "d", "b"]);
    let next = page.body["volumes_links"][0]["href"].as_str().unwrap();
    let next_query = next.split_once('?').unwrap().1.to_string();
    let rest = list(&next_query, None).await.expect(200);
    assert_eq!(names(&rest.body), ["c"]);
    let legacy = list("sort_key=name&sort_dir=asc", None).await.expect(200);
    assert_eq!(names(&legacy.body), ["a", "b", "c", "d"]);
    let gold = list(
        "metadata=%7B%27tier%27%3A%20%27gold%27%7D&sort=name:asc",
        None,
    )
    .await
    .expect(200);
    assert_eq!(names(&gold.body), ["b", "d"]);
    let both = list(r#"metadata={"tier":"gold","x_y":"1"}"#, None)
        .await
        .expect(200);
    assert_eq!(names(&both.body), ["b"]);
    let bootable = list("bootable=true", None).await.expect(200);
    assert_eq!(names(&bootable.body), ["c"]);
    let sized = list("size=1&sort=name", None).await.expect(200);
    assert_eq!(names(&sized.body), ["d", "a"]);

    let resp = list("sort=nope", None).await.expect(400);
    assert_eq!(resp.message(), "Invalid input received: Invalid sort key");
    let resp = list("sort=name&sort_key=size", None).await.expect(400);
    assert_eq!(
        resp.message(),
        "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter."
    );
    let resp = list("limit=x", None).await.expect(400);
    assert_eq!(resp.message(), "limit param must be an integer");
    // Unknown filters: refused from 3.31 for non-admins, ignored before.
    let resp = list("foo=1&bar=2", Some("volume 3.31")).await.expect(400);
    assert_eq!(
        resp.message(),
        "Invalid filters foo,bar are found in query options."
    );
    let ignored = list("foo=1", Some("volume 3.30")).await.expect(200);
    assert_eq!(names(&ignored.body).len(), 4);
}

#[tokio::test]
async fn summary_counts_sizes_and_distinct_metadata() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let bob = cloud.identity.persona(&["member"]).await;
    for (who, size, metadata) in [
        (&alice, 1, json!({"a": "1"})),
        (&alice, 2, json!({"a": "2", "b": "x"})),
        (&bob, 5, json!({"c": "y"})),
    ] {
        let made = cloud
            .send(
                Method::POST,
                &format!("/v3/{}/volumes", who.project_id),
                who,
                Some(json!({"volume": {"size": size, "metadata": metadata}})),
                None,
            )
            .await
            .expect(202);
        let id = made.body["volume"]["id"].as_str().unwrap().to_string();
        cloud.wait_status(who, &id, "available").await;
    }
    let summary = |who: &'static str, query: &'static str, version: &'static str| {
        let (cloud, persona) = (&cloud, if who == "admin" { &admin } else { &alice });
        async move {
            cloud
                .send(
                    Method::GET,
                    &format!("/v3/{}/volumes/summary{query}", persona.project_id),
                    persona,
                    None,
                    Some(version),
                )
                .await
        }
    };
    let resp = summary("alice", "", "volume 3.11").await.expect(404);
    assert_eq!(resp.message(), "Volume summary could not be found.");
    let body = summary("alice", "", "volume 3.12").await.expect(200).body;
    assert_eq!(
        body,
        json!({"volume-summary": {"total_count": 2, "total_size": 3}})
    );
    let body = summary("alice", "", "volume 3.36").await.expect(200).body;
    assert_eq!(
        body["volume-summary"]["metadata"],
        json!({"a": ["1", "2"], "b": ["x"]})
    );
    // all_tenants counts only for admins.
    let body = summary("alice", "?all_tenants=1", "volume 3.12")
        .await
        .expect(200)
        .body;
    assert_eq!(body["volume-summary"]["total_count"], 2);
    let body = summary("admin", "?all_tenants=true", "volume 3.36")
        .await
        .expect(200)
        .body;
    assert_eq!(body["volume-summary"]["total_size"], 8);
    assert_eq!(body["volume-summary"]["metadata"]["c"], json!(["y"]));
    let resp = summary("admin", "?all_tenants=maybe", "volume 3.12")
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "Value 'maybe' for 'all_tenants' is not a boolean."
    );
}
