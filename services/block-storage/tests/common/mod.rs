//! The three block-storage roles beside a real identity, on the database and
//! transport the testkit chose, with two file backends (`gold`, `silver`).
#![allow(dead_code)]

use std::time::Duration;

use ferrostack_identity::testing::{Persona, TestCloud};
use ferrostack_testkit::{Served, TestEnv};
use reqwest::Method;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// How the block-storage roles find the image API, when one runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ImageApi {
    /// No image service.
    None,
    /// `glance_api_servers` names it.
    Configured,
    /// Looked up in the identity catalog.
    Catalog,
    /// Configured, and not inspecting uploads (`require_image_format_match =
    /// false`, as an operator may set it): what the volume host downloads is
    /// whatever the image's owner uploaded.
    Uninspected,
}

pub struct Cloud {
    pub identity: TestCloud,
    /// The image service, when the cloud has one.
    pub image: Option<Served>,
    pub image_env: Option<TestEnv>,
    pub served: Served,
    pub env: TestEnv,
    running: Vec<ferrostack_block_storage::Running>,
    /// The volume role's own process, when it runs apart.
    pub volume_process: Option<VolumeProcess>,
    stop: CancellationToken,
    pub http: reqwest::Client,
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
}

/// `ferrostack-block-storage serve --role volume` with the environment's
/// configuration; killed (SIGKILL) when dropped.
pub struct VolumeProcess {
    child: std::process::Child,
    config: std::path::PathBuf,
}

impl VolumeProcess {
    fn spawn(env: &TestEnv) -> VolumeProcess {
        let config = env.dir.join("volume-role.conf");
        std::fs::write(&config, env.config.to_ini()).expect("write the volume role's config");
        VolumeProcess {
            child: Self::start(&config),
            config,
        }
    }

