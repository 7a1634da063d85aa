//! The options every service's API process reads, with oslo's names.

use std::net::SocketAddr;
use std::path::PathBuf;

use ferrostack_config::{Config, ConfigError, Opt};

pub const BIND_HOST: Opt = Opt::new(
    "DEFAULT",
    "bind_host",
    "127.0.0.1",
    "Address the API listens on.",
);
pub const BIND_PORT: Opt = Opt::new(
    "DEFAULT",
    "bind_port",
    "",
    "Port the API listens on; the service's upstream port when unset.",
);
pub const PUBLIC_ENDPOINT: Opt = Opt::new(
    "DEFAULT",
    "public_endpoint",
    "",
    "Base URL advertised in links; derived from the request when unset.",
);
pub const GRPC_HEALTH_PORT: Opt = Opt::new(
    "DEFAULT",
    "grpc_health_port",
    "",
    "Port for grpc.health.v1; disabled when unset.",
);
pub const STATE_PATH: Opt = Opt::new(
    "DEFAULT",
    "state_path",
    "./data",
    "Directory for embedded state (SQLite, keys, image data).",
);
pub const DEBUG: Opt = Opt::new("DEFAULT", "debug", "false", "Log at debug level.");
pub const USE_JSON: Opt = Opt::new("DEFAULT", "use_json", "false", "Log as JSON lines.");
pub const LOG_FILE: Opt = Opt::new(
    "DEFAULT",
    "log_file",
    "",
    "Append log lines to this file instead of stdout.",
);
pub const LOG_DIR: Opt = Opt::new(
    "DEFAULT",
    "log_dir",
    "",
    "Directory of a relative log_file.",
);
pub const HOST: Opt = Opt::new(
    "DEFAULT",
    "host",
    "",
    "Name of this host in RPC and notifications.",
);
pub const MAX_REQUEST_BODY_SIZE: Opt = Opt::new(
    "oslo_middleware",
    "max_request_body_size",
    "114688",
    "Largest accepted request body, in bytes (streamed uploads excepted).",
);
pub const PROXY_HEADERS: Opt = Opt::new(
    "oslo_middleware",
    "enable_proxy_headers_parsing",
    "false",
    "Trust X-Forwarded-Proto/Host for links: only behind a proxy that sets them.",
);
pub const METRICS_PORT: Opt = Opt::new(
    "DEFAULT",
    "metrics_port",
    "",
    "Port serving Prometheus /metrics (not on the API port); disabled when unset.",
);
pub const POLICY_FILE: Opt = Opt::new(
    "oslo_policy",
    "policy_file",
    "",
    "YAML file overriding default policies.",
);

/// Every option [`ServiceOptions`] reads, for [`Config::check`].
pub const SERVICE_OPTS: &[Opt] = &[
    BIND_HOST,
    BIND_PORT,
    PUBLIC_ENDPOINT,
    GRPC_HEALTH_PORT,
    STATE_PATH,
    DEBUG,
    USE_JSON,
    LOG_FILE,
    LOG_DIR,
    HOST,
    MAX_REQUEST_BODY_SIZE,
    PROXY_HEADERS,
    METRICS_PORT,
    POLICY_FILE,
];

/// Settings every API process resolves at start.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    pub bind: SocketAddr,
    pub public_endpoint: Option<String>,
    pub grpc_health_port: Option<u16>,
    /// Where `/metrics` is served, apart from the API.
    pub metrics_port: Option<u16>,
    /// Whether `X-Forwarded-*` headers are trusted (behind a proxy).
    pub proxy_headers: bool,
    pub state_path: PathBuf,
    pub debug: bool,
    pub use_json: bool,
    /// Where logs go instead of stdout (`log_dir`/`log_file`).
    pub log_file: Option<PathBuf>,
    pub host: String,
    pub body_limit: usize,
    pub policy_file: Option<PathBuf>,
}

impl ServiceOptions {
    /// Reads the options; `default_port` is the service's upstream port.
    pub fn from_config(config: &Config, default_port: u16) -> Result<Self, ConfigError> {
        let ip: std::net::IpAddr = config.get_parsed(&BIND_HOST)?;
        let port = match config.get(&BIND_PORT) {
            Some(_) => config.get_parsed(&BIND_PORT)?,
            None => default_port,
        };
        Ok(ServiceOptions {
            bind: SocketAddr::new(ip, port),
            public_endpoint: config.get(&PUBLIC_ENDPOINT).map(str::to_string),
            grpc_health_port: config
                .get(&GRPC_HEALTH_PORT)
                .map(|_| config.get_parsed(&GRPC_HEALTH_PORT))
                .transpose()?,
            metrics_port: config
                .get(&METRICS_PORT)
                .map(|_| config.get_parsed(&METRICS_PORT))
                .transpose()?,
            proxy_headers: config.get_bool(&PROXY_HEADERS)?,
            state_path: PathBuf::from(config.get_string(&STATE_PATH)),
            debug: config.get_bool(&DEBUG)?,
            use_json: config.get_bool(&USE_JSON)?,
            log_file: config
                .get(&LOG_FILE)
                .map(|file| match config.get(&LOG_DIR) {
                    Some(dir) => PathBuf::from(dir).join(file),
                    None => PathBuf::from(file),
                }),
            host: config
                .get(&HOST)
                .map(str::to_string)
                .unwrap_or_else(default_host),
            body_limit: config.get_parsed(&MAX_REQUEST_BODY_SIZE)?,
            policy_file: config.get(&POLICY_FILE).map(PathBuf::from),
        })
    }

    /// Starts logging as configured (`use_json`, `debug`, `log_file`), every line
    /// tagged with `service`. Keep the guard until the process ends.
    pub fn init_logging(
        &self,
        service: &'static str,
    ) -> std::io::Result<ferrostack_telemetry::LogGuard> {
        let format = if self.use_json {
            ferrostack_telemetry::LogFormat::Json
        } else {
            ferrostack_telemetry::LogFormat::Text
        };
        ferrostack_telemetry::init_logging(&ferrostack_telemetry::LogSettings {
            service,
            format,
            debug: self.debug,
            file: self.log_file.clone(),
        })
    }
}

fn default_host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_defaults_to_the_service_and_bad_values_are_named() {
        let mut config = Config::default();
        let options = ServiceOptions::from_config(&config, 9292).unwrap();
        assert_eq!(options.bind.port(), 9292);
        config.set("DEFAULT", "bind_port", "9300");
        assert_eq!(
            ServiceOptions::from_config(&config, 9292)
                .unwrap()
                .bind
                .port(),
            9300
        );
        config.set("DEFAULT", "bind_host", "not-an-ip");
        let err = ServiceOptions::from_config(&config, 9292).unwrap_err();
        assert!(err.to_string().contains("bind_host"), "{err}");
    }
}
