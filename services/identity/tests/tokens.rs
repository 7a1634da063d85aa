//! Tokens over HTTP: issue, scope, validate, revoke, and everything that revokes.

mod common;

use common::{project_scope, Keystone, ADMIN_PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

async fn validate(ks: &Keystone, token: &str, query: &str) -> common::Resp {
    let url = ks.served.url(&format!("/v3/auth/tokens{query}"));
    let resp = ks
        .client
        .get(url)
        .header("X-Auth-Token", &ks.admin_token)
        .header("X-Subject-Token", token)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    common::Resp {
        status,
        headers,
        body,
    }
}

#[tokio::test]
async fn discovery_documents() {
    let ks = Keystone::start().await;
    let root = ks.send(Method::GET, "/", None, None).await.expect(300);
    let version = &root.body["versions"]["values"][0];
    assert_eq!(version["status"], "stable");
    assert!(version["id"].as_str().unwrap().starts_with("v3."));
    let v3 = ks.send(Method::GET, "/v3", None, None).await.expect(200);
    assert!(v3.body["version"]["links"][0]["href"]
        .as_str()
        .unwrap()
        .ends_with("/v3/"));
    assert!(root
        .header("x-openstack-request-id")
        .unwrap()
        .starts_with("req-"));
}

#[tokio::test]
async fn password_token_is_scoped_with_implied_roles_and_catalog() {
    let ks = Keystone::start().await;
    let resp = ks
        .password_token("admin", ADMIN_PASSWORD, project_scope("admin"))
        .await
        .expect(201);
    let token = &resp.body["token"];
    assert_eq!(token["project"]["name"], "admin");
    assert_eq!(token["methods"], json!(["password"]));
    let mut roles: Vec<_> = token["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    roles.sort();
    assert_eq!(roles, ["admin", "manager", "member", "reader"]);
    assert!(token["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["type"] == "identity"));
    assert!(token["expires_at"].as_str().unwrap().ends_with('Z'));

    let nocatalog = ks
        .send(
            Method::POST,
            "/v3/auth/tokens?nocatalog",
            None,
            Some(
                json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "domain": {"name": "Default"}, "password": ADMIN_PASSWORD}}},
                "scope": project_scope("admin")}}),
            ),
        )
        .await
        .expect(201);
    assert!(nocatalog.body["token"].get("catalog").is_none());
}

#[tokio::test]
async fn bad_credentials_and_bodies_are_refused() {
    let ks = Keystone::start().await;
    let wrong = ks
        .password_token("admin", "wrong", project_scope("admin"))
        .await
        .expect(401);
    assert_eq!(wrong.body["error"]["code"], 401);
    assert!(wrong
        .header("www-authenticate")
        .unwrap()
        .starts_with("Keystone uri="));
    ks.password_token("nobody", "pw", Value::Null)
        .await
        .expect(401);
    ks.send_raw(Method::POST, "/v3/auth/tokens", None, "{not json")
        .await
        .expect(400);
    let missing = ks
        .send(
            Method::POST,
            "/v3/auth/tokens",
            None,
            Some(json!({"auth": {}})),
        )
        .await
        .expect(400);
    assert!(missing.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("identity"));
    ks.password_token("admin", ADMIN_PASSWORD, project_scope("no-such-project"))
        .await
        .expect(401);
}

