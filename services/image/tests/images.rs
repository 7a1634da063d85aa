//! Image metadata over HTTP: create, show, list, patch, delete, actions, tags, and
//! their bad paths, with Glance's statuses and messages.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn discovery_and_schemas() {
    let cloud = Cloud::start().await;
    let resp = cloud
        .send(cloud.request(Method::GET, "/", None))
        .await
        .expect(300);
    let versions = resp.body["versions"].as_array().unwrap();
    assert!(versions
        .iter()
        .any(|v| v["id"] == "v2.17" && v["status"] == "CURRENT"));
    assert!(versions[0]["links"][0]["href"]
        .as_str()
        .unwrap()
        .ends_with("/v2/"));
    cloud
        .send(cloud.request(Method::GET, "/versions", None))
        .await
        .expect(200);
    let member = cloud.member().await;
    let schema = cloud
        .get("/v2/schemas/image", &member)
        .await
        .expect(200)
        .body;
    assert_eq!(schema["name"], "image");
    assert!(schema["properties"]["disk_format"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("qcow2")));
    let images = cloud
        .get("/v2/schemas/images", &member)
        .await
        .expect(200)
        .body;
    assert_eq!(images["properties"]["images"]["items"]["name"], "image");
    for name in ["member", "members"] {
        cloud
            .get(&format!("/v2/schemas/{name}"), &member)
            .await
            .expect(200);
    }
    // Tasks: the item, and the list's items without input, result and message.
    let task = cloud
        .get("/v2/schemas/task", &member)
        .await
        .expect(200)
        .body;
    assert_eq!(task["name"], "task");
    assert_eq!(task["additionalProperties"], false);
    assert!(task["properties"]["input"].is_object());
    let tasks = cloud
        .get("/v2/schemas/tasks", &member)
        .await
        .expect(200)
        .body;
    let item = &tasks["properties"]["tasks"]["items"];
    assert_eq!(item["name"], "task");
    assert!(item["properties"]["status"].is_object());
    assert!(
        item["properties"].get("input").is_none() && item["properties"].get("message").is_none()
    );
    assert_eq!(
        tasks["links"][2],
        json!({"rel": "describedby", "href": "{schema}"})
    );
    // Everything under /v2 needs a token.
    let resp = cloud
        .send(cloud.request(Method::GET, "/v2/images", None))
        .await
        .expect(401);
    assert!(resp
        .header("www-authenticate")
        .unwrap()
        .starts_with("Keystone uri="));
}

#[tokio::test]
async fn create_show_and_defaults() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    let resp = cloud
        .post(
            "/v2/images",
            &alice,
            json!({"id": "09eb3fda-f0cc-4d39-9616-07e947445a50", "name": "img2",
                   "tags": ["a", "b"], "foo": "bar", "min_ram": 512}),
        )
        .await
        .expect(201);
    assert!(resp
        .header("location")
        .unwrap()
        .ends_with("/v2/images/09eb3fda-f0cc-4d39-9616-07e947445a50"));
    assert_eq!(
        resp.header("openstack-image-import-methods"),
        Some("glance-direct,copy-image")
    );
    let image = resp.body;
    assert_eq!(image["status"], "queued");
    assert_eq!(image["visibility"], "shared");
    assert_eq!(image["owner"], alice.project_id.as_str());
    assert_eq!(image["foo"], "bar");
    assert_eq!(image["tags"], json!(["a", "b"]));
    assert_eq!(image["size"], json!(null));
    assert_eq!(image["checksum"], json!(null));
    assert_eq!(
        image["self"],
        "/v2/images/09eb3fda-f0cc-4d39-9616-07e947445a50"
    );
    assert_eq!(
        image["file"],
        "/v2/images/09eb3fda-f0cc-4d39-9616-07e947445a50/file"
    );
    assert_eq!(image["schema"], "/v2/schemas/image");
    assert!(image["created_at"].as_str().unwrap().ends_with('Z'));
    let shown = cloud
        .get("/v2/images/09eb3fda-f0cc-4d39-9616-07e947445a50", &alice)
        .await
        .expect(200)
        .body;
    assert_eq!(shown, image);
    // Duplicate id, other projects, unknown and non-UUID ids.
    let resp = cloud
        .post(
            "/v2/images",
            &alice,
            json!({"id": "09eb3fda-f0cc-4d39-9616-07e947445a50"}),
        )
        .await
        .expect(409);
    assert!(resp.text().contains("already exists"), "{}", resp.text());
    // A shared image is invisible to projects that are not members.
    let bob = cloud.member().await;
    cloud
        .get("/v2/images/09eb3fda-f0cc-4d39-9616-07e947445a50", &bob)
        .await
        .expect(404);
    let private = cloud
        .create(&alice, json!({"name": "p", "visibility": "private"}))
        .await;
    let resp = cloud
        .get(
            &format!("/v2/images/{}", private["id"].as_str().unwrap()),
            &bob,
        )
        .await
        .expect(404);
    assert!(resp.text().contains("No image found with ID"));
    cloud.get("/v2/images/not-a-uuid", &alice).await.expect(404);
}

