//! The compute api role beside a real identity, on the database the testkit
//! chose, and a client that speaks a microversion.
#![allow(dead_code)]

pub mod networks;

use ferrostack_identity::testing::{Persona, TestCloud};
use ferrostack_testkit::{Served, TestEnv};
use reqwest::Method;
use serde_json::{json, Value};

pub struct Cloud {
    pub identity: TestCloud,
    pub served: Served,
    pub env: TestEnv,
    pub http: reqwest::Client,
    /// The image service servers boot from, when started.
    pub image: Option<(Served, TestEnv)>,
    /// The block-storage service (every role, one file backend), when started.
    pub volume: Option<(Served, TestEnv)>,
    /// The network service (server, and a no-op agent on each host), when started.
    pub network: Option<(Served, TestEnv, Vec<ferrostack_network::Running>)>,
    volume_roles: Option<ferrostack_block_storage::Running>,
    running: Vec<ferrostack_compute::Running>,
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

    /// Every role (agent on host `node1`) with extra configuration.
    pub async fn with_config(configure: impl FnOnce(&mut ferrostack_config::Config)) -> Cloud {
        Self::build(false, false, None, 1, false, configure).await
    }

    /// Every role beside an image service, with `agents` agents (hosts
    /// `node1`, `node2`...), each with its own fake node.
    pub async fn with_images(
        agents: usize,
        configure: impl FnOnce(&mut ferrostack_config::Config),
    ) -> Cloud {
        Self::build(true, false, None, agents, false, configure).await
    }

    /// Every role beside an image and a block-storage service.
    pub async fn with_volumes(configure: impl FnOnce(&mut ferrostack_config::Config)) -> Cloud {
        Self::build(true, true, None, 1, false, configure).await
    }

    /// Every role beside an image and a network service configured by
    /// `network`, with `agents` hosts, each with a network agent.
    pub async fn with_networks_configured(
        agents: usize,
        configure: impl FnOnce(&mut ferrostack_config::Config),
        network: &dyn Fn(&mut ferrostack_config::Config),
    ) -> Cloud {
        Self::build(true, false, Some(network), agents, false, configure).await
    }

    /// Every role beside an image service, on RabbitMQ whatever the
    /// testkit's transport (a virtual host of its own).
    pub async fn on_rabbit(configure: impl FnOnce(&mut ferrostack_config::Config)) -> Cloud {
        Self::build(true, false, None, 1, true, configure).await
    }

    async fn build(
        images: bool,
        volumes: bool,
        networks: Option<&dyn Fn(&mut ferrostack_config::Config)>,
        agents: usize,
        rabbit: bool,
        configure: impl FnOnce(&mut ferrostack_config::Config),
    ) -> Cloud {
        use ferrostack_compute::Role;
        let identity = TestCloud::start("compute").await;
        let mut env = if rabbit {
            TestEnv::with_rabbit_bus("compute").await
        } else {
            TestEnv::with_own_bus("compute").await
        };
        env.config.set("database", "auto_migrate", "true");
        env.config.set("DEFAULT", "host", "node1");
        env.config.set("DEFAULT", "report_interval", "1");
        identity.configure_service("nova", &mut env.config).await;
        let image = if images {
            let mut image_env = TestEnv::new("compute_image").await;
            identity
                .configure_service("glance", &mut image_env.config)
                .await;
            let served = ferrostack_image::testing::serve_file_store(&mut image_env, false).await;
            env.config.set("glance", "api_servers", served.url(""));
            Some((served, image_env))
        } else {
            None
        };
        let stop = tokio_util::sync::CancellationToken::new();
        let (volume, volume_roles) = if volumes {
            let image_url = image.as_ref().map(|(served, _)| served.url(""));
            let (served, volume_env, roles) =
                start_block_storage(&identity, image_url, &stop).await;
            env.config.set(
                "cinder",
                "endpoint_template",
                served.url("/v3/%(project_id)s"),
            );
            (Some((served, volume_env)), Some(roles))
        } else {
            (None, None)
        };
        let network = if let Some(configure_network) = networks {
            let (served, network_env, roles) =
                start_network(&identity, agents, configure_network).await;
            env.config
                .set("neutron", "endpoint_override", served.url(""));
            Some((served, network_env, roles))
        } else {
            None
        };
        configure(&mut env.config);
        let mut running = vec![ferrostack_compute::start(
            &env.config,
            &[Role::Api, Role::Conductor, Role::Scheduler, Role::Agent],
            stop.clone(),
        )
        .await
        .expect("compute starts")];
        for n in 2..=agents {
            let mut config = env.config.clone();
            config.set("DEFAULT", "host", format!("node{n}"));
            running.push(
                ferrostack_compute::start(&config, &[Role::Agent], stop.clone())
                    .await
                    .expect("an agent starts"),
            );
        }
        let nova = running[0].api.clone().expect("the api role");
        let served =
            ferrostack_testkit::serve(ferrostack_compute::api_service(nova).unwrap()).await;
        if network.is_some() {
            // Where the network service sends its servers' port events.
            identity
                .register_endpoint("compute", "nova", &served.url("/v2.1"))
                .await;
        }
        Cloud {
            identity,
            served,
            env,
            http: reqwest::Client::new(),
            image,
            volume,
            network,
            volume_roles,
            running,
            stop,
        }
    }

