//! The middleware against a real identity service in-process.

use std::{sync::Arc, time::Duration};

use axum::{routing::get, Router};
use ferrostack_api::{ApiService, Envelope};
use ferrostack_auth::{AuthContext, AuthOptions, Authenticator};
use ferrostack_identity::domain::Bootstrap;
use ferrostack_testkit::{Served, TestEnv};
use reqwest::StatusCode;
use serde_json::{json, Value};

const ADMIN_PASSWORD: &str = "admin-pw";

/// Identity with a `glance` service user (role `service` on project `service`).
struct Cloud {
    identity: Option<Served>,
    identity_url: String,
    env: TestEnv,
    http: reqwest::Client,
}

impl Cloud {
    async fn start(token_expiration: u64) -> Cloud {
        let mut env = TestEnv::new("auth").await;
        env.config.set("identity", "password_hash_rounds", "4");
        env.config.set("database", "auto_migrate", "true");
        env.config
            .set("token", "expiration", token_expiration.to_string());
        let identity =
            ferrostack_identity::standalone(&env.config, &Bootstrap::admin(ADMIN_PASSWORD, None))
                .await
                .unwrap();
        let served = ferrostack_testkit::serve(ferrostack_identity::api_service(identity)).await;
        let cloud = Cloud {
            identity_url: served.url(""),
            identity: Some(served),
            env,
            http: reqwest::Client::new(),
        };
        let admin = cloud.token("admin", ADMIN_PASSWORD, "admin").await;
        let project = cloud
            .post(
                &admin,
                "/v3/projects",
                json!({"project": {"name": "service"}}),
            )
            .await["project"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let user = cloud
            .post(
                &admin,
                "/v3/users",
                json!({"user": {"name": "glance", "password": "glance-pw"}}),
            )
            .await["user"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let roles: Value = cloud
            .http
            .get(format!("{}/v3/roles?name=service", cloud.identity_url))
            .header("X-Auth-Token", &admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let role = roles["roles"][0]["id"].as_str().unwrap();
        let status = cloud
            .http
            .put(format!(
                "{}/v3/projects/{project}/users/{user}/roles/{role}",
                cloud.identity_url
            ))
            .header("X-Auth-Token", &admin)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::NO_CONTENT);
        cloud
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}{path}", self.identity_url))
            .header("X-Auth-Token", token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        resp.json().await.unwrap()
    }

    async fn token(&self, user: &str, password: &str, project: &str) -> String {
        let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}});
        let resp = self
            .http
            .post(format!("{}/v3/auth/tokens", self.identity_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        resp.headers()["x-subject-token"]
            .to_str()
            .unwrap()
            .to_owned()
    }

    fn options(&self, configure: impl FnOnce(&mut ferrostack_config::Config)) -> AuthOptions {
        let mut config = self.env.config.clone();
        config.set("keystone_authtoken", "auth_url", &self.identity_url);
        config.set(
            "keystone_authtoken",
            "www_authenticate_uri",
            "http://keystone.example:5000",
        );
        config.set("keystone_authtoken", "username", "glance");
        config.set("keystone_authtoken", "password", "glance-pw");
        configure(&mut config);
        AuthOptions::from_config(&config, &["image"]).unwrap()
    }

    fn stop_identity(&mut self) {
        self.identity = None;
    }
}

/// A toy service whose one route echoes the request context.
async fn protected(auth: Arc<Authenticator>) -> Served {
    let router = Router::new().route(
        "/whoami",
        get(|ctx: AuthContext| async move {
            axum::Json(json!({"user": ctx.user_id, "project": ctx.project_id,
                    "roles": ctx.roles, "service_roles": ctx.service_roles}))
        }),
    );
    ferrostack_testkit::serve(ApiService {
        name: "toy",
        router: Router::new(),
        protected: Some((router, ferrostack_auth::gate(auth))),
        envelope: Envelope::Fault,
        body_limit: 1024,
        openapi: None,
        path_rewrite: None,
    })
    .await
}

async fn whoami(
    service: &Served,
    token: Option<&str>,
    service_token: Option<&str>,
) -> (StatusCode, Value, Option<String>) {
    let mut req = reqwest::Client::new().get(service.url("/whoami"));
    if let Some(token) = token {
        req = req.header("X-Auth-Token", token);
    }
    if let Some(token) = service_token {
        req = req.header("X-Service-Token", token);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, resp.json().await.unwrap_or(Value::Null), challenge)
}

#[tokio::test]
async fn missing_and_bad_tokens_are_challenged() {
    let cloud = Cloud::start(3600).await;
    let service = protected(Authenticator::new(cloud.options(|_| {}))).await;
    let (status, body, challenge) = whoami(&service, None, None).await;
    assert_eq!(status, 401);
    assert_eq!(
        challenge.as_deref(),
        Some("Keystone uri=\"http://keystone.example:5000\"")
    );
    assert_eq!(body["unauthorized"]["code"], 401, "{body}");
    let (status, _, challenge) = whoami(&service, Some("gAAAAAbogus"), None).await;
    assert_eq!(status, 401);
    assert!(challenge.is_some());
}

#[tokio::test]
async fn valid_token_gives_the_request_context() {
    let cloud = Cloud::start(3600).await;
    let service = protected(Authenticator::new(cloud.options(|_| {}))).await;
    let token = cloud.token("admin", ADMIN_PASSWORD, "admin").await;
    let (status, body, _) = whoami(&service, Some(&token), None).await;
    assert_eq!(status, 200);
    assert!(body["project"].is_string());
    let mut roles: Vec<_> = body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    roles.sort();
    assert_eq!(roles, ["admin", "manager", "member", "reader"]);
}

#[tokio::test]
async fn cached_validations_survive_identity_going_away() {
    let mut cloud = Cloud::start(3600).await;
    let service = protected(Authenticator::new(cloud.options(|_| {}))).await;
    let cached = cloud.token("admin", ADMIN_PASSWORD, "admin").await;
    let uncached = cloud.token("admin", ADMIN_PASSWORD, "admin").await;
    assert_eq!(whoami(&service, Some(&cached), None).await.0, 200);
    cloud.stop_identity();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(whoami(&service, Some(&cached), None).await.0, 200);
    assert_eq!(whoami(&service, Some(&uncached), None).await.0, 503);
}

#[tokio::test]
async fn cache_never_outlives_the_token_and_service_tokens_extend_it() {
    let cloud = Cloud::start(2).await;
    let service = protected(Authenticator::new(cloud.options(|_| {}))).await;
    let user = cloud.token("admin", ADMIN_PASSWORD, "admin").await;
    assert_eq!(whoami(&service, Some(&user), None).await.0, 200);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(whoami(&service, Some(&user), None).await.0, 401);
    let service_token = cloud.token("glance", "glance-pw", "service").await;
    let (status, body, _) = whoami(&service, Some(&user), Some(&service_token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["service_roles"], json!(["service"]));
    let (status, _, _) = whoami(&service, Some(&user), Some("gAAAAAbogus")).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn caching_can_be_disabled() {
    let mut cloud = Cloud::start(3600).await;
    let service =
        protected(Authenticator::new(cloud.options(|c| {
            c.set("keystone_authtoken", "token_cache_time", "-1")
        })))
        .await;
    let token = cloud.token("admin", ADMIN_PASSWORD, "admin").await;
    assert_eq!(whoami(&service, Some(&token), None).await.0, 200);
    cloud.stop_identity();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(whoami(&service, Some(&token), None).await.0, 503);
}

/// Two processes of a service share validations through memcached
/// (`FERRO_TEST_MEMCACHED`, set by `make test`).
#[tokio::test]
async fn memcached_shares_validations_between_processes() {
    let servers = std::env::var("FERRO_TEST_MEMCACHED")
        .expect("FERRO_TEST_MEMCACHED is not set: run `make backends` (or `make test`)");
    let mut cloud = Cloud::start(3600).await;
    let configure = |c: &mut ferrostack_config::Config| {
        c.set("keystone_authtoken", "memcached_servers", &servers);
    };
    let first = protected(Authenticator::new(cloud.options(configure))).await;
    let token = cloud.token("admin", ADMIN_PASSWORD, "admin").await;
    assert_eq!(whoami(&first, Some(&token), None).await.0, 200);
    cloud.stop_identity();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = protected(Authenticator::new(cloud.options(configure))).await;
    let (status, body, _) = whoami(&second, Some(&token), None).await;
    assert_eq!(status, 200, "{body}");
}

/// The keys of every validation cached in memcached under `prefix`, from
/// memcached's own key dump (`lru_crawler metadump all`).
fn cached_keys(servers: &str, prefix: &str) -> Vec<String> {
    use std::io::{BufRead, BufReader, Write};
    let mut stream = std::net::TcpStream::connect(servers).unwrap();
    stream.write_all(b"lru_crawler metadump all\r\n").unwrap();
    let mut keys = Vec::new();
    for line in BufReader::new(stream).lines() {
        let line = line.unwrap();
        if line == "END" {
            break;
        }
        let Some(escaped) = line.strip_prefix("key=").and_then(|l| l.split(' ').next()) else {
            continue;
        };
        let mut key = String::new();
        let mut bytes = escaped.bytes();
        while let Some(b) = bytes.next() {
            if b == b'%' {
                let hex: String = [bytes.next().unwrap(), bytes.next().unwrap()]
                    .iter()
                    .map(|&c| c as char)
                    .collect();
                key.push(u8::from_str_radix(&hex, 16).unwrap() as char);
            } else {
                key.push(b as char);
            }
        }
        if key.starts_with(prefix) {
            keys.push(key);
        }
    }
    keys
}

/// With `memcache_security_strategy = ENCRYPT`, memcached holds neither the token
/// nor a readable context, and a value changed there is never believed
/// (keystonemiddleware's protection; without it whoever reaches memcached could
/// plant an admin context).
#[tokio::test]
async fn memcached_values_are_encrypted_and_tampering_is_refused() {
    let servers = std::env::var("FERRO_TEST_MEMCACHED")
        .expect("FERRO_TEST_MEMCACHED is not set: run `make backends` (or `make test`)");
    let mut cloud = Cloud::start(3600).await;
    let configure = |c: &mut ferrostack_config::Config| {
        c.set("keystone_authtoken", "memcached_servers", &servers);
        c.set(
            "keystone_authtoken",
            "memcache_security_strategy",
            "ENCRYPT",
        );
        c.set(
            "keystone_authtoken",
            "memcache_secret_key",
            "memcache-secret",
        );
    };
    let first = protected(Authenticator::new(cloud.options(configure))).await;
    let token = cloud.token("admin", ADMIN_PASSWORD, "admin").await;
    // Earlier runs' entries stay in the shared memcached: only new ones are ours.
    let before = cached_keys(&servers, "ferrostack/authtoken/");
    assert_eq!(whoami(&first, Some(&token), None).await.0, 200);
    // Protected entries: base64 keys derived with the secret (24 characters).
    let client = memcache::Client::connect(format!("memcache://{servers}")).unwrap();
    let ours: Vec<String> = cached_keys(&servers, "ferrostack/authtoken/")
        .into_iter()
        .filter(|k| k.len() == "ferrostack/authtoken/".len() + 24 && !before.contains(k))
        .collect();
    assert!(!ours.is_empty());
    for key in &ours {
        let value: String = client.get(key).unwrap().unwrap_or_default();
        assert!(
            !value.contains("admin") && !value.contains(&token),
            "{value}"
        );
        // Planted: a readable context granting admin, signed with nothing.
        client
            .set(key, r#"{"user_id":"x","roles":["admin"]}"#, 600)
            .unwrap();
    }
    cloud.stop_identity();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = protected(Authenticator::new(cloud.options(configure))).await;
    let (status, body, _) = whoami(&second, Some(&token), None).await;
    // Not served from the tampered entry: identity is asked, and it is away.
    assert_eq!(status, 503, "{body}");
}

impl Cloud {
    /// A token of an application credential of the admin's restricted to `rules`.
    async fn restricted_token(&self, rules: Value) -> String {
        let admin = self.token("admin", ADMIN_PASSWORD, "admin").await;
        let users: Value = self
            .http
            .get(format!("{}/v3/users?name=admin", self.identity_url))
            .header("X-Auth-Token", &admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let user_id = users["users"][0]["id"].as_str().unwrap();
        let name = uuid::Uuid::new_v4().simple().to_string();
        let cred = self
            .post(
                &admin,
                &format!("/v3/users/{user_id}/application_credentials"),
                json!({"application_credential": {"name": name, "access_rules": rules}}),
            )
            .await;
        let cred = &cred["application_credential"];
        let body = json!({"auth": {"identity": {"methods": ["application_credential"],
            "application_credential": {"id": cred["id"], "secret": cred["secret"]}}}});
        let resp = self
            .http
            .post(format!("{}/v3/auth/tokens", self.identity_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        resp.headers()["x-subject-token"]
            .to_str()
            .unwrap()
            .to_owned()
    }
}

#[tokio::test]
async fn access_rules_restrict_application_credential_tokens() {
    let cloud = Cloud::start(3600).await;
    let service = protected(Authenticator::new(cloud.options(|_| {}))).await;
    let allowed = cloud
        .restricted_token(json!([{"service": "image", "method": "GET", "path": "/whoami"}]))
        .await;
    assert_eq!(whoami(&service, Some(&allowed), None).await.0, 200);
    let elsewhere = cloud
        .restricted_token(json!([{"service": "image", "method": "GET", "path": "/v2/images/**"}]))
        .await;
    assert_eq!(whoami(&service, Some(&elsewhere), None).await.0, 401);
    let other_service = cloud
        .restricted_token(json!([{"service": "compute", "method": "GET", "path": "/whoami"}]))
        .await;
    assert_eq!(whoami(&service, Some(&other_service), None).await.0, 401);
    // A service configured as another type does not honour the image rule.
    let as_compute =
        protected(Authenticator::new(cloud.options(|c| {
            c.set("keystone_authtoken", "service_type", "compute")
        })))
        .await;
    assert_eq!(whoami(&as_compute, Some(&allowed), None).await.0, 401);
}
