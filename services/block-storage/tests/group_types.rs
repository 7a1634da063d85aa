//! Group types (3.11+) and their group specs: admins manage them, users see
//! the public ones without specs.

mod common;

use common::{call, Cloud};
use reqwest::Method;
use serde_json::{json, Value};

const V: &str = "volume 3.11";

fn names(body: &Value) -> Vec<String> {
    body["group_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn group_types_and_specs() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let admin_call = |method: Method, path: String, body: Option<Value>| {
        let (cloud, admin) = (&cloud, &admin);
        async move { call(cloud, admin, method, &path, body, V).await }
    };

    // Before 3.11 there are none; users create none.
    call(
        &cloud,
        &admin,
        Method::GET,
        "group_types",
        None,
        "volume 3.10",
    )
    .await
    .expect(404);
    call(
        &cloud,
        &alice,
        Method::POST,
        "group_types",
        Some(json!({"group_type": {"name": "x"}})),
        V,
    )
    .await
    .expect(403);

    let made = admin_call(
        Method::POST,
        "group_types".into(),
        Some(
            json!({"group_type": {"name": "b_private", "is_public": false, "description": "d",
            "group_specs": {"consistent_group_snapshot_enabled": "<is> False"}}}),
        ),
    )
    .await
    .expect(202)
    .body;
    let private = made["group_type"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        made["group_type"]["group_specs"]["consistent_group_snapshot_enabled"],
        "<is> False"
    );
    let public = admin_call(
        Method::POST,
        "group_types".into(),
        Some(json!({"group_type": {"name": "a_public"}})),
    )
    .await
    .expect(202)
    .body["group_type"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    admin_call(
        Method::POST,
        "group_types".into(),
        Some(json!({"group_type": {"name": "a_public"}})),
    )
    .await
    .expect(409);
    admin_call(
        Method::POST,
        "group_types".into(),
        Some(json!({"group_type": {"description": "x"}})),
    )
    .await
    .expect(400);

    // Lists: public ones by default, every one for is_public=None (admin), sorted.
    let listed = admin_call(Method::GET, "group_types".into(), None)
        .await
        .expect(200)
        .body;
    assert_eq!(names(&listed), ["a_public"]);
    let all = admin_call(
        Method::GET,
        "group_types?is_public=None&sort=name:desc".into(),
        None,
    )
    .await
    .body;
    assert_eq!(names(&all), ["b_private", "a_public"]);
    let privates = admin_call(Method::GET, "group_types?is_public=false".into(), None)
        .await
        .body;
    assert_eq!(names(&privates), ["b_private"]);
    admin_call(Method::GET, "group_types?is_public=maybe".into(), None)
        .await
        .expect(400);
    let seen = call(
        &cloud,
        &alice,
        Method::GET,
        "group_types?is_public=None",
        None,
        V,
    )
    .await
    .body;
    assert_eq!(names(&seen), ["a_public"]);
    assert!(
        seen["group_types"][0].get("group_specs").is_none(),
        "specs are for admins"
    );
    call(
        &cloud,
        &alice,
        Method::GET,
        &format!("group_types/{private}"),
        None,
        V,
    )
    .await
    .expect(404);
    admin_call(Method::GET, "group_types/default".into(), None)
        .await
        .expect(404);

    // Update: something must change; names stay unique.
    let changed = admin_call(
        Method::PUT,
        format!("group_types/{private}"),
        Some(json!({"group_type": {"name": "renamed", "is_public": true}})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(changed["group_type"]["name"], "renamed");
    assert_eq!(changed["group_type"]["description"], "d");
    admin_call(
        Method::PUT,
        format!("group_types/{private}"),
        Some(json!({"group_type": {}})),
    )
    .await
    .expect(400);
    admin_call(
        Method::PUT,
        format!("group_types/{private}"),
        Some(json!({"group_type": {"name": "a_public"}})),
    )
    .await
    .expect(409);

    // Specs.
    let specs = format!("group_types/{public}/group_specs");
    let set = admin_call(
        Method::POST,
        specs.clone(),
        Some(json!({"group_specs": {"k1": "v1", "k2": "v2"}})),
    )
    .await
    .expect(202)
    .body;
    assert_eq!(set, json!({"group_specs": {"k1": "v1", "k2": "v2"}}));
    admin_call(
        Method::POST,
        specs.clone(),
        Some(json!({"group_specs": {"k2": "v2b", "k3": "v3"}})),
    )
    .await
    .expect(202);
    let listed = admin_call(Method::GET, specs.clone(), None)
        .await
        .expect(200)
        .body;
    assert_eq!(
        listed["group_specs"],
        json!({"k1": "v1", "k2": "v2b", "k3": "v3"})
    );
    let one = admin_call(Method::GET, format!("{specs}/k3"), None)
        .await
        .expect(200)
        .body;
    assert_eq!(one, json!({"k3": "v3"}));
    admin_call(Method::GET, format!("{specs}/nope"), None)
        .await
        .expect(404);
    admin_call(
        Method::PUT,
        format!("{specs}/k3"),
        Some(json!({"k3": "new"})),
    )
    .await
    .expect(200);
    admin_call(Method::PUT, format!("{specs}/k3"), Some(json!({"k1": "x"})))
        .await
        .expect(400);
    admin_call(
        Method::PUT,
        format!("{specs}/k3"),
        Some(json!({"k3": "x", "k1": "y"})),
    )
    .await
    .expect(400);
    call(&cloud, &alice, Method::GET, &specs, None, V)
        .await
        .expect(403);
    admin_call(Method::DELETE, format!("{specs}/k1"), None)
        .await
        .expect(202);
    admin_call(Method::DELETE, format!("{specs}/k1"), None)
        .await
        .expect(404);
    let listed = admin_call(Method::GET, specs.clone(), None).await.body;
    assert_eq!(listed["group_specs"], json!({"k2": "v2b", "k3": "new"}));

    admin_call(Method::DELETE, format!("group_types/{public}"), None)
        .await
        .expect(202);
    admin_call(Method::GET, format!("group_types/{public}"), None)
        .await
        .expect(404);
    admin_call(Method::DELETE, format!("group_types/{public}"), None)
        .await
        .expect(404);
}
