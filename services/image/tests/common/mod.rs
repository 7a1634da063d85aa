//! An image service in-process beside a real identity, on fresh databases chosen
//! by the testkit, with two file stores; helpers to drive it over HTTP.
#![allow(dead_code)]

use std::sync::Arc;

use ferrostack_identity::testing::{Persona, TestCloud};
use ferrostack_image::domain::Glance;
use ferrostack_testkit::{Served, TestEnv};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const PATCH: &str = "application/openstack-images-v2.1-json-patch";

/// A response: status, headers and body (JSON when it parses, else text).
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub bytes: Vec<u8>,
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

    /// The body as text (error messages).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Identity and image serving.
pub struct Cloud {
    pub identity: TestCloud,
    pub glance: Arc<Glance>,
    pub served: Served,
    pub env: TestEnv,
    pub http: reqwest::Client,
}

impl Cloud {
    pub async fn start() -> Cloud {
        Self::start_with(|_| {}).await
    }

    /// Like [`Cloud::start`], with extra image configuration.
    pub async fn start_with(configure: impl FnOnce(&mut ferrostack_config::Config)) -> Cloud {
        Self::start_in(TestEnv::new("image").await, configure).await
    }

    /// Like [`Cloud::start`], with a bus of its own: for tests that listen to
    /// the notifications, which other tests' services would otherwise also emit.
    pub async fn start_on_own_bus() -> Cloud {
        Self::start_in(TestEnv::with_own_bus("image").await, |_| {}).await
    }

    async fn start_in(
        mut env: TestEnv,
        configure: impl FnOnce(&mut ferrostack_config::Config),
    ) -> Cloud {
        let identity = TestCloud::start("image").await;
        env.config
            .set("DEFAULT", "enabled_backends", "fast:file,cheap:file");
        env.config.set("glance_store", "default_backend", "fast");
        env.config.set("fast", "store_description", "Fast store");
        env.config.set("cheap", "store_description", "Cheap store");
        env.config
            .set("oslo_messaging_notifications", "driver", "messagingv2");
        identity.configure_service("glance", &mut env.config).await;
        configure(&mut env.config);
        let glance = ferrostack_image::build(&env.config)
            .await
            .expect("image builds");
        let served =
            ferrostack_testkit::serve(ferrostack_image::api_service(glance.clone()).unwrap()).await;
        Cloud {
            identity,
            glance,
            served,
            env,
            http: reqwest::Client::new(),
        }
    }

    /// A member of a new project.
    pub async fn member(&self) -> Persona {
        self.identity.persona(&["member"]).await
    }

    /// The admin.
    pub async fn admin(&self) -> Persona {
        self.identity.admin_persona().await
    }

    pub fn url(&self, path: &str) -> String {
        self.served.url(path)
    }

    /// A request as `who` (no token with `None`).
    pub fn request(
        &self,
        method: Method,
        path: &str,
        who: Option<&Persona>,
    ) -> reqwest::RequestBuilder {
        let req = self.http.request(method, self.url(path));
        match who {
            Some(p) => req.header("X-Auth-Token", &p.token),
            None => req,
        }
    }

    pub async fn read(resp: reqwest::Response) -> Resp {
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap().to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            bytes,
        }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        Self::read(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, who: &Persona) -> Resp {
        self.send(self.request(Method::GET, path, Some(who))).await
    }

    pub async fn post(&self, path: &str, who: &Persona, body: Value) -> Resp {
        self.send(self.request(Method::POST, path, Some(who)).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str, who: &Persona) -> Resp {
        self.send(self.request(Method::DELETE, path, Some(who)))
            .await
    }

    pub async fn patch(&self, id: &str, who: &Persona, ops: Value) -> Resp {
        self.send(
            self.request(Method::PATCH, &format!("/v2/images/{id}"), Some(who))
                .header("content-type", PATCH)
                .body(ops.to_string()),
        )
        .await
    }

    /// Creates an image (201 expected) and returns its body.
    pub async fn create(&self, who: &Persona, body: Value) -> Value {
        self.post("/v2/images", who, body).await.expect(201).body
    }

    /// A raw/bare image with `data` uploaded.
    pub async fn image_with(&self, who: &Persona, data: &[u8]) -> String {
        let image = self
            .create(
                who,
                json!({"name": "img", "disk_format": "raw", "container_format": "bare"}),
            )
            .await;
        let id = image["id"].as_str().unwrap().to_string();
        self.upload(&id, who, data.to_vec()).await.expect(204);
        id
    }

    pub async fn upload(&self, id: &str, who: &Persona, data: Vec<u8>) -> Resp {
        self.send(
            self.request(Method::PUT, &format!("/v2/images/{id}/file"), Some(who))
                .header("content-type", "application/octet-stream")
                .body(data),
        )
        .await
    }

    /// Polls the image until `status` (or panics after 10 s).
    pub async fn wait_status(&self, id: &str, who: &Persona, status: &str) -> Value {
        for _ in 0..200 {
            let image = self
                .get(&format!("/v2/images/{id}"), who)
                .await
                .expect(200)
                .body;
            if image["status"] == status {
                return image;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("image {id} never reached {status}");
    }
}

/// MD5 and SHA-512 of `data` in hex, computed here, independently of the service.
pub fn hashes(data: &[u8]) -> (String, String) {
    use md5::Digest;
    let md5 = md5::Md5::digest(data);
    let sha = sha2::Sha512::digest(data);
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    (hex(&md5), hex(&sha))
}
