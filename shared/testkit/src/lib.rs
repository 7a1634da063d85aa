//! Runs a service in-process for tests: a fresh database and transport chosen by the
//! environment, and the service's HTTP API on a free loopback port.
//!
//! - `FERRO_TEST_DB` = `sqlite` (default) | `mysql` | `postgres`; the server URLs come
//!   from `FERRO_TEST_MYSQL_URL` / `FERRO_TEST_POSTGRES_URL` (`make backends` sets them).
//! - `FERRO_TEST_TRANSPORT` = `memory` (default) | `rabbit` (`FERRO_TEST_RABBIT_URL`).
//! - `FERRO_TEST_CACHE` = `local` (default) | `memcached` (`FERRO_TEST_MEMCACHED`).
//! - [`s3_url`]: the S3-compatible server of the object-store tests (`FERRO_TEST_S3_URL`).
//!
//! A backend that is asked for but not configured fails the test; nothing is skipped.

mod http;

use std::{net::SocketAddr, path::PathBuf};

pub use http::{send, Resp};

use ferrostack_api::ApiService;
use ferrostack_config::Config;
use ferrostack_db::sea_orm::{ConnectionTrait, Database};
use tokio_util::sync::CancellationToken;

/// Prefix of every database the testkit creates; `scripts/with-backends.sh` drops
/// those left by earlier runs.
pub const DATABASE_PREFIX: &str = "ferro_t_";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through `make test` (scripts/with-backends.sh)")
    })
}

/// A service's fresh state: a temp directory and configuration pointing at a new
/// database and the chosen transport and cache.
pub struct TestEnv {
    pub dir: PathBuf,
    pub config: Config,
    /// A RabbitMQ virtual host of this environment alone, deleted on drop.
    own_vhost: Option<String>,
}

impl TestEnv {
    /// A fresh environment for `service` (used in database names).
    pub async fn new(service: &str) -> TestEnv {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("ferro-test-{service}-{id}"));
        std::fs::create_dir_all(&dir).expect("create test dir");
        let mut config = Config::default();
        config.set("DEFAULT", "state_path", dir.display().to_string());
        let name = format!("{DATABASE_PREFIX}{service}_{}", &id[..12]);
        config.set("database", "connection", fresh_database(&dir, &name).await);
        config.set("DEFAULT", "transport_url", transport_url(&id));
        if env_or("FERRO_TEST_CACHE", "local") == "memcached" {
            config.set("cache", "enabled", "true");
            config.set("cache", "backend", "dogpile.cache.pymemcache");
            config.set(
                "cache",
                "memcache_servers",
                required("FERRO_TEST_MEMCACHED"),
            );
        }
        TestEnv {
            dir,
            config,
            own_vhost: None,
        }
    }

    /// Like [`TestEnv::new`], with a message bus no other test shares: services
    /// whose roles talk over RPC topics need it, as each deployment has its own
    /// RabbitMQ virtual host. On the memory transport every environment already has
    /// its own bus.
    pub async fn with_own_bus(service: &str) -> TestEnv {
        let mut env = TestEnv::new(service).await;
        if env_or("FERRO_TEST_TRANSPORT", "memory") == "rabbit" {
            env.use_own_vhost();
        }
        env
    }

    /// Like [`TestEnv::with_own_bus`], on RabbitMQ whatever the testkit's
    /// transport: for roles that run in processes of their own.
    pub async fn with_rabbit_bus(service: &str) -> TestEnv {
        let mut env = TestEnv::new(service).await;
        env.use_own_vhost();
        env
    }

    fn use_own_vhost(&mut self) {
        let vhost = format!("ferro-t-{}", uuid::Uuid::new_v4().simple());
        rabbitmqctl(&format!("add_vhost {vhost}"));
        rabbitmqctl(&format!("set_permissions -p {vhost} guest '.*' '.*' '.*'"));
        let url = required("FERRO_TEST_RABBIT_URL");
        let server = url.rsplit_once('/').map_or(url.as_str(), |(s, _)| s);
        self.config
            .set("DEFAULT", "transport_url", format!("{server}/{vhost}"));
        self.own_vhost = Some(vhost);
    }
}

/// Runs `rabbitmqctl <args>` as `FERRO_TEST_RABBITMQCTL` says; panics on failure.
/// Stops RabbitMQ's application for `outage`, then starts it again (every
/// connection to it drops meanwhile).
pub fn restart_rabbit(outage: std::time::Duration) {
    rabbitmqctl("stop_app");
    std::thread::sleep(outage);
    rabbitmqctl("start_app");
}

fn rabbitmqctl(args: &str) {
    let ctl = required("FERRO_TEST_RABBITMQCTL");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{ctl} {args} > /dev/null"))
        .status()
        .expect("run rabbitmqctl");
    assert!(status.success(), "rabbitmqctl {args} failed");
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(vhost) = &self.own_vhost {
            rabbitmqctl(&format!("delete_vhost {vhost}"));
        }
    }
}

async fn fresh_database(dir: &std::path::Path, name: &str) -> String {
    let (server, create) = match env_or("FERRO_TEST_DB", "sqlite").as_str() {
        "sqlite" => return format!("sqlite://{}/{name}.db", dir.display()),
        "mysql" => (
            required("FERRO_TEST_MYSQL_URL"),
            format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
        ),
        "postgres" => (
            required("FERRO_TEST_POSTGRES_URL"),
            format!("CREATE DATABASE {name}"),
        ),
        other => panic!("FERRO_TEST_DB={other}: expected sqlite, mysql or postgres"),
    };
    let server = server.trim_end_matches('/');
    let admin_url = if server.starts_with("postgres") {
        format!("{server}/postgres")
    } else {
        server.to_owned()
    };
    let admin = Database::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test database server: {e}"));
    admin
        .execute_unprepared(&create)
        .await
        .unwrap_or_else(|e| panic!("{create}: {e}"));
    let _ = admin.close().await;
    format!("{server}/{name}")
}

fn transport_url(id: &str) -> String {
    match env_or("FERRO_TEST_TRANSPORT", "memory").as_str() {
        "memory" => format!("memory://{id}"),
        "rabbit" => required("FERRO_TEST_RABBIT_URL"),
        other => panic!("FERRO_TEST_TRANSPORT={other}: expected memory or rabbit"),
    }
}

/// The S3-compatible server the tests of S3 stores use (moto on loopback).
pub fn s3_url() -> String {
    required("FERRO_TEST_S3_URL")
}

/// A service serving on a loopback port until dropped.
pub struct Served {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
}

impl Served {
    /// `http://127.0.0.1:<port>` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Serves `service` on a free loopback port.
pub async fn serve(service: ApiService) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let addr = listener.local_addr().expect("local addr");
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    tokio::spawn(async move {
        let _ = ferrostack_api::serve(service, listener, token).await;
    });
    Served { addr, shutdown }
}
