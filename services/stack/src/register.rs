//! Registers services in identity through its API, as a deployment tool would: the
//! catalog entry and its public/internal/admin endpoints, and a service user with
//! the admin and service roles on project `service`. Idempotent across restarts.

use serde_json::{json, Value};

use crate::services::CatalogEntry;

/// An admin session against identity.
pub struct Registrar {
    http: reqwest::Client,
    base: String,
    token: String,
}

const INTERFACES: [&str; 3] = ["public", "internal", "admin"];

impl Registrar {
    /// Logs in as `admin` on project `admin`; `auth_url` ends in `/v3`.
    pub async fn login(auth_url: &str, password: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}});
        let resp = http
            .post(format!("{auth_url}/auth/tokens"))
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(
            resp.status() == 201,
            "admin login failed: {}",
            resp.status()
        );
        let token = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| anyhow::anyhow!("no token in the login answer"))?
            .to_string();
        Ok(Registrar {
            http,
            base: auth_url.to_string(),
            token,
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        self.request(method, &format!("{}{path}", self.base), body)
            .await
    }

    /// `method` on `url` (any service's) with the admin's token: the JSON
    /// answer, or an error naming the status and body.
    pub async fn request(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let path = url;
        let mut req = self
            .http
            .request(method.clone(), url)
            .header("X-Auth-Token", &self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        anyhow::ensure!(status.is_success(), "{method} {path}: {status} {text}");
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The id of the first `key` entity a listing returns, if any.
    async fn find(&self, path: &str, key: &str) -> anyhow::Result<Option<String>> {
        let found = self.call(reqwest::Method::GET, path, None).await?;
        Ok(found[key][0]["id"].as_str().map(str::to_string))
    }

    /// Creates or updates the catalog entry and its three endpoints at `url`.
    pub async fn service(&self, entry: &CatalogEntry, url: &str) -> anyhow::Result<()> {
        let service_id = match self
            .find(&format!("/services?type={}&name={}", entry.kind, entry.name), "services")
            .await?
        {
            Some(id) => id,
            None => self
                .call(
                    reqwest::Method::POST,
                    "/services",
                    Some(json!({"service": {"type": entry.kind, "name": entry.name, "enabled": true}})),
                )
                .await?["service"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        };
        for interface in INTERFACES {
            let existing = self
                .find(
                    &format!("/endpoints?service_id={service_id}&interface={interface}"),
                    "endpoints",
                )
                .await?;
            let endpoint = json!({"endpoint": {"service_id": service_id, "interface": interface,
                "url": url, "region_id": "RegionOne"}});
            match existing {
                Some(id) => {
                    self.call(
                        reqwest::Method::PATCH,
                        &format!("/endpoints/{id}"),
                        Some(endpoint),
                    )
                    .await?
                }
                None => {
                    self.call(reqwest::Method::POST, "/endpoints", Some(endpoint))
                        .await?
                }
            };
        }
        Ok(())
    }

    /// Creates (or resets the password of) user `name` with roles admin and service
    /// on project `service`.
    pub async fn service_user(&self, name: &str, password: &str) -> anyhow::Result<()> {
        let project_id = match self.find("/projects?name=service", "projects").await? {
            Some(id) => id,
            None => self
                .call(
                    reqwest::Method::POST,
                    "/projects",
                    Some(json!({"project": {"name": "service"}})),
                )
                .await?["project"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        };
        // A service account's password is the launcher's: never to change at first
        // use or expire, and not lockable by someone else's failed logins.
        let user = json!({"user": {"name": name, "password": password, "enabled": true,
            "options": {"ignore_change_password_upon_first_use": true,
                "ignore_password_expiry": true, "ignore_lockout_failure_attempts": true}}});
        let user_id = match self.find(&format!("/users?name={name}"), "users").await? {
            Some(id) => {
                self.call(reqwest::Method::PATCH, &format!("/users/{id}"), Some(user))
                    .await?;
                id
            }
            None => self
                .call(reqwest::Method::POST, "/users", Some(user))
                .await?["user"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        };
        for role in ["admin", "service"] {
            let role_id = match self.find(&format!("/roles?name={role}"), "roles").await? {
                Some(id) => id,
                None => self
                    .call(
                        reqwest::Method::POST,
                        "/roles",
                        Some(json!({"role": {"name": role}})),
                    )
                    .await?["role"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            };
            self.call(
                reqwest::Method::PUT,
                &format!("/projects/{project_id}/users/{user_id}/roles/{role_id}"),
                None,
            )
            .await?;
        }
        Ok(())
    }
}