#[tokio::test]
async fn create_refuses_bad_input() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    let cases = [
        (
            json!({"status": "active"}),
            403,
            "Attribute 'status' is read-only.",
        ),
        (json!({"size": 1}), 403, "Attribute 'size' is read-only."),
        (json!({"location": "x"}), 403, "Access was denied"),
        (
            json!({"os_glance_import_task": "x"}),
            403,
            "Access was denied",
        ),
        (
            json!({"locations": []}),
            403,
            "Attribute 'locations' is reserved.",
        ),
        (
            json!({"disk_format": "foo"}),
            400,
            "'foo' is not one of [None, 'ami'",
        ),
        (json!({"visibility": "foo"}), 400, "is not one of"),
        (json!({"foo": 1}), 400, "1 is not of type 'string'"),
        (json!({"name": "x".repeat(256)}), 400, "is too long"),
        (json!({"min_ram": "5"}), 400, "'5' is not of type 'integer'"),
        (
            json!({"protected": "true"}),
            400,
            "is not of type 'boolean'",
        ),
        (json!({"tags": "abc"}), 400, "'abc' is not of type 'array'"),
        (json!({"id": "not-a-uuid"}), 400, "does not match"),
        (json!({"visibility": "public"}), 403, "publicize_image"),
        (json!({"owner": "someone-else"}), 403, "Access was denied"),
    ];
    for (body, status, text) in cases {
        let resp = cloud
            .post("/v2/images", &alice, body.clone())
            .await
            .expect(status);
        assert!(resp.text().contains(text), "{body}: {}", resp.text());
    }
    let key = "k".repeat(256);
    let resp = cloud
        .post("/v2/images", &alice, json!({ key: "v" }))
        .await
        .expect(400);
    assert!(resp
        .text()
        .contains("Custom property should not be greater than 255 characters."));
    for raw in ["", "{not json", "[1, 2]"] {
        cloud
            .send(
                cloud
                    .request(Method::POST, "/v2/images", Some(&alice))
                    .header("content-type", "application/json")
                    .body(raw),
            )
            .await
            .expect(400);
    }
    let reader = cloud.identity.persona(&["reader"]).await;
    let resp = cloud
        .post("/v2/images", &reader, json!({}))
        .await
        .expect(403);
    assert!(resp.text().contains("add_image"));
    // The admin may publicize.
    let admin = cloud.admin().await;
    let image = cloud
        .create(&admin, json!({"name": "pub", "visibility": "public"}))
        .await;
    assert_eq!(image["visibility"], "public");
}

