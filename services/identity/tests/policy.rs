//! Who may do what: admin, member and reader personas, system scope, tenant
//! isolation — and the CADF notifications writes emit on the bus.

mod common;

use std::time::Duration;

use common::{Keystone, ADMIN_PASSWORD};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn project_members_and_readers_cannot_administer() {
    let ks = Keystone::start().await;
    for role in ["member", "reader"] {
        let p = ks.user_with_role(role).await;
        let denied = ks
            .send(
                Method::POST,
                "/v3/projects",
                Some(&p.token),
                Some(json!({"project": {"name": format!("by-{role}")}})),
            )
            .await
            .expect(403);
        assert_eq!(denied.body["error"]["title"], "Forbidden");
        ks.get("/v3/users", &p.token).await.expect(403);
        ks.get("/v3/role_assignments", &p.token).await.expect(403);
        ks.send(
            Method::POST,
            "/v3/roles",
            Some(&p.token),
            Some(json!({"role": {"name": format!("r-{role}")}})),
        )
        .await
        .expect(403);
        ks.send(
            Method::DELETE,
            &format!("/v3/projects/{}", p.project_id),
            Some(&p.token),
            None,
        )
        .await
        .expect(403);
        // What is theirs they may read.
        ks.get(&format!("/v3/projects/{}", p.project_id), &p.token)
            .await
            .expect(200);
        ks.get(&format!("/v3/users/{}", p.user_id), &p.token)
            .await
            .expect(200);
        ks.get(&format!("/v3/users/{}/projects", p.user_id), &p.token)
            .await
            .expect(200);
    }
}

#[tokio::test]
async fn tenants_are_isolated() {
    let ks = Keystone::start().await;
    let a = ks.user_with_role("member").await;
    let b = ks.user_with_role("member").await;
    ks.get(&format!("/v3/projects/{}", b.project_id), &a.token)
        .await
        .expect(403);
    ks.get(&format!("/v3/users/{}", b.user_id), &a.token)
        .await
        .expect(403);
    ks.get(&format!("/v3/users/{}/projects", b.user_id), &a.token)
        .await
        .expect(403);
    ks.get(
        &format!("/v3/role_assignments?scope.project.id={}", b.project_id),
        &a.token,
    )
    .await
    .expect(403);
    ks.send(
        Method::POST,
        &format!("/v3/users/{}/application_credentials", b.user_id),
        Some(&a.token),
        Some(json!({"application_credential": {"name": "steal"}})),
    )
    .await
    .expect(403);
    ks.send(
        Method::PATCH,
        &format!("/v3/users/{}", b.user_id),
        Some(&a.token),
        Some(json!({"user": {"enabled": false}})),
    )
    .await
    .expect(403);
    // Listing assignments needs a system or domain reader, even for one's own project.
    ks.get(
        &format!(
            "/v3/role_assignments?scope.project.id={}&user.id={}",
            a.project_id, a.user_id
        ),
        &a.token,
    )
    .await
    .expect(403);
}

