//! Unified limits: registered defaults, project and domain overrides, who sees
//! which, and the refusals (no registered limit, in use, duplicates).

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::Keystone;

#[tokio::test]
async fn registered_limits_and_limits() {
    let ks = Keystone::start().await;
    let member = ks.user_with_role("member").await;
    let other = ks.user_with_role("member").await;
    let service = ks
        .create(
            "services",
            "service",
            json!({"type": "compute", "name": "nova"}),
        )
        .await;
    let registered = |body: Value| {
        ks.admin(
            Method::POST,
            "/v3/registered_limits",
            Some(json!({ "registered_limits": [body] })),
        )
    };
    let cores =
        registered(json!({"service_id": service, "resource_name": "cores", "default_limit": 10}))
            .await
            .expect(201)
            .body["registered_limits"][0]
            .clone();
    let cores_id = cores["id"].as_str().unwrap().to_string();
    assert_eq!(cores["default_limit"], 10);
    assert_eq!(cores["region_id"], Value::Null);
    registered(json!({"service_id": service, "resource_name": "cores", "default_limit": 5}))
        .await
        .expect(409);
    for bad in [
        json!({"service_id": "nope", "resource_name": "ram", "default_limit": 1}),
        json!({"service_id": service, "resource_name": "ram", "default_limit": "many"}),
        json!({"service_id": service, "resource_name": "ram", "default_limit": 1, "extra": 1}),
        json!({"service_id": service, "default_limit": 1}),
    ] {
        registered(bad).await.expect(400);
    }
    // Anyone may read registered limits; only admins write them.
    let listed = ks
        .get("/v3/registered_limits?resource_name=cores", &member.token)
        .await
        .expect(200);
    assert_eq!(listed.body["registered_limits"][0]["id"], cores_id.as_str());
    ks.send(
        Method::POST,
        "/v3/registered_limits",
        Some(&member.token),
        Some(json!({"registered_limits": [{"service_id": service, "resource_name": "x", "default_limit": 1}]})),
    )
    .await
    .expect(403);

    let limits = |body: Value| {
        ks.admin(
            Method::POST,
            "/v3/limits",
            Some(json!({ "limits": [body] })),
        )
    };
    let mine = limits(
        json!({"service_id": service, "project_id": member.project_id,
        "resource_name": "cores", "resource_limit": 20}),
    )
    .await
    .expect(201)
    .body["limits"][0]
        .clone();
    assert_eq!(mine["resource_name"], "cores");
    assert_eq!(mine["service_id"], service.as_str());
    limits(
        json!({"service_id": service, "project_id": other.project_id,
        "resource_name": "cores", "resource_limit": 3}),
    )
    .await
    .expect(201);
    limits(
        json!({"service_id": service, "project_id": member.project_id,
        "resource_name": "cores", "resource_limit": 30}),
    )
    .await
    .expect(409);
    limits(
        json!({"service_id": service, "project_id": member.project_id,
        "resource_name": "ram", "resource_limit": 1}),
    )
    .await
    .expect(403);
    limits(json!({"service_id": service, "resource_name": "cores", "resource_limit": 1}))
        .await
        .expect(400);

    // A project member sees only their project's limit; the admin (project
    // scoped) likewise, a system token sees all.
    let seen = ks.get("/v3/limits", &member.token).await.expect(200);
    let seen = seen.body["limits"].as_array().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["resource_limit"], 20);
    let id = mine["id"].as_str().unwrap().to_string();
    ks.get(&format!("/v3/limits/{id}"), &member.token)
        .await
        .expect(200);
    ks.get(&format!("/v3/limits/{id}"), &other.token)
        .await
        .expect(403);
    let model = ks.get("/v3/limits/model", &member.token).await.expect(200);
    assert_eq!(model.body["model"]["name"], "flat");

    let updated = ks
        .admin(
            Method::PATCH,
            &format!("/v3/limits/{id}"),
            Some(json!({"limit": {"resource_limit": 25, "description": "more"}})),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["limit"]["resource_limit"], 25);
    ks.admin(
        Method::PATCH,
        &format!("/v3/limits/{id}"),
        Some(json!({"limit": {"resource_name": "ram"}})),
    )
    .await
    .expect(400);
    // A registered limit in use cannot be renamed or deleted.
    ks.admin(
        Method::DELETE,
        &format!("/v3/registered_limits/{cores_id}"),
        None,
    )
    .await
    .expect(403);
    let raised = ks
        .admin(
            Method::PATCH,
            &format!("/v3/registered_limits/{cores_id}"),
            Some(json!({"registered_limit": {"default_limit": 12}})),
        )
        .await
        .expect(200);
    assert_eq!(raised.body["registered_limit"]["default_limit"], 12);
    ks.admin(
        Method::PATCH,
        &format!("/v3/registered_limits/{cores_id}"),
        Some(json!({"registered_limit": {"resource_name": "vcpus"}})),
    )
    .await
    .expect(403);
    // A deleted project takes its limits.
    ks.admin(
        Method::PATCH,
        &format!("/v3/projects/{}", other.project_id),
        Some(json!({"project": {"enabled": false}})),
    )
    .await
    .expect(200);
    ks.admin(
        Method::DELETE,
        &format!("/v3/projects/{}", other.project_id),
        None,
    )
    .await
    .expect(204);
    ks.admin(Method::DELETE, &format!("/v3/limits/{id}"), None)
        .await
        .expect(204);
    ks.admin(
        Method::DELETE,
        &format!("/v3/registered_limits/{cores_id}"),
        None,
    )
    .await
    .expect(204);
    ks.admin(
        Method::GET,
        &format!("/v3/registered_limits/{cores_id}"),
        None,
    )
    .await
    .expect(404);
}