    fn start(config: &std::path::Path) -> std::process::Child {
        std::process::Command::new(env!("CARGO_BIN_EXE_ferrostack-block-storage"))
            .arg("--config-file")
            .arg(config)
            .args(["serve", "--role", "volume"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the volume role starts")
    }

    /// Kills the process at once, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the volume role again after [`VolumeProcess::kill`].
    pub fn restart(&mut self) {
        self.kill();
        self.child = Self::start(&self.config);
    }
}

impl Drop for VolumeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An image service with one file store, beside `identity`.
async fn start_image_service(identity: &TestCloud, inspect: bool) -> (Served, TestEnv) {
    let mut env = TestEnv::new("block_storage_image").await;
    identity.configure_service("glance", &mut env.config).await;
    let served = ferrostack_image::testing::serve_file_store(&mut env, inspect).await;
    (served, env)
}

impl Cloud {
    pub async fn start() -> Cloud {
        Self::start_split(false).await
    }

    /// All three roles with extra configuration.
    pub async fn with_config(configure: impl FnOnce(&mut ferrostack_config::Config)) -> Cloud {
        use ferrostack_block_storage::Role;
        Self::start_groups(
            &[&[Role::Api, Role::Scheduler, Role::Volume]],
            ImageApi::None,
            configure,
        )
        .await
    }

    /// All three roles beside an image service found as `found`; with `split`,
    /// each role alone on the bus.
    pub async fn with_images(found: ImageApi, split: bool) -> Cloud {
        use ferrostack_block_storage::Role;
        let groups: &[&[Role]] = if split {
            &[&[Role::Api], &[Role::Scheduler], &[Role::Volume]]
        } else {
            &[&[Role::Api, Role::Scheduler, Role::Volume]]
        };
        Self::start_groups(groups, found, |_| {}).await
    }

    /// Every role, the backup role included, with extra configuration.
    pub async fn with_backups(configure: impl FnOnce(&mut ferrostack_config::Config)) -> Cloud {
        use ferrostack_block_storage::Role;
        Self::start_groups(
            &[&[Role::Api, Role::Scheduler, Role::Volume, Role::Backup]],
            ImageApi::None,
            configure,
        )
        .await
    }

    /// Only the api role (nothing will ever build a volume), stuck operations
    /// timing out after a second.
    pub async fn api_alone() -> Cloud {
        Self::start_with(Some(&[ferrostack_block_storage::Role::Api]), |c| {
            c.set("DEFAULT", "stuck_operation_timeout", "1");
        })
        .await
    }

    /// With `split`, the three roles start separately and meet only on the bus.
    pub async fn start_split(split: bool) -> Cloud {
        use ferrostack_block_storage::Role;
        let groups: &[&[Role]] = if split {
            &[&[Role::Api], &[Role::Scheduler], &[Role::Volume]]
        } else {
            &[&[Role::Api, Role::Scheduler, Role::Volume]]
        };
        Self::start_groups(groups, ImageApi::None, |_| {}).await
    }

    async fn start_with(
        roles: Option<&[ferrostack_block_storage::Role]>,
        configure: impl FnOnce(&mut ferrostack_config::Config),
    ) -> Cloud {
        Self::start_groups(&[roles.unwrap_or_default()], ImageApi::None, configure).await
    }

    /// Only `roles`, with extra configuration.
    pub async fn with_roles(
        roles: &[ferrostack_block_storage::Role],
        configure: impl FnOnce(&mut ferrostack_config::Config),
    ) -> Cloud {
        Self::start_with(Some(roles), configure).await
    }

    /// Starts `roles` again on `config` (another process, as it were), until the
    /// cloud is dropped.
    pub async fn start_again(
        &mut self,
        config: &ferrostack_config::Config,
        roles: &[ferrostack_block_storage::Role],
    ) {
        let running = ferrostack_block_storage::start(config, roles, self.stop.clone())
            .await
            .expect("roles start again");
        self.running.push(running);
    }

    /// The api and scheduler roles here, beside an image service, and the
    /// volume role in a process of its own (the real binary) over RabbitMQ.
    pub async fn with_volume_process() -> Cloud {
        use ferrostack_block_storage::Role;
        Self::start_full(
            &[&[Role::Api, Role::Scheduler]],
            ImageApi::Configured,
            true,
            |_| {},
        )
        .await
    }

    async fn start_groups(
        groups: &[&[ferrostack_block_storage::Role]],
        images: ImageApi,
        configure: impl FnOnce(&mut ferrostack_config::Config),
    ) -> Cloud {
        Self::start_full(groups, images, false, configure).await
    }

    async fn start_full(
        groups: &[&[ferrostack_block_storage::Role]],
        images: ImageApi,
        volume_process: bool,
        configure: impl FnOnce(&mut ferrostack_config::Config),
    ) -> Cloud {
        let identity = TestCloud::start("block_storage").await;
        let (image, image_env) = match images {
            ImageApi::None => (None, None),
            _ => {
                let inspect = !matches!(images, ImageApi::Uninspected);
                let (served, env) = start_image_service(&identity, inspect).await;
                (Some(served), Some(env))
            }
        };
        let mut env = if volume_process {
            TestEnv::with_rabbit_bus("block_storage").await
        } else {
            TestEnv::with_own_bus("block_storage").await
        };
        env.config.set("DEFAULT", "enabled_backends", "gold,silver");
        env.config.set("DEFAULT", "report_interval", "1");
        env.config.set("DEFAULT", "host", "node1");
        env.config.set("silver", "volume_format", "qcow2");
        identity.configure_service("cinder", &mut env.config).await;
        if let Some(image) = &image {
            let url = image.url("");
            match images {
                ImageApi::Catalog => identity.register_endpoint("image", "glance", &url).await,
                _ => env.config.set("DEFAULT", "glance_api_servers", url),
            }
        }
        configure(&mut env.config);
        let stop = CancellationToken::new();
        let mut running = Vec::new();
        for roles in groups {
            running.push(
                ferrostack_block_storage::start(&env.config, roles, stop.clone())
                    .await
                    .expect("roles start"),
            );
        }
        let cinder = running[0].api.clone().unwrap();
        let served =
            ferrostack_testkit::serve(ferrostack_block_storage::api_service(cinder).unwrap()).await;
        let volume_process = volume_process.then(|| VolumeProcess::spawn(&env));
        let cloud = Cloud {
            identity,
            image,
            image_env,
            served,
            env,
            running,
            volume_process,
            stop,
            http: reqwest::Client::new(),
        };
        // Both volume managers reported in (when they run), and the backup
        // host (when it runs).
        let backup_hosts = groups
            .iter()
            .filter(|g| g.contains(&ferrostack_block_storage::Role::Backup))
            .count();
        let expected = if cloud.volume_process.is_some()
            || groups
                .iter()
                .any(|g| g.contains(&ferrostack_block_storage::Role::Volume))
        {
            3
        } else {
            return cloud;
        };
        let admin = cloud.identity.admin_persona().await;
        for _ in 0..100 {
            let services = cloud
                .send(
                    Method::GET,
                    &format!("/v3/{}/os-services", admin.project_id),
                    &admin,
                    None,
                    None,
                )
                .await
                .body;
            if services["services"].as_array().map(Vec::len) == Some(expected + backup_hosts) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // And the scheduler knows every backend (its capabilities reports), so
        // that no test's first volume meets a scheduler that has heard of one.
        for _ in 0..200 {
            let pools = cloud
                .send(
                    Method::GET,
                    &format!("/v3/{}/scheduler-stats/get_pools", admin.project_id),
                    &admin,
                    None,
                    None,
                )
                .await
                .body;
            if pools["pools"].as_array().map(Vec::len) == Some(expected - 1) {
                return cloud;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the roles never reported");
    }

    /// Waits (up to 30 s) until backup `id` of `who` is in `status` (`gone`: deleted).
    pub async fn wait_backup(&self, who: &Persona, id: &str, status: &str) -> Value {
        let mut last = Value::Null;
        for _ in 0..600 {
            let resp = call(
                self,
                who,
                Method::GET,
                &format!("backups/{id}"),
                None,
                "volume 3.0",
            )
            .await;
            if status == "gone" && resp.status == 404 {
                return Value::Null;
            }
            if resp.status == 200 && resp.body["backup"]["status"] == status {
                return resp.body["backup"].clone();
            }
            last = resp.body;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("backup {id} never reached {status}: {last}");
    }

    /// The api role's service, to reach its database and sweeper in tests.
    pub fn cinder(&self) -> std::sync::Arc<ferrostack_block_storage::domain::Cinder> {
        self.running
            .iter()
            .find_map(|r| r.api.clone())
            .expect("an api role")
    }

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
            req = req.header("OpenStack-API-Version", version);
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

    /// A second volume host, `host`, on this cloud's bus and database
    /// directory, with the backends `configure` sets; it runs until the
    /// returned value drops. Returns once `os-services` lists `services` rows.
    pub async fn start_volume_host(
        &self,
        host: &str,
        services: usize,
        configure: impl FnOnce(&mut ferrostack_config::Config),
    ) -> ferrostack_block_storage::Running {
        let mut config = self.env.config.clone();
        config.set("DEFAULT", "host", host);
        configure(&mut config);
        let running = ferrostack_block_storage::start(
            &config,
            &[ferrostack_block_storage::Role::Volume],
            self.stop.clone(),
        )
        .await
        .expect("the volume host starts");
        let admin = self.identity.admin_persona().await;
        for _ in 0..100 {
            let listed = self
                .send(
                    Method::GET,
                    &format!("/v3/{}/os-services", admin.project_id),
                    &admin,
                    None,
                    None,
                )
                .await
                .body;
            if listed["services"].as_array().map(Vec::len) == Some(services) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // And the scheduler knows its backends (a retype right after would
        // find no valid host otherwise).
        for _ in 0..300 {
            let pools = self
                .send(
                    Method::GET,
                    &format!("/v3/{}/scheduler-stats/get_pools", admin.project_id),
                    &admin,
                    None,
                    None,
                )
                .await
                .body;
            let known = pools["pools"].as_array().is_some_and(|pools| {
                pools.iter().any(|p| {
                    p["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with(&format!("{host}@")))
                })
            });
            if known {
                return running;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("volume host {host} never reported");
    }

    pub async fn wait_status(&self, who: &Persona, id: &str, status: &str) -> Value {
        let mut last = Value::Null;
        // Up to 30 s, for a loaded CI machine.
        for _ in 0..600 {
            let resp = self
                .send(
                    Method::GET,
                    &format!("/v3/{}/volumes/{id}", who.project_id),
                    who,
                    None,
                    None,
                )
                .await;
            if status == "gone" && resp.status == 404 {
                return Value::Null;
            }
            if resp.status == 200 && resp.body["volume"]["status"] == status {
                return resp.body["volume"].clone();
            }
            last = resp.body;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("volume {id} never reached {status}: {last}");
    }
}

/// `method` on `path` under `who`'s project (`/v3/<project>/<path>`) at
/// microversion `version` (`volume 3.x`).
pub async fn call(
    cloud: &Cloud,
    who: &Persona,
    method: Method,
    path: &str,
    body: Option<Value>,
    version: &str,
) -> Resp {
    cloud
        .send(
            method,
            &format!("/v3/{}/{path}", who.project_id),
            who,
            body,
            Some(version),
        )
        .await
}