#[tokio::test]
async fn patch_follows_glance() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    let image = cloud.create(&alice, json!({"name": "n", "k1": "v1"})).await;
    let id = image["id"].as_str().unwrap();
    let updated = cloud
        .patch(
            id,
            &alice,
            json!([
                {"op": "replace", "path": "/name", "value": "renamed"},
                {"op": "add", "path": "/k2", "value": "v2"},
                {"op": "add", "path": "/k1", "value": "again"},
                {"op": "add", "path": "/min_disk", "value": 3},
                {"op": "add", "path": "/tags", "value": ["x", "y"]},
                {"op": "remove", "path": "/k2"}
            ]),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(updated["name"], "renamed");
    assert_eq!(updated["k1"], "again");
    assert_eq!(updated["min_disk"], 3);
    assert_eq!(updated["tags"], json!(["x", "y"]));
    assert!(updated.get("k2").is_none());
    assert_eq!(
        cloud.get(&format!("/v2/images/{id}"), &alice).await.body,
        updated
    );

    let cases = [
        (json!([{"op": "remove", "path": "/nope"}]), 409),
        (
            json!([{"op": "replace", "path": "/nope", "value": "x"}]),
            409,
        ),
        (json!([{"op": "remove", "path": "/name"}]), 403),
        (
            json!([{"op": "replace", "path": "/status", "value": "active"}]),
            403,
        ),
        (
            json!([{"op": "add", "path": "/os_glance_import_task", "value": "x"}]),
            403,
        ),
        (json!([{"op": "test", "path": "/name", "value": "x"}]), 400),
        (
            json!([{"op": "replace", "path": "name", "value": "x"}]),
            400,
        ),
        (
            json!([{"op": "replace", "path": "/name/x", "value": "x"}]),
            400,
        ),
        (json!({"op": "replace"}), 400),
        (
            json!([{"op": "replace", "path": "/min_ram", "value": "x"}]),
            400,
        ),
        (
            json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
            403,
        ),
        (
            json!([{"op": "replace", "path": "/owner", "value": "x"}]),
            403,
        ),
    ];
    for (ops, status) in cases {
        cloud.patch(id, &alice, ops.clone()).await.expect(status);
    }
    // Wrong media type, other projects, readers.
    let resp = cloud
        .send(
            cloud
                .request(Method::PATCH, &format!("/v2/images/{id}"), Some(&alice))
                .json(&json!([])),
        )
        .await
        .expect(415);
    assert!(resp.text().contains("application/json is not supported"));
    let bob = cloud.member().await;
    let private = cloud.create(&alice, json!({"visibility": "private"})).await;
    cloud
        .patch(private["id"].as_str().unwrap(), &bob, json!([]))
        .await
        .expect(404);
}

#[tokio::test]
async fn delete_and_protection() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    let image = cloud
        .create(&alice, json!({"name": "keep", "protected": true}))
        .await;
    let id = image["id"].as_str().unwrap();
    let resp = cloud
        .delete(&format!("/v2/images/{id}"), &alice)
        .await
        .expect(403);
    assert!(resp.text().contains("is protected and cannot be deleted"));
    cloud
        .patch(
            id,
            &alice,
            json!([{"op": "replace", "path": "/protected", "value": false}]),
        )
        .await
        .expect(200);
    let bob = cloud.member().await;
    cloud
        .delete(&format!("/v2/images/{id}"), &bob)
        .await
        .expect(404);
    cloud
        .delete(&format!("/v2/images/{id}"), &alice)
        .await
        .expect(204);
    let resp = cloud
        .delete(&format!("/v2/images/{id}"), &alice)
        .await
        .expect(404);
    assert!(resp.text().contains("Failed to find image"));
    cloud
        .get(&format!("/v2/images/{id}"), &alice)
        .await
        .expect(404);
}

#[tokio::test]
async fn tags_and_actions() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    let image = cloud.create(&alice, json!({"name": "t"})).await;
    let id = image["id"].as_str().unwrap();
    cloud
        .send(cloud.request(
            Method::PUT,
            &format!("/v2/images/{id}/tags/blue"),
            Some(&alice),
        ))
        .await
        .expect(204);
    let shown = cloud.get(&format!("/v2/images/{id}"), &alice).await.body;
    assert_eq!(shown["tags"], json!(["blue"]));
    cloud
        .delete(&format!("/v2/images/{id}/tags/blue"), &alice)
        .await
        .expect(204);
    cloud
        .delete(&format!("/v2/images/{id}/tags/blue"), &alice)
        .await
        .expect(404);
    let long = "x".repeat(256);
    cloud
        .send(cloud.request(
            Method::PUT,
            &format!("/v2/images/{id}/tags/{long}"),
            Some(&alice),
        ))
        .await
        .expect(400);
    // Deactivating a queued image is refused as upstream.
    let resp = cloud
        .post(
            &format!("/v2/images/{id}/actions/deactivate"),
            &alice,
            json!({}),
        )
        .await
        .expect(403);
    assert!(resp
        .text()
        .contains("Not allowed to deactivate image in status 'queued'"));
    cloud
        .post(
            &format!("/v2/images/{id}/actions/explode"),
            &alice,
            json!({}),
        )
        .await
        .expect(404);
}