#[tokio::test]
async fn validate_head_and_revoke() {
    let ks = Keystone::start().await;
    let token = ks
        .token_for("admin", ADMIN_PASSWORD, project_scope("admin"))
        .await;
    let shown = validate(&ks, &token, "").await.expect(200);
    assert_eq!(shown.body["token"]["user"]["name"], "admin");
    assert_eq!(shown.header("x-subject-token"), Some(token.as_str()));
    let head = ks
        .client
        .head(ks.served.url("/v3/auth/tokens"))
        .header("X-Auth-Token", &ks.admin_token)
        .header("X-Subject-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    validate(&ks, "gAAAAAbogus", "").await.expect(404);

    let revoke = ks
        .client
        .delete(ks.served.url("/v3/auth/tokens"))
        .header("X-Auth-Token", &ks.admin_token)
        .header("X-Subject-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    validate(&ks, &token, "").await.expect(404);
    ks.get("/v3/projects", &token).await.expect(401);
    // Re-scoping a revoked (or bogus) token is Keystone's 404, not a 401: tempest
    // tells the two apart (`test_user_update_own_password`).
    for parent in [token.as_str(), "gAAAAAbogus"] {
        ks.send(
            reqwest::Method::POST,
            "/v3/auth/tokens",
            None,
            Some(serde_json::json!({"auth": {"identity": {"methods": ["token"], "token": {"id": parent}}}})),
        )
        .await
        .expect(404);
    }
}

/// A user validates, then revokes, their own token (Keystone's token_subject
/// rule), and once it is revoked the answer is 404, not 403: the policy target
/// is built from the validated subject token, as Keystone builds it.
#[tokio::test]
async fn users_validate_and_revoke_their_own_tokens() {
    let ks = Keystone::start().await;
    let persona = ks.user_with_role("member").await;
    let own = |method: Method| {
        ks.client
            .request(method, ks.served.url("/v3/auth/tokens"))
            .header("X-Auth-Token", &persona.token)
            .header("X-Subject-Token", &persona.token)
    };
    assert_eq!(own(Method::GET).send().await.unwrap().status(), 200);
    assert_eq!(own(Method::DELETE).send().await.unwrap().status(), 204);
    let other = ks
        .token_for(
            &persona.user_name,
            "pw",
            json!({"project": {"id": persona.project_id}}),
        )
        .await;
    let after = ks
        .client
        .get(ks.served.url("/v3/auth/tokens"))
        .header("X-Auth-Token", &other)
        .header("X-Subject-Token", &persona.token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 404);
}

/// A revocation reaches other identity processes on the same database (polled,
/// not by dropping their caches), and events older than any token they could
/// match are pruned.
#[tokio::test]
async fn revocations_reach_other_processes_and_old_events_are_pruned() {
    use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
    let ks = Keystone::start().await;
    let other = ferrostack_identity::build(&ks.env.config).await.unwrap();
    let token = ks
        .token_for("admin", ADMIN_PASSWORD, project_scope("admin"))
        .await;
    let kept = ks
        .token_for("admin", ADMIN_PASSWORD, project_scope("admin"))
        .await;
    // The other process has both validations cached.
    other.validate_token(&token, false).await.unwrap();
    other.validate_token(&kept, false).await.unwrap();
    ks.identity.revoke_token(&token).await.unwrap();
    assert!(
        other.validate_token(&token, false).await.is_ok(),
        "not polled yet"
    );
    other.refresh_revocations().await.unwrap();
    assert!(other.validate_token(&token, false).await.is_err());
    assert!(other.validate_token(&kept, false).await.is_ok());

    use ferrostack_identity::db::entity::revocation_event;
    let long_ago = (chrono::Utc::now() - chrono::Duration::days(30)).naive_utc();
    revocation_event::ActiveModel {
        audit_id: Set(Some("ancient".into())),
        issued_before: Set(long_ago),
        revoked_at: Set(long_ago),
        ..Default::default()
    }
    .insert(&ks.identity.store.db)
    .await
    .unwrap();
    assert_eq!(ks.identity.prune_revocations().await.unwrap(), 1);
    let left = revocation_event::Entity::find()
        .count(&ks.identity.store.db)
        .await
        .unwrap();
    assert_eq!(left, 1, "the recent revocation stays");
    assert!(ks.identity.validate_token(&token, false).await.is_err());
}

#[tokio::test]
async fn token_method_rescopes_and_system_and_domain_scopes() {
    let ks = Keystone::start().await;
    let unscoped = ks.token_for("admin", ADMIN_PASSWORD, Value::Null).await;
    let shown = validate(&ks, &unscoped, "").await.expect(200);
    assert!(shown.body["token"].get("project").is_none());

    let rescoped = ks
        .send(
            Method::POST,
            "/v3/auth/tokens",
            None,
            Some(
                json!({"auth": {"identity": {"methods": ["token"], "token": {"id": unscoped}},
                "scope": project_scope("admin")}}),
            ),
        )
        .await
        .expect(201);
    assert_eq!(rescoped.body["token"]["project"]["name"], "admin");
    // It keeps how the user first authenticated.
    let mut methods: Vec<&str> = rescoped.body["token"]["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    methods.sort();
    assert_eq!(methods, ["password", "token"]);

    let system = ks
        .password_token("admin", ADMIN_PASSWORD, json!({"system": {"all": true}}))
        .await
        .expect(201);
    assert_eq!(system.body["token"]["system"]["all"], true);

    let domain_id = ks
        .create("domains", "domain", json!({"name": "scoped-dom"}))
        .await;
    let admin_id = ks
        .admin(Method::GET, "/v3/users?name=admin", None)
        .await
        .body["users"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin_role = ks.role_id("admin").await;
    ks.admin(
        Method::PUT,
        &format!("/v3/domains/{domain_id}/users/{admin_id}/roles/{admin_role}"),
        None,
    )
    .await
    .expect(204);
    let domain = ks
        .password_token(
            "admin",
            ADMIN_PASSWORD,
            json!({"domain": {"id": domain_id}}),
        )
        .await
        .expect(201);
    assert_eq!(domain.body["token"]["domain"]["id"], domain_id.as_str());

    let projects = ks.get("/v3/auth/projects", &unscoped).await.expect(200);
    assert!(projects.body["projects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "admin"));
    let domains = ks.get("/v3/auth/domains", &unscoped).await.expect(200);
    assert!(domains.body["domains"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"] == domain_id.as_str()));
    let system = ks.get("/v3/auth/system", &unscoped).await.expect(200);
    assert_eq!(system.body["system"][0]["all"], true);
    let catalog = ks
        .get("/v3/auth/catalog", &ks.admin_token)
        .await
        .expect(200);
    assert!(!catalog.body["catalog"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn user_and_project_changes_revoke_tokens() {
    let ks = Keystone::start().await;

    let persona = ks.user_with_role("member").await;
    validate(&ks, &persona.token, "").await.expect(200);
    ks.admin(
        Method::PATCH,
        &format!("/v3/users/{}", persona.user_id),
        Some(json!({"user": {"enabled": false}})),
    )
    .await
    .expect(200);
    validate(&ks, &persona.token, "").await.expect(404);

    let persona = ks.user_with_role("member").await;
    ks.send(
        Method::POST,
        &format!("/v3/users/{}/password", persona.user_id),
        Some(&persona.token),
        Some(json!({"user": {"original_password": "pw", "password": "pw2"}})),
    )
    .await
    .expect(204);
    validate(&ks, &persona.token, "").await.expect(404);
    ks.token_for(&persona.user_name, "pw2", Value::Null).await;

    let persona = ks.user_with_role("member").await;
    ks.admin(
        Method::PATCH,
        &format!("/v3/projects/{}", persona.project_id),
        Some(json!({"project": {"enabled": false}})),
    )
    .await
    .expect(200);
    validate(&ks, &persona.token, "").await.expect(404);

    let persona = ks.user_with_role("member").await;
    let member = ks.role_id("member").await;
    ks.admin(
        Method::DELETE,
        &format!(
            "/v3/projects/{}/users/{}/roles/{member}",
            persona.project_id, persona.user_id
        ),
        None,
    )
    .await
    .expect(204);
    validate(&ks, &persona.token, "").await.expect(404);

    let persona = ks.user_with_role("member").await;
    ks.admin(
        Method::DELETE,
        &format!("/v3/users/{}", persona.user_id),
        None,
    )
    .await
    .expect(204);
    validate(&ks, &persona.token, "").await.expect(404);
}

#[tokio::test]
async fn expired_tokens_validate_only_with_allow_expired() {
    let ks = Keystone::start_with(|c| c.set("token", "expiration", "1")).await;
    let token = ks
        .token_for("admin", ADMIN_PASSWORD, project_scope("admin"))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    // The admin's own token expired too: use a fresh one to validate.
    let validator = ks
        .token_for("admin", ADMIN_PASSWORD, project_scope("admin"))
        .await;
    let check = |query: &'static str| {
        let (ks, token, validator) = (&ks, token.clone(), validator.clone());
        async move {
            ks.client
                .get(ks.served.url(&format!("/v3/auth/tokens{query}")))
                .header("X-Auth-Token", validator)
                .header("X-Subject-Token", token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(check("").await, 404);
    assert_eq!(check("?allow_expired=true").await, 200);
}

#[tokio::test]
async fn application_credentials_log_in_with_a_subset_of_roles() {
    let ks = Keystone::start().await;
    let persona = ks.user_with_role("member").await;
    let created = ks
        .send(
            Method::POST,
            &format!("/v3/users/{}/application_credentials", persona.user_id),
            Some(&persona.token),
            Some(json!({"application_credential": {"name": "ci", "roles": [{"name": "reader"}]}})),
        )
        .await
        .expect(201);
    let cred = &created.body["application_credential"];
    let (id, secret) = (
        cred["id"].as_str().unwrap(),
        cred["secret"].as_str().unwrap(),
    );
    let shown = ks
        .get(
            &format!("/v3/users/{}/application_credentials/{id}", persona.user_id),
            &persona.token,
        )
        .await
        .expect(200);
    assert!(shown.body["application_credential"].get("secret").is_none());

    let login = |secret: String| {
        let ks = &ks;
        let id = id.to_owned();
        async move {
            ks.send(
                Method::POST,
                "/v3/auth/tokens",
                None,
                Some(
                    json!({"auth": {"identity": {"methods": ["application_credential"],
                    "application_credential": {"id": id, "secret": secret}}}}),
                ),
            )
            .await
        }
    };
    let token = login(secret.to_owned()).await.expect(201);
    let roles: Vec<_> = token.body["token"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(roles, ["reader"]);
    assert_eq!(
        token.body["token"]["project"]["id"],
        persona.project_id.as_str()
    );
    login("wrong".into()).await.expect(401);

    ks.send(
        Method::POST,
        &format!("/v3/users/{}/application_credentials", persona.user_id),
        Some(&persona.token),
        Some(json!({"application_credential": {"name": "too-much", "roles": [{"name": "admin"}]}})),
    )
    .await
    .expect(404); // upstream: RoleAssignmentNotFound
}

/// Regression: expiry was truncated to the second, so a 1 s token could be expired
/// before it was returned (and failed to issue on a slow database).
#[tokio::test]
async fn short_lived_tokens_keep_their_full_lifetime() {
    let ks = Keystone::start_with(|c| c.set("token", "expiration", "2")).await;
    for _ in 0..5 {
        let issued = ks
            .password_token("admin", ADMIN_PASSWORD, project_scope("admin"))
            .await
            .expect(201);
        let expires: chrono::DateTime<chrono::Utc> = issued.body["token"]["expires_at"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let left = expires - chrono::Utc::now();
        assert!(
            left > chrono::Duration::milliseconds(1500),
            "only {left} of a 2 s lifetime left"
        );
        tokio::time::sleep(std::time::Duration::from_millis(230)).await;
    }
}

/// What Horizon does at login: a member's unscoped token lists the user's
/// projects and validates itself (oslo.policy counts an unscoped token as
/// project-scoped for rules with scope types).
#[tokio::test]
async fn an_unscoped_token_lists_its_users_projects_and_validates_itself() {
    let ks = Keystone::start().await;
    let member = ks.user_with_role("member").await;
    let unscoped = ks.token_for(&member.user_name, "pw", Value::Null).await;
    let projects = ks
        .get(&format!("/v3/users/{}/projects", member.user_id), &unscoped)
        .await
        .expect(200);
    assert_eq!(
        projects.body["projects"][0]["id"],
        member.project_id.as_str()
    );
    let own = ks
        .client
        .get(ks.served.url("/v3/auth/tokens"))
        .header("X-Auth-Token", &unscoped)
        .header("X-Subject-Token", &unscoped)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    // Still not anyone else's projects.
    let admin = ks.admin(Method::GET, "/v3/users?name=admin", None).await;
    let admin_id = admin.body["users"][0]["id"].as_str().unwrap();
    ks.get(&format!("/v3/users/{admin_id}/projects"), &unscoped)
        .await
        .expect(403);
}
