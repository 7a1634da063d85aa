//! The identity service's options, with Keystone's section and option names.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ferrostack_config::{Config, ConfigError, Opt};
use ferrostack_db::{DbOptions, DATABASE_OPTS};
use ferrostack_rpc::{MessagingConfig, MESSAGING_OPTS};

pub const BIND_HOST: Opt = Opt::new(
    "DEFAULT",
    "bind_host",
    "127.0.0.1",
    "Address the API listens on.",
);
pub const BIND_PORT: Opt = Opt::new("DEFAULT", "bind_port", "5000", "Port the API listens on.");
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
    "Directory for embedded state (SQLite, keys).",
);
pub const DEBUG: Opt = Opt::new("DEFAULT", "debug", "false", "Log at debug level.");
pub const USE_JSON: Opt = Opt::new("DEFAULT", "use_json", "false", "Log as JSON lines.");
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
    "Largest accepted request body, in bytes.",
);
pub const TOKEN_EXPIRATION: Opt =
    Opt::new("token", "expiration", "3600", "Token lifetime in seconds.");
pub const ALLOW_EXPIRED_WINDOW: Opt = Opt::new(
    "token",
    "allow_expired_window",
    "172800",
    "Seconds past expiry a token can still be validated with allow_expired.",
);
pub const KEY_REPOSITORY: Opt = Opt::new(
    "fernet_tokens",
    "key_repository",
    "",
    "Fernet key directory; <state_path>/fernet-keys when unset.",
);
pub const MAX_ACTIVE_KEYS: Opt = Opt::new(
    "fernet_tokens",
    "max_active_keys",
    "3",
    "Keys kept by rotation (staged + primary + secondaries).",
);
pub const PASSWORD_HASH_ROUNDS: Opt =
    Opt::new("identity", "password_hash_rounds", "12", "bcrypt cost.");
pub const DEFAULT_DOMAIN_ID: Opt = Opt::new(
    "identity",
    "default_domain_id",
    "default",
    "Domain of users and projects created without one.",
);
pub const MAX_PASSWORD_LENGTH: Opt = Opt::new(
    "identity",
    "max_password_length",
    "4096",
    "Longest accepted password.",
);
pub const LIST_LIMIT: Opt = Opt::new(
    "DEFAULT",
    "list_limit",
    "",
    "Maximum entities a list returns (then truncated: true).",
);
pub const POLICY_FILE: Opt = Opt::new(
    "oslo_policy",
    "policy_file",
    "",
    "YAML file overriding default policies.",
);
pub const CACHE_EXPIRATION: Opt = Opt::new(
    "cache",
    "expiration_time",
    "600",
    "Seconds a cached token validation is kept at most.",
);
pub const CACHE_REVISION_POLL: Opt = Opt::new(
    "cache",
    "revision_poll_interval",
    "1",
    "Seconds between checks for writes made by other identity processes.",
);

/// Every option this service reads.
pub const OPTS: &[Opt] = &[
    BIND_HOST,
    BIND_PORT,
    PUBLIC_ENDPOINT,
    GRPC_HEALTH_PORT,
    STATE_PATH,
    DEBUG,
    USE_JSON,
    HOST,
    MAX_REQUEST_BODY_SIZE,
    TOKEN_EXPIRATION,
    ALLOW_EXPIRED_WINDOW,
    KEY_REPOSITORY,
    MAX_ACTIVE_KEYS,
    PASSWORD_HASH_ROUNDS,
    DEFAULT_DOMAIN_ID,
    MAX_PASSWORD_LENGTH,
    LIST_LIMIT,
    POLICY_FILE,
    CACHE_EXPIRATION,
    CACHE_REVISION_POLL,
];

/// Settings resolved and validated at start.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    pub bind: SocketAddr,
    pub public_endpoint: Option<String>,
    pub grpc_health_port: Option<u16>,
    pub debug: bool,
    pub use_json: bool,
    pub database: DbOptions,
    pub messaging: MessagingConfig,
    pub host: String,
    pub body_limit: usize,
    pub token_expiration: Duration,
    pub allow_expired_window: Duration,
    pub key_repository: PathBuf,
    pub max_active_keys: usize,
    pub password_hash_rounds: u32,
    pub default_domain_id: String,
    pub max_password_length: usize,
    pub list_limit: Option<usize>,
    pub policy_file: Option<PathBuf>,
    pub cache_expiration: Duration,
    pub revision_poll_interval: Duration,
}

impl IdentityConfig {
    /// Resolves every option, failing with the option's name on a bad value.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        config.check(&[OPTS, DATABASE_OPTS, MESSAGING_OPTS]);
        let state_path = PathBuf::from(config.get_string(&STATE_PATH));
        let host_ip: std::net::IpAddr = config.get_parsed(&BIND_HOST)?;
        let port: u16 = config.get_parsed(&BIND_PORT)?;
        let default_db = format!("sqlite://{}/identity.db", state_path.display());
        let messaging = MessagingConfig::from_config(config, "keystone")?;
        let rounds: u32 = config.get_parsed(&PASSWORD_HASH_ROUNDS)?;
        if !(4..=31).contains(&rounds) {
            return Err(ConfigError::Invalid {
                section: "identity".into(),
                option: "password_hash_rounds".into(),
                reason: format!("{rounds} is outside bcrypt's 4..=31"),
            });
        }
        Ok(IdentityConfig {
            bind: SocketAddr::new(host_ip, port),
            public_endpoint: config.get(&PUBLIC_ENDPOINT).map(str::to_string),
            grpc_health_port: config
                .get(&GRPC_HEALTH_PORT)
                .map(|_| config.get_parsed(&GRPC_HEALTH_PORT))
                .transpose()?,
            debug: config.get_bool(&DEBUG)?,
            use_json: config.get_bool(&USE_JSON)?,
            database: DbOptions::from_config(config, &default_db)?,
            messaging,
            host: config
                .get(&HOST)
                .map(str::to_string)
                .unwrap_or_else(default_host),
            body_limit: config.get_parsed(&MAX_REQUEST_BODY_SIZE)?,
            token_expiration: Duration::from_secs(config.get_parsed(&TOKEN_EXPIRATION)?),
            allow_expired_window: Duration::from_secs(config.get_parsed(&ALLOW_EXPIRED_WINDOW)?),
            key_repository: config
                .get(&KEY_REPOSITORY)
                .map(PathBuf::from)
                .unwrap_or_else(|| state_path.join("fernet-keys")),
            max_active_keys: config.get_parsed(&MAX_ACTIVE_KEYS)?,
            password_hash_rounds: rounds,
            default_domain_id: config.get_string(&DEFAULT_DOMAIN_ID),
            max_password_length: config.get_parsed(&MAX_PASSWORD_LENGTH)?,
            list_limit: config
                .get(&LIST_LIMIT)
                .map(|_| config.get_parsed(&LIST_LIMIT))
                .transpose()?,
            policy_file: config.get(&POLICY_FILE).map(PathBuf::from),
            cache_expiration: Duration::from_secs(config.get_parsed(&CACHE_EXPIRATION)?),
            revision_poll_interval: Duration::from_secs(
                config.get_parsed::<u64>(&CACHE_REVISION_POLL)?.max(1),
            ),
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
