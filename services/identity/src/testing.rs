//! A real identity for the tests of other services (feature `testing`): bootstrapped
//! on a fresh testkit environment, served on loopback, with helpers to create
//! projects, users with roles, and the service user their auth middleware needs.

use ferrostack_config::Config;
use ferrostack_testkit::{Served, TestEnv};
use serde_json::{json, Value};

use crate::domain::Bootstrap;

const ADMIN_PASSWORD: &str = "test-admin";
const PASSWORD: &str = "test-pw";

/// A project, a user with roles on it, and the user's project-scoped token.
#[derive(Debug, Clone)]
pub struct Persona {
    pub project_id: String,
    pub project_name: String,
    pub user_id: String,
    pub user_name: String,
    pub token: String,
}

/// Identity serving on a loopback port.
pub struct TestCloud {
    pub identity: Served,
    pub env: TestEnv,
    pub admin_token: String,
    http: reqwest::Client,
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

impl TestCloud {
    /// Bootstraps identity (admin/admin) on a fresh environment for `service`.
    pub async fn start(service: &str) -> TestCloud {
        let mut env = TestEnv::new(&format!("{service}_identity")).await;
        env.config.set("identity", "password_hash_rounds", "4");
        env.config.set("database", "auto_migrate", "true");
        let identity = crate::standalone(&env.config, &Bootstrap::admin(ADMIN_PASSWORD, None))
            .await
            .expect("identity starts");
        let identity = ferrostack_testkit::serve(crate::api_service(identity)).await;
        let mut cloud = TestCloud {
            identity,
            env,
            admin_token: String::new(),
            http: reqwest::Client::new(),
        };
        cloud.admin_token = cloud.token("admin", ADMIN_PASSWORD, "admin").await;
        cloud
    }

    /// The identity endpoint (`http://127.0.0.1:<port>`).
    pub fn url(&self) -> String {
        self.identity.url("")
    }

    /// A project-scoped token; panics unless identity issues it.
    pub async fn token(&self, user: &str, password: &str, project: &str) -> String {
        let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}});
        let resp = self
            .http
            .post(self.identity.url("/v3/auth/tokens"))
            .json(&body)
            .send()
            .await
            .expect("identity answers");
        assert_eq!(resp.status(), 201, "token for {user} on {project}");
        resp.headers()["x-subject-token"]
            .to_str()
            .expect("token header")
            .to_owned()
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, self.identity.url(path))
            .header("X-Auth-Token", &self.admin_token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("identity answers");
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.unwrap_or(Value::Null)
    }

    async fn create(&self, collection: &str, singular: &str, body: Value) -> String {
        let created = self
            .admin(
                reqwest::Method::POST,
                &format!("/v3/{collection}"),
                Some(json!({ singular: body })),
            )
            .await;
        created[singular]["id"].as_str().expect("an id").to_owned()
    }

    /// A new project named `name`.
    pub async fn project(&self, name: &str) -> String {
        self.create("projects", "project", json!({"name": name}))
            .await
    }

    /// Grants `roles` to `user_id` on `project_id`.
    pub async fn grant(&self, project_id: &str, user_id: &str, roles: &[&str]) {
        for role in roles {
            let found = self
                .admin(
                    reqwest::Method::GET,
                    &format!("/v3/roles?name={role}"),
                    None,
                )
                .await;
            let role_id = found["roles"][0]["id"].as_str().expect("role exists");
            self.admin(
                reqwest::Method::PUT,
                &format!("/v3/projects/{project_id}/users/{user_id}/roles/{role_id}"),
                None,
            )
            .await;
        }
    }

    /// A user with `roles` on project `project_name` (created when `project_id` is
    /// `None`), and its token.
    pub async fn user_in(&self, project: Option<(&str, &str)>, roles: &[&str]) -> Persona {
        let (project_id, project_name) = match project {
            Some((id, name)) => (id.to_owned(), name.to_owned()),
            None => {
                let name = unique("p");
                (self.project(&name).await, name)
            }
        };
        let user_name = unique("u");
        let user_id = self
            .create(
                "users",
                "user",
                json!({"name": user_name, "password": PASSWORD}),
            )
            .await;
        self.grant(&project_id, &user_id, roles).await;
        let token = self.token(&user_name, PASSWORD, &project_name).await;
        Persona {
            project_id,
            project_name,
            user_id,
            user_name,
            token,
        }
    }

    /// A user with `roles` on a project of its own.
    pub async fn persona(&self, roles: &[&str]) -> Persona {
        self.user_in(None, roles).await
    }

    /// The bootstrap admin on the admin project.
    pub async fn admin_persona(&self) -> Persona {
        let project = self
            .admin(reqwest::Method::GET, "/v3/projects?name=admin", None)
            .await;
        let user = self
            .admin(reqwest::Method::GET, "/v3/users?name=admin", None)
            .await;
        Persona {
            project_id: project["projects"][0]["id"]
                .as_str()
                .unwrap_or_default()
                .into(),
            project_name: "admin".into(),
            user_id: user["users"][0]["id"].as_str().unwrap_or_default().into(),
            user_name: "admin".into(),
            token: self.admin_token.clone(),
        }
    }

    /// Puts a `service_type` service with a public endpoint at `url` in the catalog.
    pub async fn register_endpoint(&self, service_type: &str, name: &str, url: &str) {
        let service_id = self
            .create(
                "services",
                "service",
                json!({"type": service_type, "name": name}),
            )
            .await;
        self.create(
            "endpoints",
            "endpoint",
            json!({"service_id": service_id, "interface": "public", "url": url}),
        )
        .await;
    }

    /// Creates service user `name` (roles admin and service on project `service`)
    /// and writes `[keystone_authtoken]` for it into `config`.
    pub async fn configure_service(&self, name: &str, config: &mut Config) {
        let project_id = self.project(&unique("service")).await;
        let user_id = self
            .create("users", "user", json!({"name": name, "password": PASSWORD}))
            .await;
        self.grant(&project_id, &user_id, &["admin", "service"])
            .await;
        let projects = self
            .admin(
                reqwest::Method::GET,
                &format!("/v3/projects/{project_id}"),
                None,
            )
            .await;
        let project_name = projects["project"]["name"].as_str().unwrap_or_default();
        config.set("keystone_authtoken", "auth_url", self.url());
        config.set("keystone_authtoken", "username", name);
        config.set("keystone_authtoken", "password", PASSWORD);
        config.set("keystone_authtoken", "project_name", project_name);
    }
}
