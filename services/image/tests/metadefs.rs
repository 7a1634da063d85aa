//! Metadata definitions: namespaces with their objects, properties, tags and
//! resource type associations; who may read and write them; their schemas.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::{json, Value};

const NS: &str = "/v2/metadefs/namespaces";

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn namespaces_and_who_sees_them() {
    let cloud = Cloud::start().await;
    let (admin, alice, bob) = (
        cloud.admin().await,
        cloud.member().await,
        cloud.member().await,
    );
    let put = |path: String, who, body: Value| {
        let req = cloud.request(Method::PUT, &path, Some(who)).json(&body);
        cloud.send(req)
    };

    // The resource types are there from the start.
    let types = cloud
        .get("/v2/metadefs/resource_types", &alice)
        .await
        .expect(200)
        .body;
    assert!(names(&types["resource_types"]).contains(&"OS::Glance::Image".to_string()));

    // Only admins write; the owner defaults to the caller's project.
    let resp = cloud
        .post(NS, &alice, json!({"namespace": "mine"}))
        .await
        .expect(403);
    assert!(resp.text().contains("add_metadef_namespace"));
    let made = cloud
        .post(NS, &admin, json!({"namespace": "OS::Compute::Test", "display_name": "Test",
            "visibility": "public", "protected": true,
            "resource_type_associations": [{"name": "OS::Nova::Flavor", "prefix": "hw:"}],
            "properties": {"cpu": {"title": "CPU", "type": "integer", "default": 2}},
            "objects": [{"name": "Obj", "required": ["x"], "properties": {"x": {"title": "X", "type": "string"}}}],
            "tags": [{"name": "t1"}]}))
        .await
        .expect(201);
    assert_eq!(
        made.header("location").unwrap(),
        "/v2/metadefs/namespaces/OS::Compute::Test"
    );
    let body = &made.body;
    assert_eq!(body["owner"], admin.project_id.as_str());
    assert_eq!(body["self"], "/v2/metadefs/namespaces/OS::Compute::Test");
    assert_eq!(body["properties"]["cpu"]["default"], "2");
    assert!(
        body.get("description").is_none(),
        "unset fields are left out"
    );
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));
    cloud
        .post(NS, &admin, json!({"namespace": "OS::Compute::Test"}))
        .await
        .expect(409);
    cloud
        .post(
            NS,
            &admin,
            json!({"namespace": "x", "visibility": "shared"}),
        )
        .await
        .expect(400);
    cloud
        .post(NS, &admin, json!({"namespace": "x", "self": "y"}))
        .await
        .expect(403);
    cloud
        .post(
            NS,
            &admin,
            json!({"namespace": "Private", "owner": alice.project_id}),
        )
        .await
        .expect(201);
    cloud
        .post(NS, &admin, json!({"namespace": "Hidden"}))
        .await
        .expect(201);

    // Public ones and one's own project's are seen; others are 404.
    let listed = |who| {
        let cloud = &cloud;
        async move {
            let list = cloud.get(NS, who).await.expect(200).body;
            list["namespaces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["namespace"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(&alice).await, ["Private", "OS::Compute::Test"]);
    assert_eq!(listed(&bob).await, ["OS::Compute::Test"]);
    assert_eq!(listed(&admin).await.len(), 3);
    cloud.get(&format!("{NS}/Private"), &bob).await.expect(404);
    cloud
        .get(&format!("{NS}/Private"), &alice)
        .await
        .expect(200);
    // Writes by a non-admin who sees the namespace are 403, else 404.
    put(
        format!("{NS}/Private"),
        &alice,
        json!({"namespace": "Private"}),
    )
    .await
    .expect(403);
    put(
        format!("{NS}/Private"),
        &bob,
        json!({"namespace": "Private"}),
    )
    .await
    .expect(404);

    // Filters and pages.
    let page = cloud
        .get(&format!("{NS}?limit=1"), &admin)
        .await
        .expect(200)
        .body;
    assert_eq!(page["namespaces"].as_array().unwrap().len(), 1);
    assert_eq!(page["first"], "/v2/metadefs/namespaces?limit=1");
    let next = page["next"].as_str().unwrap().to_string();
    let rest = cloud.get(&next, &admin).await.expect(200).body;
    assert_ne!(
        rest["namespaces"][0]["namespace"],
        page["namespaces"][0]["namespace"]
    );
    let flavors = cloud
        .get(&format!("{NS}?resource_types=OS::Nova::Flavor"), &admin)
        .await
        .body;
    assert_eq!(flavors["namespaces"].as_array().unwrap().len(), 1);
    assert_eq!(
        flavors["namespaces"][0]["resource_type_associations"][0]["prefix"],
        "hw:"
    );
    cloud
        .get(&format!("{NS}?sort_dir=up"), &admin)
        .await
        .expect(400);
    cloud
        .get(&format!("{NS}?visibility=shared"), &admin)
        .await
        .expect(400);
    cloud
        .get(&format!("{NS}?marker=nope"), &admin)
        .await
        .expect(404);

    // Shown for a resource type, properties carry its prefix.
    let shown = cloud
        .get(
            &format!("{NS}/OS::Compute::Test?resource_type=OS::Nova::Flavor"),
            &bob,
        )
        .await
        .expect(200)
        .body;
    assert!(shown["properties"].get("hw:cpu").is_some());
    assert_eq!(shown["objects"][0]["required"], json!(["hw:x"]));
    assert!(shown["objects"][0]["properties"].get("hw:x").is_some());
    assert_eq!(shown["tags"], json!([{"name": "t1"}]));

    // Protected: nothing in it is deleted; the update replaces every field.
    let ns = format!("{NS}/OS::Compute::Test");
    cloud.delete(&ns, &admin).await.expect(403);
    cloud
        .delete(&format!("{ns}/tags"), &admin)
        .await
        .expect(403);
    cloud
        .delete(&format!("{ns}/objects/Obj"), &admin)
        .await
        .expect(403);
    let changed = put(
        ns.clone(),
        &admin,
        json!({"namespace": "OS::Compute::Renamed"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(changed["visibility"], "private");
    assert_eq!(changed["protected"], false);
    assert!(changed.get("display_name").is_none());
    put(
        format!("{NS}/OS::Compute::Renamed"),
        &admin,
        json!({"namespace": "Hidden"}),
    )
    .await
    .expect(409);
    cloud.get(&ns, &admin).await.expect(404);
    let renamed = format!("{NS}/OS::Compute::Renamed");
    cloud.delete(&renamed, &admin).await.expect(204);
    cloud.get(&renamed, &admin).await.expect(404);
    // Its contents went with it; the resource type stays.
    let types = cloud.get("/v2/metadefs/resource_types", &admin).await.body;
    assert!(names(&types["resource_types"]).contains(&"OS::Nova::Flavor".to_string()));
}

#[tokio::test]
async fn objects_properties_tags_and_associations() {
    let cloud = Cloud::start().await;
    let admin = cloud.admin().await;
    let put = |path: String, body: Value| {
        let req = cloud.request(Method::PUT, &path, Some(&admin)).json(&body);
        cloud.send(req)
    };
    cloud
        .post(
            NS,
            &admin,
            json!({"namespace": "N", "visibility": "public"}),
        )
        .await
        .expect(201);
    let ns = format!("{NS}/N");

    // Objects: create, rename, delete.
    let objects = format!("{ns}/objects");
    let made = cloud
        .post(&objects, &admin, json!({"name": "o1"}))
        .await
        .expect(201)
        .body;
    assert_eq!(made["self"], "/v2/metadefs/namespaces/N/objects/o1");
    cloud
        .post(&objects, &admin, json!({"name": "o1"}))
        .await
        .expect(409);
    cloud
        .post(&objects, &admin, json!({"name": "o2", "x": 1}))
        .await
        .expect(400);
    let shown = cloud
        .get(&format!("{objects}/o1"), &admin)
        .await
        .expect(200)
        .body;
    assert_eq!(
        (shown["required"].clone(), shown["properties"].clone()),
        (json!([]), json!({}))
    );
    let renamed = put(
        format!("{objects}/o1"),
        json!({"name": "o 2", "description": "d"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(renamed["name"], "o 2");
    cloud
        .delete(&format!("{objects}/o%202"), &admin)
        .await
        .expect(204);
    cloud
        .delete(&format!("{objects}/o1"), &admin)
        .await
        .expect(404);
    let listed = cloud.get(&objects, &admin).await.expect(200).body;
    assert_eq!(listed["objects"], json!([]));
    assert_eq!(listed["schema"], "v2/schemas/metadefs/objects");

    // Associations: made for a new resource type, listed, removed.
    let rts = format!("{ns}/resource_types");
    let assoc = cloud
        .post(
            &rts,
            &admin,
            json!({"name": "OS::Glance::Image", "prefix": "hw_"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(assoc["prefix"], "hw_");
    cloud
        .post(&rts, &admin, json!({"name": "OS::Glance::Image"}))
        .await
        .expect(409);
    cloud
        .post(&rts, &admin, json!({"name": "Custom::Thing"}))
        .await
        .expect(201);
    let types = cloud.get("/v2/metadefs/resource_types", &admin).await.body;
    assert!(names(&types["resource_types"]).contains(&"Custom::Thing".to_string()));
    let listed = cloud.get(&rts, &admin).await.expect(200).body;
    assert_eq!(
        listed["resource_type_associations"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    cloud
        .delete(&format!("{rts}/Custom::Thing"), &admin)
        .await
        .expect(204);
    cloud
        .delete(&format!("{rts}/Custom::Thing"), &admin)
        .await
        .expect(404);

    // Properties: a map by name, found by a prefixed name for a resource type.
    let props = format!("{ns}/properties");
    let made = cloud
        .post(
            &props,
            &admin,
            json!({"name": "OS::Glance::Image", "title": "T", "type": "string",
            "enum": ["kvm", "qemu"]}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(made["name"], "OS::Glance::Image");
    cloud
        .post(
            &props,
            &admin,
            json!({"name": "bad", "title": "T", "type": "text"}),
        )
        .await
        .expect(400);
    cloud
        .post(&props, &admin, json!({"name": "notitle", "type": "string"}))
        .await
        .expect(400);
    cloud
        .post(
            &props,
            &admin,
            json!({"name": "arch", "title": "A", "type": "string"}),
        )
        .await
        .expect(201);
    let by_prefix = cloud
        .get(
            &format!("{props}/hw_arch?resource_type=OS::Glance::Image"),
            &admin,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(by_prefix["name"], "hw_arch");
    cloud
        .get(
            &format!("{props}/arch?resource_type=OS::Glance::Image"),
            &admin,
        )
        .await
        .expect(404);
    let changed = put(
        format!("{props}/OS::Glance::Image"),
        json!({"name": "OS::Glance::Image", "title": "New", "type": "string"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(changed["title"], "New");
    cloud
        .delete(&format!("{props}/OS::Glance::Image"), &admin)
        .await
        .expect(204);
    cloud.delete(&props, &admin).await.expect(204);
    let listed = cloud.get(&props, &admin).await.expect(200).body;
    assert_eq!(listed, json!({"properties": {}}));

    // Tags: a bulk create replaces unless appending; names compare without case.
    let tags = format!("{ns}/tags");
    let three = json!({"tags": [{"name": "a"}, {"name": "b"}, {"name": "c"}]});
    cloud.post(&tags, &admin, three.clone()).await.expect(201);
    cloud
        .post(&tags, &admin, json!({"tags": [{"name": "d"}]}))
        .await
        .expect(201);
    let listed = cloud.get(&tags, &admin).await.body;
    assert_eq!(names(&listed["tags"]), ["d"]);
    let append = cloud
        .request(Method::POST, &tags, Some(&admin))
        .header("X-Openstack-Append", "True")
        .json(&three);
    cloud.send(append).await.expect(201);
    assert_eq!(
        cloud.get(&tags, &admin).await.body["tags"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    cloud
        .post(
            &tags,
            &admin,
            json!({"tags": [{"name": "x"}, {"name": "X"}]}),
        )
        .await
        .expect(409);
    let one = cloud
        .send(cloud.request(Method::POST, &format!("{tags}/e"), Some(&admin)))
        .await
        .expect(201);
    assert_eq!(one.body["name"], "e");
    cloud
        .send(cloud.request(Method::POST, &format!("{tags}/E"), Some(&admin)))
        .await
        .expect(409);
    let renamed = put(format!("{tags}/e"), json!({"name": "f"}))
        .await
        .expect(200)
        .body;
    assert_eq!(renamed["name"], "f");
    cloud.get(&format!("{tags}/f"), &admin).await.expect(200);
    cloud.get(&format!("{tags}/e"), &admin).await.expect(404);
    let all = names(
        &cloud
            .get(&format!("{tags}?sort_dir=asc"), &admin)
            .await
            .body["tags"],
    );
    assert_eq!(all.len(), 5);
    let paged = cloud
        .get(&format!("{tags}?limit=2&sort_dir=asc"), &admin)
        .await
        .body;
    assert_eq!(names(&paged["tags"]), all[..2]);
    let rest = cloud
        .get(&format!("{tags}?sort_dir=asc&marker={}", all[1]), &admin)
        .await
        .body;
    assert_eq!(names(&rest["tags"]), all[2..]);
    let newest = cloud.get(&format!("{tags}?limit=1"), &admin).await.body;
    assert_eq!(names(&newest["tags"]), all[4..]);
    cloud.delete(&format!("{tags}/f"), &admin).await.expect(204);
    cloud.delete(&tags, &admin).await.expect(204);
    assert_eq!(cloud.get(&tags, &admin).await.body["tags"], json!([]));

    // Another project's member sees the public namespace's contents but writes nothing.
    let bob = cloud.member().await;
    cloud.get(&rts, &bob).await.expect(200);
    cloud
        .post(&objects, &bob, json!({"name": "o"}))
        .await
        .expect(403);
    cloud.delete(&ns, &admin).await.expect(204);
    cloud.get(&objects, &admin).await.expect(404);
}

#[tokio::test]
async fn schemas_name_their_documents() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    for (path, name) in [
        ("namespace", "namespace"),
        ("namespaces", "namespaces"),
        ("object", "object"),
        ("objects", "objects"),
        ("property", "property"),
        ("properties", "properties"),
        ("resource_type", "resource_type_association"),
        ("resource_types", "resource_type_associations"),
        ("tag", "tag"),
        ("tags", "tags"),
    ] {
        let doc = cloud
            .get(&format!("/v2/schemas/metadefs/{path}"), &alice)
            .await
            .expect(200)
            .body;
        assert_eq!(doc["name"], name, "{path}");
    }
}

/// Namespace files in Glance's format load once; bad ones are named.
#[tokio::test]
async fn namespace_files_load_as_glance_manage_loads_them() {
    let cloud = Cloud::start().await;
    let admin = cloud.admin().await;
    let dir = cloud.env.dir.join("metadefs");
    std::fs::create_dir_all(&dir).unwrap();
    let file = json!({
        "namespace": "OS::Compute::Watchdog", "display_name": "Watchdog Behavior",
        "description": "What a watchdog does.", "visibility": "public", "protected": true,
        "resource_type_associations": [
            {"name": "OS::Glance::Image", "prefix": "hw_"},
            {"name": "OS::Nova::Flavor", "prefix": "hw:"}],
        "properties": {"watchdog_action": {"title": "Watchdog Action", "type": "string",
            "enum": ["disabled", "reset", "poweroff", "pause", "none"], "default": "disabled"}},
        "objects": [{"name": "Timer", "description": "d",
            "properties": {"seconds": {"title": "S", "type": "integer", "minimum": 1}}}]
    });
    std::fs::write(dir.join("compute-watchdog.json"), file.to_string()).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a namespace").unwrap();
    let loaded = ferrostack_image::metadefs::load(&cloud.glance, &dir)
        .await
        .unwrap();
    assert_eq!(loaded, 1);
    assert_eq!(
        ferrostack_image::metadefs::load(&cloud.glance, &dir)
            .await
            .unwrap(),
        0
    );
    let shown = cloud
        .get(
            "/v2/metadefs/namespaces/OS::Compute::Watchdog?resource_type=OS::Nova::Flavor",
            &admin,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(shown["owner"], "admin");
    assert_eq!(
        shown["properties"]["hw:watchdog_action"]["default"],
        "disabled"
    );
    assert_eq!(shown["objects"][0]["name"], "Timer");
    std::fs::write(
        dir.join("broken.json"),
        r#"{"namespace": "x", "properties": {"p": {"type": "string"}}}"#,
    )
    .unwrap();
    let err = ferrostack_image::metadefs::load(&cloud.glance, &dir)
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("broken.json is not a namespace"),
        "{err:#}"
    );
}

/// Associations made at once all land (each makes its resource type when new).
#[tokio::test]
async fn concurrent_associations_all_land() {
    let cloud = Cloud::start().await;
    let admin = cloud.admin().await;
    for i in 0..12 {
        cloud
            .post(NS, &admin, json!({"namespace": format!("C{i}")}))
            .await
            .expect(201);
    }
    let made = futures::future::join_all((0..12).map(|i| {
        let (cloud, admin) = (&cloud, &admin);
        async move {
            let path = format!("{NS}/C{i}/resource_types");
            let first = cloud
                .post(&path, admin, json!({"name": "Shared::Type"}))
                .await;
            let second = cloud
                .post(&path, admin, json!({"name": format!("Own::{i}")}))
                .await;
            (first.status.as_u16(), second.status.as_u16())
        }
    }))
    .await;
    assert!(made.iter().all(|s| *s == (201, 201)), "{made:?}");
    let types = cloud.get("/v2/metadefs/resource_types", &admin).await.body;
    assert_eq!(names(&types["resource_types"]).len(), 6 + 13);
}
