//! An identity service in-process on a fresh database (testkit chooses which),
//! bootstrapped, with helpers to drive it over HTTP.
#![allow(dead_code)]

use std::sync::Arc;

use ferrostack_identity::domain::{Bootstrap, Identity};
use ferrostack_testkit::{Served, TestEnv};
use reqwest::{header::HeaderMap, Method, StatusCode};
use serde_json::{json, Value};

pub const ADMIN_PASSWORD: &str = "s3cret-admin";

/// A response: status, headers and the JSON body (`Null` when there is none).
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    /// Panics with the body unless the status is `want`.
    pub fn expect(self, want: u16) -> Self {
        assert_eq!(self.status.as_u16(), want, "body: {}", self.body);
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub struct Keystone {
    pub identity: Arc<Identity>,
    pub served: Served,
    pub admin_token: String,
    pub client: reqwest::Client,
    pub env: TestEnv,
}

impl Keystone {
    /// A bootstrapped identity (admin/admin with [`ADMIN_PASSWORD`]), notifications on.
    pub async fn start() -> Keystone {
        Self::start_with(|_| {}).await
    }

    /// Like [`Keystone::start`], with extra configuration.
    pub async fn start_with(configure: impl FnOnce(&mut ferrostack_config::Config)) -> Keystone {
        Self::start_in(TestEnv::new("identity").await, configure).await
    }

    /// Like [`Keystone::start`], with a bus of its own: for tests that listen to
    /// the notifications, which other tests' services would otherwise also emit.
    pub async fn start_on_own_bus() -> Keystone {
        Self::start_in(TestEnv::with_own_bus("identity").await, |_| {}).await
    }

    async fn start_in(
        mut env: TestEnv,
        configure: impl FnOnce(&mut ferrostack_config::Config),
    ) -> Keystone {
        env.config.set("identity", "password_hash_rounds", "4");
        env.config
            .set("oslo_messaging_notifications", "driver", "messagingv2");
        env.config.set("database", "auto_migrate", "true");
        configure(&mut env.config);
        let identity = ferrostack_identity::standalone(
            &env.config,
            &Bootstrap::admin(ADMIN_PASSWORD, Some("http://localhost:5000/v3".into())),
        )
        .await
        .unwrap();
        let served =
            ferrostack_testkit::serve(ferrostack_identity::api_service(identity.clone())).await;
        let mut ks = Keystone {
            identity,
            served,
            admin_token: String::new(),
            client: reqwest::Client::new(),
            env,
        };
        ks.admin_token = ks
            .password_token("admin", ADMIN_PASSWORD, project_scope("admin"))
            .await
            .expect(201)
            .header("x-subject-token")
            .unwrap()
            .to_owned();
        ks
    }

    /// Sends a request with an optional token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.client.request(method, self.served.url(path));
        if let Some(token) = token {
            req = req.header("X-Auth-Token", token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        Self::read(req.send().await.unwrap()).await
    }

    /// Sends raw bytes as a JSON body (for malformed input).
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> Resp {
        let mut req = self
            .client
            .request(method, self.served.url(path))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(token) = token {
            req = req.header("X-Auth-Token", token);
        }
        Self::read(req.send().await.unwrap()).await
    }

    async fn read(resp: reqwest::Response) -> Resp {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    /// As the bootstrap admin.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.send(method, path, Some(&self.admin_token), body).await
    }

    /// `GET /v3/auth/tokens` of `token` as the bootstrap admin.
    pub async fn admin_validate(&self, token: &str) -> Resp {
        let resp = self
            .client
            .get(self.served.url("/v3/auth/tokens"))
            .header("X-Auth-Token", &self.admin_token)
            .header("X-Subject-Token", token)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.json().await.unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.send(Method::GET, path, Some(token), None).await
    }

    /// `POST /v3/auth/tokens` with the password method.
    pub async fn password_token(&self, user: &str, password: &str, scope: Value) -> Resp {
        let mut auth = json!({"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}}});
        if !scope.is_null() {
            auth["scope"] = scope;
        }
        self.send(
            Method::POST,
            "/v3/auth/tokens",
            None,
            Some(json!({"auth": auth})),
        )
        .await
    }

    /// A token for `user`, scoped as asked; panics unless issued.
    pub async fn token_for(&self, user: &str, password: &str, scope: Value) -> String {
        self.password_token(user, password, scope)
            .await
            .expect(201)
            .header("x-subject-token")
            .unwrap()
            .to_owned()
    }

    /// Creates `name` in the default domain and returns its id.
    pub async fn create(&self, collection: &str, singular: &str, body: Value) -> String {
        let resp = self
            .admin(
                Method::POST,
                &format!("/v3/{collection}"),
                Some(json!({ singular: body })),
            )
            .await
            .expect(201);
        resp.body[singular]["id"].as_str().unwrap().to_owned()
    }

    /// A project, a user with `role` on it, and that user's project token.
    pub async fn user_with_role(&self, role: &str) -> Persona {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let project_name = format!("p-{}", &suffix[..8]);
        let project_id = self
            .create("projects", "project", json!({"name": project_name}))
            .await;
        let user_name = format!("u-{}", &suffix[..8]);
        let user_id = self
            .create(
                "users",
                "user",
                json!({"name": user_name, "password": "pw"}),
            )
            .await;
        let role_id = self.role_id(role).await;
        self.admin(
            Method::PUT,
            &format!("/v3/projects/{project_id}/users/{user_id}/roles/{role_id}"),
            None,
        )
        .await
        .expect(204);
        let token = self
            .token_for(&user_name, "pw", json!({"project": {"id": project_id}}))
            .await;
        Persona {
            user_id,
            user_name,
            project_id,
            token,
        }
    }

    pub async fn role_id(&self, name: &str) -> String {
        let roles = self
            .admin(Method::GET, &format!("/v3/roles?name={name}"), None)
            .await
            .expect(200);
        roles.body["roles"][0]["id"].as_str().unwrap().to_owned()
    }
}

/// A user with a role on their own project.
pub struct Persona {
    pub user_id: String,
    pub user_name: String,
    pub project_id: String,
    pub token: String,
}

/// `{"project": {"name": name, "domain": {"id": "default"}}}`
pub fn project_scope(name: &str) -> Value {
    json!({"project": {"name": name, "domain": {"id": "default"}}})
}