    /// An active image of `who`'s (1 KiB of data) with `min_ram`/`min_disk`.
    pub async fn image(&self, who: &Persona, name: &str, min_ram: i64, min_disk: i64) -> String {
        let (image, _) = self.image.as_ref().expect("started with_images");
        let created: Value = self
            .http
            .post(image.url("/v2/images"))
            .header("X-Auth-Token", &who.token)
            .json(&serde_json::json!({"name": name, "disk_format": "raw",
                "container_format": "bare", "min_ram": min_ram, "min_disk": min_disk}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().expect("image created").to_string();
        let put = self
            .http
            .put(image.url(&format!("/v2/images/{id}/file")))
            .header("X-Auth-Token", &who.token)
            .header("Content-Type", "application/octet-stream")
            .body(vec![0u8; 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(put.status().as_u16(), 204);
        id
    }

    /// An available volume of `who`'s (1 GiB).
    pub async fn volume(&self, who: &Persona, name: &str) -> String {
        let created = self
            .volume_api(
                Method::POST,
                "/volumes",
                who,
                Some(json!({"volume": {"size": 1, "name": name}})),
            )
            .await;
        let id = created["volume"]["id"]
            .as_str()
            .expect("volume created")
            .to_string();
        self.wait_volume(who, &id, "available").await;
        id
    }

    /// Marks volume `id` bootable (a root disk).
    pub async fn set_bootable(&self, who: &Persona, id: &str) {
        self.volume_api(
            Method::POST,
            &format!("/volumes/{id}/action"),
            who,
            Some(json!({"os-set_bootable": {"bootable": true}})),
        )
        .await;
    }

    /// Polls volume `id` until its status is `status`.
    pub async fn wait_volume(&self, who: &Persona, id: &str, status: &str) -> Value {
        let mut volume = Value::Null;
        for _ in 0..200 {
            volume = self
                .volume_api(Method::GET, &format!("/volumes/{id}"), who, None)
                .await["volume"]
                .clone();
            if volume["status"] == status {
                return volume;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("volume {id} never reached {status}: {volume}");
    }

    /// `method` on the block-storage API's `path` (under the project) as `who`.
    pub async fn volume_api(
        &self,
        method: Method,
        path: &str,
        who: &Persona,
        body: Option<Value>,
    ) -> Value {
        let (served, _) = self.volume.as_ref().expect("started with_volumes");
        let mut req = self
            .http
            .request(method, served.url(&format!("/v3/{}{path}", who.project_id)))
            .header("X-Auth-Token", &who.token)
            .header("OpenStack-API-Version", "volume 3.44");
        if let Some(body) = body {
            req = req.json(&body);
        }
        let text = req.send().await.unwrap().text().await.unwrap();
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }

    /// `method` on the network API's `path` (`/v2.0/...`) as `who`.
    pub async fn network_api(
        &self,
        method: Method,
        path: &str,
        who: &Persona,
        body: Option<Value>,
    ) -> Resp {
        let (served, _, _) = self.network.as_ref().expect("started with_networks");
        let mut req = self
            .http
            .request(method, served.url(path))
            .header("X-Auth-Token", &who.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
        let text = resp.text().await.unwrap();
        Resp {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    /// Waits until every agent has reported its node (the scheduler's hosts).
    pub async fn wait_for_hosts(&self, admin: &Persona, count: usize) {
        let mut last = Value::Null;
        for _ in 0..100 {
            let hypervisors = self
                .send(Method::GET, "/v2.1/os-hypervisors", admin, None, None)
                .await;
            if hypervisors.body["hypervisors"]
                .as_array()
                .map_or(0, Vec::len)
                >= count
            {
                return;
            }
            last = hypervisors.body;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the agents never reported their nodes: {last}");
    }

    /// Polls server `id` until its status is `status` (ERROR fails unless asked).
    pub async fn wait_status(&self, who: &Persona, id: &str, status: &str) -> Value {
        for _ in 0..200 {
            let resp = self
                .send(
                    Method::GET,
                    &format!("/v2.1/servers/{id}"),
                    who,
                    None,
                    Some("2.47"),
                )
                .await;
            if status == "DELETED" && resp.status == 404 {
                return Value::Null;
            }
            let server = resp.body["server"].clone();
            if server["status"] == status {
                return server;
            }
            assert!(
                server["status"] != "ERROR" || status == "DELETED",
                "server went to ERROR waiting for {status}: {server}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("server {id} never reached {status}");
    }

    /// A server action's `body` on server `id` as `who` at `version`, if any.
    pub async fn server_action(
        &self,
        who: &Persona,
        id: &str,
        body: Value,
        version: Option<&str>,
    ) -> Resp {
        self.send(
            Method::POST,
            &format!("/v2.1/servers/{id}/action"),
            who,
            Some(body),
            version,
        )
        .await
    }

    /// The event names of server `id`'s first action (its create), as
    /// `admin` reads them.
    pub async fn first_action_events(
        &self,
        who: &Persona,
        admin: &Persona,
        id: &str,
    ) -> Vec<String> {
        let actions = self
            .send(
                Method::GET,
                &format!("/v2.1/servers/{id}/os-instance-actions"),
                who,
                None,
                Some("2.51"),
            )
            .await
            .expect(200)
            .body;
        let request = actions["instanceActions"]
            .as_array()
            .and_then(|a| a.last())
            .and_then(|a| a["request_id"].as_str())
            .unwrap_or_default()
            .to_string();
        let action = self
            .send(
                Method::GET,
                &format!("/v2.1/servers/{id}/os-instance-actions/{request}"),
                admin,
                None,
                Some("2.51"),
            )
            .await
            .expect(200)
            .body;
        action["instanceAction"]["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["event"].as_str().map(str::to_string))
            .collect()
    }

    /// Deletes server `id` as `who` (204 expected).
    pub async fn delete_server(&self, who: &Persona, id: &str) {
        self.send(
            Method::DELETE,
            &format!("/v2.1/servers/{id}"),
            who,
            None,
            None,
        )
        .await
        .expect(204);
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

/// Every block-storage role with one file backend, beside `identity` (and the
/// image service at `image_url`), until `stop`; returned once its scheduler
/// knows the backend.
async fn start_block_storage(
    identity: &TestCloud,
    image_url: Option<String>,
    stop: &tokio_util::sync::CancellationToken,
) -> (Served, TestEnv, ferrostack_block_storage::Running) {
    use ferrostack_block_storage::Role;
    let mut env = TestEnv::with_own_bus("compute_volume").await;
    env.config.set("database", "auto_migrate", "true");
    env.config.set("DEFAULT", "enabled_backends", "file");
    env.config.set("DEFAULT", "report_interval", "1");
    env.config.set("DEFAULT", "host", "node1");
    identity.configure_service("cinder", &mut env.config).await;
    if let Some(url) = image_url {
        env.config.set("DEFAULT", "glance_api_servers", url);
    }
    let running = ferrostack_block_storage::start(
        &env.config,
        &[Role::Api, Role::Scheduler, Role::Volume],
        stop.clone(),
    )
    .await
    .expect("block storage starts");
    let cinder = running.api.clone().expect("the api role");
    let served =
        ferrostack_testkit::serve(ferrostack_block_storage::api_service(cinder).unwrap()).await;
    let admin = identity.admin_persona().await;
    let http = reqwest::Client::new();
    for _ in 0..200 {
        let pools: Value = http
            .get(served.url(&format!(
                "/v3/{}/scheduler-stats/get_pools",
                admin.project_id
            )))
            .header("X-Auth-Token", &admin.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(Value::Null);
        if pools["pools"].as_array().is_some_and(|p| !p.is_empty()) {
            return (served, env, running);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the block-storage scheduler never heard of its backend");
}

/// The microversion the server tests speak unless they test another.
pub const V47: Option<&str> = Some("2.47");

pub async fn flavor(cloud: &Cloud, admin: &Persona, id: &str, ram: i64, vcpus: i64, disk: i64) {
    cloud
        .send(
            Method::POST,
            "/v2.1/flavors",
            admin,
            Some(
                json!({"flavor": {"name": format!("f{id}"), "id": id, "ram": ram,
                "vcpus": vcpus, "disk": disk}}),
            ),
            None,
        )
        .await
        .expect(200);
}

pub fn server_body(name: &str, image: &str, flavor: &str) -> Value {
    json!({"server": {"name": name, "imageRef": image, "flavorRef": flavor, "networks": "none"}})
}

pub async fn create(cloud: &Cloud, who: &Persona, body: Value) -> Value {
    cloud
        .send(Method::POST, "/v2.1/servers", who, Some(body), V47)
        .await
        .expect(202)
        .body
}

/// A server of flavor `1` from `image`, once it is ACTIVE: its id.
pub async fn active_server(cloud: &Cloud, who: &Persona, name: &str, image: &str) -> String {
    let id = create(cloud, who, server_body(name, image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(who, &id, "ACTIVE").await;
    id
}

/// A cloud with an image service, `agents` hosts of 4 vCPUs / 4 GiB, a
/// 1-vCPU 512 MiB flavor `1`, and a member's image.
pub async fn setup(
    agents: usize,
    configure: impl FnOnce(&mut ferrostack_config::Config),
) -> (Cloud, Persona, Persona, String) {
    let cloud = Cloud::with_images(agents, |c| {
        small_hosts(c);
        configure(c);
    })
    .await;
    prepare(cloud, agents).await
}

/// As [`setup`] with one host, beside a block-storage service.
pub async fn setup_with_volumes() -> (Cloud, Persona, Persona, String) {
    prepare(Cloud::with_volumes(small_hosts).await, 1).await
}

/// As [`setup`] with `agents` hosts, beside a network service whose agent
/// on each host is alive.
pub async fn setup_with_networks(
    agents: usize,
    configure: impl FnOnce(&mut ferrostack_config::Config),
) -> (Cloud, Persona, Persona, String) {
    setup_with_networks_configured(agents, configure, &|_| {}).await
}

/// [`setup_with_networks`], the network service also configured by `network`.
pub async fn setup_with_networks_configured(
    agents: usize,
    configure: impl FnOnce(&mut ferrostack_config::Config),
    network: &dyn Fn(&mut ferrostack_config::Config),
) -> (Cloud, Persona, Persona, String) {
    let cloud = Cloud::with_networks_configured(
        agents,
        |c| {
            small_hosts(c);
            configure(c);
        },
        network,
    )
    .await;
    let (cloud, admin, alice, image) = prepare(cloud, agents).await;
    for _ in 0..100 {
        let listed = cloud
            .network_api(Method::GET, "/v2.0/agents", &admin, None)
            .await;
        let alive = listed.body["agents"]
            .as_array()
            .map_or(0, |a| a.iter().filter(|a| a["alive"] == true).count());
        if alive >= agents {
            return (cloud, admin, alice, image);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the network agents never reported");
}

fn small_hosts(c: &mut ferrostack_config::Config) {
    c.set("fake", "vcpus", "4");
    c.set("fake", "memory_mb", "4608");
    c.set("fake", "local_gb", "20");
}

async fn prepare(cloud: Cloud, agents: usize) -> (Cloud, Persona, Persona, String) {
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    cloud.wait_for_hosts(&admin, agents).await;
    flavor(&cloud, &admin, "1", 512, 1, 1).await;
    let image = cloud.image(&alice, "cirros", 0, 0).await;
    (cloud, admin, alice, image)
}

/// The network service's server and a no-op agent for each of hosts
/// `node1`...`node<agents>`, reporting every second.
async fn start_network(
    identity: &TestCloud,
    agents: usize,
    configure: &dyn Fn(&mut ferrostack_config::Config),
) -> (Served, TestEnv, Vec<ferrostack_network::Running>) {
    use ferrostack_network::Role;
    let mut env = TestEnv::with_own_bus("compute_network").await;
    env.config.set("database", "auto_migrate", "true");
    env.config.set("DEFAULT", "host", "node1");
    env.config.set("agent", "report_interval", "1");
    identity.configure_service("neutron", &mut env.config).await;
    configure(&mut env.config);
    let stop = tokio_util::sync::CancellationToken::new();
    let mut running =
        vec![
            ferrostack_network::start(&env.config, &[Role::Server, Role::Agent], stop.clone())
                .await
                .expect("network starts"),
        ];
    for n in 2..=agents {
        let mut config = env.config.clone();
        config.set("DEFAULT", "host", format!("node{n}"));
        running.push(
            ferrostack_network::start(&config, &[Role::Agent], stop.clone())
                .await
                .expect("a network agent starts"),
        );
    }
    let neutron = running[0].server.clone().expect("the server role runs");
    let served = ferrostack_testkit::serve(ferrostack_network::api_service(neutron).unwrap()).await;
    (served, env, running)
}
