//! The image list: who sees what, filters, sorting and pagination.

mod common;

use common::Cloud;
use serde_json::{json, Value};

fn names(body: &Value) -> Vec<String> {
    body["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn visibility_and_membership() {
    let cloud = Cloud::start().await;
    let (carol, bob) = (cloud.member().await, cloud.member().await);
    let admin = cloud.admin().await;
    cloud
        .create(&admin, json!({"name": "a-public", "visibility": "public"}))
        .await;
    cloud
        .create(
            &carol,
            json!({"name": "c-private", "visibility": "private"}),
        )
        .await;
    cloud
        .create(
            &carol,
            json!({"name": "c-community", "visibility": "community"}),
        )
        .await;
    cloud
        .create(&carol, json!({"name": "c-hidden", "os_hidden": true}))
        .await;
    let shared = cloud.create(&carol, json!({"name": "c-shared"})).await;
    let pending = cloud
        .create(&carol, json!({"name": "c-shared-pending"}))
        .await;
    for image in [&shared, &pending] {
        let id = image["id"].as_str().unwrap();
        cloud
            .post(
                &format!("/v2/images/{id}/members"),
                &carol,
                json!({"member": bob.project_id}),
            )
            .await
            .expect(200);
    }
    let id = shared["id"].as_str().unwrap();
    cloud
        .send(
            cloud
                .request(
                    reqwest::Method::PUT,
                    &format!("/v2/images/{id}/members/{}", bob.project_id),
                    Some(&bob),
                )
                .json(&json!({"status": "accepted"})),
        )
        .await
        .expect(200);
    let c = &cloud;
    let list = |who, query: &str| {
        let path = format!("/v2/images?sort=name:asc{query}");
        async move { names(&c.get(&path, who).await.expect(200).body) }
    };
    assert_eq!(list(&bob, "").await, ["a-public", "c-shared"]);
    assert_eq!(
        list(&bob, "&member_status=all").await,
        ["a-public", "c-shared", "c-shared-pending"]
    );
    assert_eq!(
        list(&bob, "&member_status=pending").await,
        ["a-public", "c-shared-pending"]
    );
    assert_eq!(list(&bob, "&visibility=community").await, ["c-community"]);
    assert_eq!(
        list(&bob, "&visibility=private").await,
        Vec::<String>::new()
    );
    assert_eq!(
        list(&bob, "&visibility=all").await,
        ["a-public", "c-community", "c-shared"]
    );
    assert_eq!(
        list(&carol, "").await,
        [
            "a-public",
            "c-community",
            "c-private",
            "c-shared",
            "c-shared-pending"
        ]
    );
    assert_eq!(list(&carol, "&os_hidden=true").await, ["c-hidden"]);
    assert_eq!(list(&carol, "&os_hidden=True").await, ["c-hidden"]);
    assert_eq!(
        list(&admin, "").await,
        ["a-public", "c-private", "c-shared", "c-shared-pending"]
    );
    // A pending shared image is still visible by id to the member.
    let pending_id = pending["id"].as_str().unwrap();
    cloud
        .get(&format!("/v2/images/{pending_id}"), &bob)
        .await
        .expect(200);
}

#[tokio::test]
async fn filters_sorting_and_pages() {
    let cloud = Cloud::start().await;
    let alice = cloud.member().await;
    let mut ids = Vec::new();
    for (i, name) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        let image = cloud
            .create(
                &alice,
                json!({"name": name, "disk_format": if i % 2 == 0 {"raw"} else {"qcow2"},
                       "container_format": "bare", "min_ram": i * 100, "tags": [format!("t{}", i % 2)],
                       "hw_arch": if i < 2 {"x86_64"} else {"aarch64"}}),
            )
            .await;
        ids.push(image["id"].as_str().unwrap().to_string());
    }
    let (c, who) = (&cloud, &alice);
    let get = |query: String| {
        let path = format!("/v2/images?{query}");
        async move { c.get(&path, who).await }
    };
    assert_eq!(names(&get("name=c".into()).await.body), ["c"]);
    assert_eq!(
        names(&get("name=in:\"a\",\"b\"&sort=name:asc".into()).await.body),
        ["a", "b"]
    );
    assert_eq!(
        names(
            &get(format!("id=in:{},{}&sort=name:desc", ids[0], ids[4]))
                .await
                .body
        ),
        ["e", "a"]
    );
    assert_eq!(
        names(&get("disk_format=qcow2&sort=name".into()).await.body),
        ["d", "b"]
    );
    assert_eq!(
        names(&get("tag=t1&sort=name:asc".into()).await.body),
        ["b", "d"]
    );
    assert_eq!(
        names(&get("tag=t1&tag=t0".into()).await.body),
        Vec::<String>::new()
    );
    assert_eq!(
        names(&get("hw_arch=x86_64&sort=name:asc".into()).await.body),
        ["a", "b"]
    );
    assert_eq!(names(&get("min_ram=200".into()).await.body), ["c"]);
    assert_eq!(
        names(&get("status=active".into()).await.body),
        Vec::<String>::new()
    );
    assert_eq!(
        names(&get("status=flying".into()).await.body),
        Vec::<String>::new()
    );
    assert_eq!(
        names(
            &get("created_at=gte:2000-01-01T00:00:00Z&sort_key=name&sort_dir=asc".into())
                .await
                .body
        )
        .len(),
        5
    );
    assert_eq!(
        names(&get("created_at=gt:2100-01-01T00:00:00Z".into()).await.body).len(),
        0
    );
    assert_eq!(
        names(
            &get("updated_at=lt:2100-01-01T00:00:00Z&limit=1".into())
                .await
                .body
        )
        .len(),
        1
    );

    // Pages follow `next` until the end, in order, without repeats.
    let mut seen = Vec::new();
    let mut path = "/v2/images?limit=2&sort=name:asc".to_string();
    loop {
        let page = cloud.get(&path, &alice).await.expect(200).body;
        assert!(page["first"]
            .as_str()
            .unwrap()
            .starts_with("/v2/images?limit=2"));
        assert_eq!(page["schema"], "/v2/schemas/images");
        seen.extend(names(&page));
        match page.get("next").and_then(Value::as_str) {
            Some(next) => path = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, ["a", "b", "c", "d", "e"]);
    // Default order: newest first (ties broken by id).
    let all = get("".into()).await.expect(200).body;
    assert_eq!(names(&all).len(), 5);

    let bad = [
        ("visibility=foo", "Invalid visibility value: foo"),
        ("member_status=foo", "Invalid status: foo"),
        ("os_hidden=yes", "Valid values are 'true' or 'false'"),
        ("sort_key=foo", "Invalid sort key: foo"),
        ("sort_key=owner", "Invalid sort key: owner"),
        ("sort_dir=up", "Invalid sort direction: up"),
        (
            "sort=name&sort_key=id",
            "Old and new sorting syntax cannot be combined",
        ),
        ("limit=x", "limit param must be an integer"),
        ("limit=-1", "limit param must be positive"),
        ("size_min=big", "non-numeric"),
        ("created_at=foo:2020-01-01T00:00:00Z", "unknown operator"),
        ("created_at=gte:yesterday", "ISO 8601"),
        ("changes-since=2020-01-01T00:00:00Z", "no longer available"),
        (
            "marker=fd73a970-aaf3-4605-9b38-d681ed310a72",
            "No image found with ID",
        ),
        ("marker=abc", "No image found with ID abc"),
    ];
    for (query, text) in bad {
        let resp = get(query.into()).await.expect(400);
        assert!(resp.text().contains(text), "{query}: {}", resp.text());
    }
    let empty = get("limit=0".into()).await.expect(200).body;
    assert_eq!(empty["images"], json!([]));
    assert!(empty.get("next").is_none());
}