/// The manager persona administers users and projects of its own domain only.
#[tokio::test]
async fn domain_manager_is_confined_to_its_domain() {
    let ks = Keystone::start().await;
    let domain = ks
        .create("domains", "domain", json!({"name": "acme"}))
        .await;
    let other = ks
        .create("domains", "domain", json!({"name": "other"}))
        .await;
    let manager = ks
        .create(
            "users",
            "user",
            json!({"name": "boss", "password": "pw", "domain_id": domain}),
        )
        .await;
    let role = ks.role_id("manager").await;
    ks.admin(
        Method::PUT,
        &format!("/v3/domains/{domain}/users/{manager}/roles/{role}"),
        None,
    )
    .await
    .expect(204);
    let token = ks
        .send(
            Method::POST,
            "/v3/auth/tokens",
            None,
            Some(
                json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
                "name": "boss", "domain": {"id": domain}, "password": "pw"}}},
                "scope": {"domain": {"id": domain}}}}),
            ),
        )
        .await
        .expect(201)
        .header("x-subject-token")
        .unwrap()
        .to_owned();
    let create = |domain_id: String, name: &'static str| {
        let (ks, token) = (&ks, token.clone());
        async move {
            ks.send(
                Method::POST,
                "/v3/users",
                Some(&token),
                Some(json!({"user": {"name": name, "domain_id": domain_id}})),
            )
            .await
        }
    };
    create(domain.clone(), "hire").await.expect(201);
    create(other.clone(), "poach").await.expect(403);
    ks.send(
        Method::POST,
        "/v3/projects",
        Some(&token),
        Some(json!({"project": {"name": "acme-proj", "domain_id": domain}})),
    )
    .await
    .expect(201);
    // Managers grant the member/reader/manager roles within their domain (the
    // policy target must name the role), never admin nor outside it.
    let hire = ks.get("/v3/users?name=hire", &token).await.expect(200).body["users"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let grant = |on: &str, role: String| {
        let (ks, token, path) = (
            &ks,
            token.clone(),
            format!("/v3/domains/{on}/users/{hire}/roles/{role}"),
        );
        async move { ks.send(Method::PUT, &path, Some(&token), None).await }
    };
    grant(&domain, ks.role_id("member").await).await.expect(204);
    grant(&domain, ks.role_id("reader").await).await.expect(204);
    grant(&domain, ks.role_id("admin").await).await.expect(403);
    grant(&other, ks.role_id("member").await).await.expect(403);
    // Listing is confined to the token's domain.
    let users = ks.get("/v3/users", &token).await.expect(200);
    assert!(users.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["domain_id"] == domain.as_str()));
    // Global roles stay an admin's business.
    ks.send(
        Method::POST,
        "/v3/roles",
        Some(&token),
        Some(json!({"role": {"name": "nope"}})),
    )
    .await
    .expect(403);
}

#[tokio::test]
async fn system_admin_and_reader() {
    let ks = Keystone::start().await;
    let system = ks
        .token_for("admin", ADMIN_PASSWORD, json!({"system": {"all": true}}))
        .await;
    ks.get("/v3/users", &system).await.expect(200);
    ks.get("/v3/role_assignments", &system).await.expect(200);
    ks.send(
        Method::POST,
        "/v3/projects",
        Some(&system),
        Some(json!({"project": {"name": "by-system"}})),
    )
    .await
    .expect(201);

    let reader = ks
        .create(
            "users",
            "user",
            json!({"name": "auditor", "password": "pw"}),
        )
        .await;
    let reader_role = ks.role_id("reader").await;
    ks.admin(
        Method::PUT,
        &format!("/v3/system/users/{reader}/roles/{reader_role}"),
        None,
    )
    .await
    .expect(204);
    let token = ks
        .token_for("auditor", "pw", json!({"system": {"all": true}}))
        .await;
    ks.get("/v3/users", &token).await.expect(200);
    ks.get("/v3/projects", &token).await.expect(200);
    ks.send(
        Method::POST,
        "/v3/projects",
        Some(&token),
        Some(json!({"project": {"name": "by-reader"}})),
    )
    .await
    .expect(403);
}

#[tokio::test]
async fn writes_emit_cadf_notifications_on_the_bus() {
    let ks = Keystone::start_on_own_bus().await;
    let url = ks
        .env
        .config
        .get(&ferrostack_rpc::TRANSPORT_URL)
        .unwrap()
        .to_owned();
    let options = ferrostack_rpc::TransportOptions {
        control_exchange: "keystone".into(),
        ..Default::default()
    };
    let transport = ferrostack_rpc::connect(&url, options).await.unwrap();
    let mut events = transport
        .listen(ferrostack_rpc::Priority::Info)
        .await
        .unwrap();
    let project = ks
        .create("projects", "project", json!({"name": "noisy"}))
        .await;
    let event = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let n = events.next().await.expect("stream open");
            if n.payload["resource_info"] == project.as_str() {
                return n;
            }
        }
    })
    .await
    .expect("a notification for the new project");
    assert_eq!(event.event_type, "identity.project.created");
    assert!(event.publisher_id.starts_with("identity."));
    assert_eq!(
        event.payload["typeURI"],
        "http://schemas.dmtf.org/cloud/audit/1.0/event"
    );
    assert_eq!(event.payload["action"], "created.project");
}
