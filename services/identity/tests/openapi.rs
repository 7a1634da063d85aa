//! The OpenAPI document at `/openapi.json`: generated from the handlers, it lists
//! every route and method identity serves.

mod common;

use common::Keystone;
use reqwest::Method;
use serde_json::Value;

/// Operations (path × method) the identity routers register.
const ROUTES: usize = 132;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// `(path, method)` of every operation in `doc`.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                ops.push((path.clone(), method.to_string()));
            }
        }
    }
    ops
}

fn methods(doc: &Value, path: &str) -> Vec<String> {
    let mut methods: Vec<String> = operations(doc)
        .into_iter()
        .filter(|(p, _)| p == path)
        .map(|(_, m)| m)
        .collect();
    methods.sort();
    methods
}

#[tokio::test]
async fn openapi_document_covers_the_routes() {
    let ks = Keystone::start().await;
    let resp = ks
        .send(Method::GET, "/openapi.json", None, None)
        .await
        .expect(200);
    let doc = resp.body;

    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "not OpenAPI 3.x: {}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "ferrostack identity (Keystone v3)");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));

    assert_eq!(methods(&doc, "/v3/projects"), ["get", "post"]);
    assert_eq!(
        methods(&doc, "/v3/projects/{id}"),
        ["delete", "get", "patch"]
    );
    assert_eq!(
        methods(&doc, "/v3/auth/tokens"),
        ["delete", "get", "head", "post"]
    );
    for grant in [
        "/v3/projects/{target_id}/users/{actor_id}/roles/{role_id}",
        "/v3/domains/{target_id}/groups/{actor_id}/roles/{role_id}",
        "/v3/system/users/{actor_id}/roles/{role_id}",
        "/v3/OS-INHERIT/projects/{target_id}/groups/{actor_id}/roles/{role_id}/inherited_to_projects",
    ] {
        assert_eq!(
            methods(&doc, grant),
            ["delete", "get", "head", "put"],
            "{grant}"
        );
    }
    assert_eq!(
        methods(&doc, "/v3/domains/{target_id}/users/{actor_id}/roles"),
        ["get"]
    );
    assert_eq!(
        methods(&doc, "/v3/groups/{id}/users/{user_id}"),
        ["delete", "get", "head", "put"]
    );
    for path in ["/", "/v3", "/v3/"] {
        assert_eq!(methods(&doc, path), ["get"], "{path}");
    }

    let project = &doc["paths"]["/v3/projects/{id}"]["get"];
    assert_eq!(project["operationId"], "get_project");
    assert_eq!(project["tags"][0], "projects");
    assert_eq!(project["parameters"][0]["name"], "id");
    assert_eq!(project["parameters"][0]["in"], "path");
    for status in ["200", "401", "403", "404"] {
        assert!(
            project["responses"].get(status).is_some(),
            "get_project lacks {status}"
        );
    }

    let ops = operations(&doc);
    assert!(
        ops.len() >= ROUTES,
        "{} operations documented, {ROUTES} routes",
        ops.len()
    );

    // Each documented operation is really served: without a token a route answers
    // 401 (or, when public, its own status), never 404 (no route) or 405.
    for (path, method) in &ops {
        let url = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let status = ks.send(method.clone(), &url, None, None).await.status;
        assert!(
            status != 404 && status != 405,
            "{method} {url} (documented as {path}) answered {status}"
        );
    }
}
