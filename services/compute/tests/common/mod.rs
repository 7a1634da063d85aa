//! The compute api role beside a real identity, on the database the testkit
//! chose, and a client that speaks a microversion.
#![allow(dead_code)]

use ferrostack_identity::testing::{Persona, TestCloud};
use ferrostack_testkit::{Served, TestEnv};
use reqwest::Method;
use serde_json::Value;

pub struct Cloud {
    pub identity: TestCloud,
    pub served: Served,
    pub env: TestEnv,
    pub http: reqwest::Client,
    running: Option<ferrostack_compute::Running>,
    stop: tokio_util::sync::CancellationToken,
}

impl Drop for Cloud {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    /// The message of a fault body (`{"<faultName>": {"code", "message"}}`).
    pub fn message(&self) -> String {
        self.body
            .as_object()
            .and_then(|fault| fault.values().next())
            .and_then(|fault| fault["message"].as_str())
            .unwrap_or_default()
            .to_string()
    }

    pub fn expect(self, want: u16) -> Self {
        assert_eq!(self.status, want, "body: {}", self.body);
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Cloud {
    pub async fn start() -> Cloud {
        Self::with_config(|_| {}).await
    }

    /// The api, conductor and agent roles (host `node1`) with extra configuration.
    pub async fn with_config(configure: impl FnOnce(&mut ferrostack_config::Config)) -> Cloud {
        use ferrostack_compute::Role;
        let identity = TestCloud::start("compute").await;
        let mut env = TestEnv::with_own_bus("compute").await;
        env.config.set("database", "auto_migrate", "true");
        env.config.set("DEFAULT", "host", "node1");
        env.config.set("DEFAULT", "report_interval", "1");
        identity.configure_service("nova", &mut env.config).await;
        configure(&mut env.config);
        let stop = tokio_util::sync::CancellationToken::new();
        let running = ferrostack_compute::start(
            &env.config,
            &[Role::Api, Role::Conductor, Role::Agent],
            stop.clone(),
        )
        .await
        .expect("compute starts");
        let nova = running.api.clone().expect("the api role");
        let served =
            ferrostack_testkit::serve(ferrostack_compute::api_service(nova).unwrap()).await;
        Cloud {
            identity,
            served,
            env,
            http: reqwest::Client::new(),
            running: Some(running),
            stop,
        }
    }

    /// `method` on `path` as `who` at microversion `version` (`"2.55"`), if any.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        who: &Persona,
        body: Option<Value>,
        version: Option<&str>,
    ) -> Resp {
        let mut req = self
            .http
            .request(method, self.served.url(path))
            .header("X-Auth-Token", &who.token);
        if let Some(version) = version {
            req = req.header("OpenStack-API-Version", format!("compute {version}"));
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        Resp {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    /// An unauthenticated GET.
    pub async fn open(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = self.http.get(self.served.url(path));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        Resp {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }
}
