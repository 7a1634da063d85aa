//! The identity service's options, with Keystone's section and option names.

use std::path::PathBuf;
use std::time::Duration;

use ferrostack_api::{ServiceOptions, SERVICE_OPTS};
use ferrostack_config::{Config, ConfigError, Opt};
use ferrostack_db::{DbOptions, DATABASE_OPTS};
use ferrostack_rpc::{MessagingConfig, MESSAGING_OPTS};

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
pub const CREDENTIAL_KEY_REPOSITORY: Opt = Opt::new(
    "credential",
    "key_repository",
    "",
    "Fernet keys encrypting credential blobs; <state_path>/credential-keys when unset.",
);
pub const CREDENTIAL_PROVIDER: Opt = Opt::new(
    "credential",
    "provider",
    "fernet",
    "How credential blobs are encrypted (fernet, as Keystone).",
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
pub const PROHIBITED_IMPLIED_ROLE: Opt = Opt::new(
    "assignment",
    "prohibited_implied_role",
    "admin",
    "Roles no other role may imply.",
);

/// Every option this service reads.
pub const OPTS: &[Opt] = &[
    TOKEN_EXPIRATION,
    ALLOW_EXPIRED_WINDOW,
    KEY_REPOSITORY,
    CREDENTIAL_KEY_REPOSITORY,
    CREDENTIAL_PROVIDER,
    MAX_ACTIVE_KEYS,
    PASSWORD_HASH_ROUNDS,
    DEFAULT_DOMAIN_ID,
    MAX_PASSWORD_LENGTH,
    LIST_LIMIT,
    CACHE_EXPIRATION,
    CACHE_REVISION_POLL,
    PROHIBITED_IMPLIED_ROLE,
];

/// Settings resolved and validated at start.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    pub service: ServiceOptions,
    pub database: DbOptions,
    pub messaging: MessagingConfig,
    pub token_expiration: Duration,
    pub allow_expired_window: Duration,
    pub key_repository: PathBuf,
    pub max_active_keys: usize,
    /// The key repository encrypting credential blobs.
    pub credential_key_repository: PathBuf,
    pub password_hash_rounds: u32,
    pub default_domain_id: String,
    pub max_password_length: usize,
    pub list_limit: Option<usize>,
    pub cache_expiration: Duration,
    pub revision_poll_interval: Duration,
    /// Role names no role may imply (`[assignment] prohibited_implied_role`).
    pub prohibited_implied_roles: Vec<String>,
    pub security: crate::security_compliance::SecurityCompliance,
}

impl IdentityConfig {
    /// Resolves every option, failing with the option's name on a bad value.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        config.check(&[
            SERVICE_OPTS,
            OPTS,
            DATABASE_OPTS,
            MESSAGING_OPTS,
            crate::security_compliance::SECURITY_COMPLIANCE_OPTS,
        ]);
        let service = ServiceOptions::from_config(config, 5000)?;
        let state_path = service.state_path.clone();
        let default_db = format!("sqlite://{}/identity.db", state_path.display());
        let messaging = MessagingConfig::from_config(config, "keystone")?;
        let provider = config.get_string(&CREDENTIAL_PROVIDER);
        if provider != "fernet" {
            return Err(ConfigError::invalid(
                &CREDENTIAL_PROVIDER,
                format!("{provider:?} is not a credential provider (fernet)"),
            ));
        }
        let rounds: u32 = config.get_parsed(&PASSWORD_HASH_ROUNDS)?;
        if !(4..=31).contains(&rounds) {
            return Err(ConfigError::invalid(
                &PASSWORD_HASH_ROUNDS,
                format!("{rounds} is outside bcrypt's 4..=31"),
            ));
        }
        Ok(IdentityConfig {
            service,
            database: DbOptions::from_config(config, &default_db)?,
            messaging,
            token_expiration: Duration::from_secs(config.get_parsed(&TOKEN_EXPIRATION)?),
            allow_expired_window: Duration::from_secs(config.get_parsed(&ALLOW_EXPIRED_WINDOW)?),
            key_repository: config
                .get(&KEY_REPOSITORY)
                .map(PathBuf::from)
                .unwrap_or_else(|| state_path.join("fernet-keys")),
            max_active_keys: config.get_parsed(&MAX_ACTIVE_KEYS)?,
            credential_key_repository: config
                .get(&CREDENTIAL_KEY_REPOSITORY)
                .map(PathBuf::from)
                .unwrap_or_else(|| state_path.join("credential-keys")),
            password_hash_rounds: rounds,
            default_domain_id: config.get_string(&DEFAULT_DOMAIN_ID),
            max_password_length: config.get_parsed(&MAX_PASSWORD_LENGTH)?,
            list_limit: config
                .get(&LIST_LIMIT)
                .map(|_| config.get_parsed(&LIST_LIMIT))
                .transpose()?,
            cache_expiration: Duration::from_secs(config.get_parsed(&CACHE_EXPIRATION)?),
            revision_poll_interval: Duration::from_secs(
                config.get_parsed::<u64>(&CACHE_REVISION_POLL)?.max(1),
            ),
            prohibited_implied_roles: config.get_list(&PROHIBITED_IMPLIED_ROLE),
            security: crate::security_compliance::SecurityCompliance::from_config(config)?,
        })
    }
}
