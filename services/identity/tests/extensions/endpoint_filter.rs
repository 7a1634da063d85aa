//! OS-EP-FILTER: endpoint groups, project associations and the filtered catalog.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::Keystone;

/// The ids of the endpoints in a token's catalog.
fn catalog_endpoints(token_body: &Value) -> Vec<String> {
    let mut ids: Vec<String> = token_body["token"]["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["endpoints"].as_array().unwrap().clone())
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn endpoint_groups_filter_a_projects_catalog() {
    let ks = Keystone::start().await;
    let member = ks.user_with_role("member").await;
    let service = ks
        .create(
            "services",
            "service",
            json!({"type": "filtered", "name": "f"}),
        )
        .await;
    let public = ks
        .create(
            "endpoints",
            "endpoint",
            json!({"service_id": service, "interface": "public", "url": "http://f/public"}),
        )
        .await;
    let admin_ep = ks
        .create(
            "endpoints",
            "endpoint",
            json!({"service_id": service, "interface": "admin", "url": "http://f/admin"}),
        )
        .await;

    // Bad groups: unknown filter keys, missing filters, non-string values.
    for bad in [
        json!({"name": "g", "filters": {"name": "x"}}),
        json!({"name": "g"}),
        json!({"name": "g", "filters": {"service_id": 1}}),
        json!({"name": "g", "filters": {}}),
        json!({"name": "g", "filters": {"interface": "sideways"}}),
        json!({"filters": {}}),
    ] {
        ks.admin(
            Method::POST,
            "/v3/OS-EP-FILTER/endpoint_groups",
            Some(json!({"endpoint_group": bad})),
        )
        .await
        .expect(400);
    }
    let made = ks
        .admin(
            Method::POST,
            "/v3/OS-EP-FILTER/endpoint_groups",
            Some(json!({"endpoint_group": {"name": "pub", "description": "d",
                "filters": {"service_id": service, "interface": "public"}}})),
        )
        .await
        .expect(201)
        .body["endpoint_group"]
        .clone();
    let group = made["id"].as_str().unwrap().to_string();
    assert!(made["links"]["self"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/v3/OS-EP-FILTER/endpoint_groups/{group}")));
    let listed = ks
        .admin(
            Method::GET,
            "/v3/OS-EP-FILTER/endpoint_groups?name=pub",
            None,
        )
        .await
        .expect(200);
    assert_eq!(listed.body["endpoint_groups"], json!([made]));
    ks.admin(
        Method::HEAD,
        &format!("/v3/OS-EP-FILTER/endpoint_groups/{group}"),
        None,
    )
    .await
    .expect(200);
    let selected = ks
        .admin(
            Method::GET,
            &format!("/v3/OS-EP-FILTER/endpoint_groups/{group}/endpoints"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(selected.body["endpoints"][0]["id"], public.as_str());
    assert_eq!(selected.body["endpoints"].as_array().unwrap().len(), 1);
    // A member may not manage endpoint groups.
    ks.send(
        Method::GET,
        "/v3/OS-EP-FILTER/endpoint_groups",
        Some(&member.token),
        None,
    )
    .await
    .expect(403);

    // Before any association the project sees the whole catalog.
    let scope = json!({"project": {"id": member.project_id}});
    let token = || ks.password_token(&member.user_name, "pw", scope.clone());
    let whole = catalog_endpoints(&token().await.expect(201).body);
    assert!(whole.contains(&public) && whole.contains(&admin_ep));

    let assoc = format!(
        "/v3/OS-EP-FILTER/endpoint_groups/{group}/projects/{}",
        member.project_id
    );
    ks.admin(Method::GET, &assoc, None).await.expect(404);
    ks.admin(Method::PUT, &assoc, None).await.expect(204);
    let shown = ks.admin(Method::GET, &assoc, None).await.expect(200);
    assert_eq!(
        shown.body["project_endpoint_group"]["project_id"],
        member.project_id.as_str()
    );
    ks.admin(Method::PUT, &assoc, None).await.expect(409);
    let groups = ks
        .admin(
            Method::GET,
            &format!(
                "/v3/OS-EP-FILTER/projects/{}/endpoint_groups",
                member.project_id
            ),
            None,
        )
        .await
        .expect(200);
    assert_eq!(groups.body["endpoint_groups"][0]["id"], group.as_str());
    assert_eq!(
        catalog_endpoints(&token().await.expect(201).body),
        vec![public.clone()]
    );

    // A direct association adds the admin endpoint.
    let direct = format!(
        "/v3/OS-EP-FILTER/projects/{}/endpoints/{admin_ep}",
        member.project_id
    );
    ks.admin(Method::HEAD, &direct, None).await.expect(404);
    ks.admin(Method::PUT, &direct, None).await.expect(204);
    ks.admin(Method::PUT, &direct, None).await.expect(409);
    ks.admin(Method::HEAD, &direct, None).await.expect(204);
    let mut both = vec![public.clone(), admin_ep.clone()];
    both.sort();
    assert_eq!(catalog_endpoints(&token().await.expect(201).body), both);
    let projects = ks
        .admin(
            Method::GET,
            &format!("/v3/OS-EP-FILTER/endpoints/{admin_ep}/projects"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        projects.body["projects"][0]["id"],
        member.project_id.as_str()
    );
    let endpoints = ks
        .admin(
            Method::GET,
            &format!("/v3/OS-EP-FILTER/projects/{}/endpoints", member.project_id),
            None,
        )
        .await
        .expect(200);
    assert_eq!(endpoints.body["endpoints"].as_array().unwrap().len(), 2);

    // Unknown sides are 404s.
    ks.admin(
        Method::PUT,
        &format!(
            "/v3/OS-EP-FILTER/projects/{}/endpoints/nope",
            member.project_id
        ),
        None,
    )
    .await
    .expect(404);
    ks.admin(
        Method::PUT,
        &format!(
            "/v3/OS-EP-FILTER/endpoint_groups/nope/projects/{}",
            member.project_id
        ),
        None,
    )
    .await
    .expect(404);

    // Removing both associations gives the whole catalog back; the group goes.
    ks.admin(Method::DELETE, &direct, None).await.expect(204);
    ks.admin(Method::DELETE, &direct, None).await.expect(404);
    ks.admin(
        Method::DELETE,
        &format!("/v3/OS-EP-FILTER/endpoint_groups/{group}"),
        None,
    )
    .await
    .expect(204);
    ks.admin(Method::GET, &assoc, None).await.expect(404);
    let again = catalog_endpoints(&token().await.expect(201).body);
    assert!(again.contains(&public) && again.contains(&admin_ep));
}

#[tokio::test]
async fn endpoint_group_updates() {
    let ks = Keystone::start().await;
    let made = ks
        .admin(
            Method::POST,
            "/v3/OS-EP-FILTER/endpoint_groups",
            Some(json!({"endpoint_group": {"name": "a", "filters": {"interface": "admin"}}})),
        )
        .await
        .expect(201);
    let id = made.body["endpoint_group"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/v3/OS-EP-FILTER/endpoint_groups/{id}");
    let updated = ks
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"endpoint_group": {"name": "b", "filters": {"region_id": "RegionOne"}}})),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["endpoint_group"]["name"], "b");
    assert_eq!(
        updated.body["endpoint_group"]["filters"],
        json!({"region_id": "RegionOne"})
    );
    ks.admin(
        Method::PATCH,
        &path,
        Some(json!({"endpoint_group": {"filters": {"bogus": "x"}}})),
    )
    .await
    .expect(400);
    ks.admin(
        Method::PATCH,
        "/v3/OS-EP-FILTER/endpoint_groups/nope",
        Some(json!({"endpoint_group": {"name": "c"}})),
    )
    .await
    .expect(404);
    ks.admin(Method::DELETE, &path, None).await.expect(204);
    ks.admin(Method::GET, &path, None).await.expect(404);
}
