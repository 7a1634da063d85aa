//! The network server role beside a real identity, on the database the
//! testkit chose.
#![allow(dead_code)]

pub mod linux;

use ferrostack_identity::testing::{Persona, TestCloud};
use ferrostack_network::{Role, Running};
use ferrostack_testkit::{Resp, Served, TestEnv};
use reqwest::Method;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

pub struct Cloud {
    pub identity: TestCloud,
    pub served: Served,
    pub env: TestEnv,
    pub http: reqwest::Client,
    /// The roles' RPC servers and periodic tasks.
    _running: Running,
}

/// The `NeutronError` of a failure: its type and message.
pub fn error(resp: &Resp) -> (String, String) {
    let e = &resp.body["NeutronError"];
    (
        e["type"].as_str().unwrap_or_default().to_string(),
        e["message"].as_str().unwrap_or_default().to_string(),
    )
}

impl Cloud {
    pub async fn start() -> Cloud {
        Self::with_config(|_| {}).await
    }

    /// The server role with project networks on VXLAN ids 100-199.
    pub async fn with_config(configure: impl FnOnce(&mut ferrostack_config::Config)) -> Cloud {
        Self::with_roles(&[Role::Server], configure).await
    }

    /// The server role and the agent of host `host`, reporting every second.
    pub async fn with_agent(host: &str) -> Cloud {
        Self::with_roles(&[Role::Server, Role::Agent], |config| {
            config.set("DEFAULT", "host", host);
            config.set("agent", "report_interval", "1");
        })
        .await
    }

    /// `roles` in one process, on the testkit's transport.
    pub async fn with_roles(
        roles: &[Role],
        configure: impl FnOnce(&mut ferrostack_config::Config),
    ) -> Cloud {
        let identity = TestCloud::start("network").await;
        let mut env = TestEnv::with_own_bus("network").await;
        env.config.set("database", "auto_migrate", "true");
        env.config.set("ml2", "tenant_network_types", "vxlan");
        env.config.set("ml2_type_vxlan", "vni_ranges", "100:199");
        identity.configure_service("neutron", &mut env.config).await;
        configure(&mut env.config);
        let running = ferrostack_network::start(&env.config, roles, CancellationToken::new())
            .await
            .expect("network starts");
        let neutron = running.server.clone().expect("the server role runs");
        let served =
            ferrostack_testkit::serve(ferrostack_network::api_service(neutron).unwrap()).await;
        Cloud {
            identity,
            served,
            env,
            http: reqwest::Client::new(),
            _running: running,
        }
    }

    /// `method` on `path` as `who`, with extra `headers`.
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        who: &Persona,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut all = vec![("X-Auth-Token", who.token.as_str())];
        all.extend_from_slice(headers);
        ferrostack_testkit::send(
            &self.http,
            method,
            &self.served.url(path),
            &all,
            body.as_ref(),
        )
        .await
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        who: &Persona,
        body: Option<Value>,
    ) -> Resp {
        self.send_with(method, path, who, body, &[]).await
    }

    pub async fn get(&self, path: &str, who: &Persona) -> Resp {
        self.send(Method::GET, path, who, None).await
    }

    /// Deletes `path` as `who` (204 expected).
    pub async fn delete(&self, path: &str, who: &Persona) {
        self.send(Method::DELETE, path, who, None).await.expect(204);
    }

    /// `method` on `path` as `who`, expected to fail with `status`: the
    /// `NeutronError`'s type and message.
    pub async fn refused(
        &self,
        method: Method,
        path: &str,
        who: &Persona,
        body: Option<Value>,
        status: u16,
    ) -> (String, String) {
        error(&self.send(method, path, who, body).await.expect(status))
    }

    /// Creates a `resource` in `collection` and returns it (201 expected).
    pub async fn create(
        &self,
        collection: &str,
        resource: &str,
        who: &Persona,
        fields: Value,
    ) -> Value {
        self.send(
            Method::POST,
            &format!("/v2.0/{collection}"),
            who,
            Some(json!({resource: fields})),
        )
        .await
        .expect(201)
        .body[resource]
            .clone()
    }

    /// Polls `path` as `who` until `done` holds of its body (10 s at most).
    pub async fn until(&self, path: &str, who: &Persona, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..100 {
            let body = self.get(path, who).await.expect(200).body;
            if done(&body) {
                return body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{path} never got there: {}", self.get(path, who).await.body);
    }

    /// A network named `name` and its /24 subnet `cidr`: their ids.
    pub async fn network_with_subnet(
        &self,
        who: &Persona,
        name: &str,
        cidr: &str,
    ) -> (String, String) {
        let net = self
            .create("networks", "network", who, json!({"name": name}))
            .await;
        let id = net["id"].as_str().unwrap().to_string();
        let subnet = self
            .create(
                "subnets",
                "subnet",
                who,
                json!({"network_id": id, "ip_version": 4, "cidr": cidr}),
            )
            .await;
        (id, subnet["id"].as_str().unwrap().to_string())
    }
}
