//! The compute service's options, with Nova's section and option names.

use std::time::Duration;

use ferrostack_api::{ServiceOptions, SERVICE_OPTS};
use ferrostack_auth::{AuthOptions, AUTHTOKEN_OPTS};
use ferrostack_config::{Config, ConfigError, Opt};
use ferrostack_db::{DbOptions, DATABASE_OPTS};

/// Nova's port.
pub const DEFAULT_PORT: u16 = 8774;

pub const MAX_LIMIT: Opt = Opt::new("api", "max_limit", "1000", "Most items a list returns.");
pub const QUOTA_KEY_PAIRS: Opt = Opt::new(
    "quota",
    "key_pairs",
    "100",
    "Key pairs a user may have; -1 is unlimited.",
);
pub const SERVICE_DOWN_TIME: Opt = Opt::new(
    "DEFAULT",
    "service_down_time",
    "60",
    "Seconds without a heartbeat after which a service is down.",
);

/// Every option this service reads besides the shared sections.
pub const OPTS: &[Opt] = &[MAX_LIMIT, QUOTA_KEY_PAIRS, SERVICE_DOWN_TIME];

/// Settings resolved and validated at start.
#[derive(Debug, Clone)]
pub struct ComputeConfig {
    pub service: ServiceOptions,
    pub database: DbOptions,
    pub auth: Option<AuthOptions>,
    pub max_limit: usize,
    /// Key pairs a user may have (-1: no limit).
    pub quota_key_pairs: i64,
    pub service_down_time: Duration,
}

impl ComputeConfig {
    /// Resolves every option, failing with the option's name on a bad value.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let service = ServiceOptions::from_config(config, DEFAULT_PORT)?;
        config.check(&[SERVICE_OPTS, OPTS, DATABASE_OPTS, AUTHTOKEN_OPTS]);
        Ok(ComputeConfig {
            database: DbOptions::from_config(
                config,
                &format!("sqlite://{}/compute.db", service.state_path.display()),
            )?,
            auth: if config.get(&AUTHTOKEN_OPTS[1]).is_some() {
                Some(AuthOptions::from_config(config)?)
            } else {
                None
            },
            max_limit: config.get_parsed(&MAX_LIMIT)?,
            quota_key_pairs: config.get_parsed(&QUOTA_KEY_PAIRS)?,
            service_down_time: Duration::from_secs(config.get_parsed(&SERVICE_DOWN_TIME)?),
            service,
        })
    }
}
