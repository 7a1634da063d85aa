//! `[security_compliance]`: Keystone's PCI-DSS options for local users' passwords
//! (lockout after failed logins, password history, minimum age, expiry, a required
//! pattern, a change at first use), resolved at start.

use std::time::Duration;

use ferrostack_config::{Config, ConfigError, Opt};

const S: &str = "security_compliance";

pub const LOCKOUT_FAILURE_ATTEMPTS: Opt = Opt::new(
    S,
    "lockout_failure_attempts",
    "",
    "Failed logins in a row that lock a user; unset never locks.",
);
pub const LOCKOUT_DURATION: Opt = Opt::new(
    S,
    "lockout_duration",
    "1800",
    "Seconds a locked user stays locked.",
);
pub const UNIQUE_LAST_PASSWORD_COUNT: Opt = Opt::new(
    S,
    "unique_last_password_count",
    "0",
    "How many of a user's last passwords (the new one included) must differ; 0 or 1 checks none.",
);
pub const MINIMUM_PASSWORD_AGE: Opt = Opt::new(
    S,
    "minimum_password_age",
    "0",
    "Days a password must be kept before its user may change it.",
);
pub const PASSWORD_EXPIRES_DAYS: Opt = Opt::new(
    S,
    "password_expires_days",
    "",
    "Days a password is valid; unset never expires.",
);
pub const PASSWORD_REGEX: Opt = Opt::new(
    S,
    "password_regex",
    "",
    "A pattern every new password must match (Rust regex syntax: no look-around).",
);
pub const PASSWORD_REGEX_DESCRIPTION: Opt = Opt::new(
    S,
    "password_regex_description",
    "",
    "What password_regex requires, in words, for the error users see.",
);
pub const CHANGE_PASSWORD_UPON_FIRST_USE: Opt = Opt::new(
    S,
    "change_password_upon_first_use",
    "false",
    "Passwords set by an administrator must be changed by their user before logging in.",
);

/// Every `[security_compliance]` option.
pub const SECURITY_COMPLIANCE_OPTS: &[Opt] = &[
    LOCKOUT_FAILURE_ATTEMPTS,
    LOCKOUT_DURATION,
    UNIQUE_LAST_PASSWORD_COUNT,
    MINIMUM_PASSWORD_AGE,
    PASSWORD_EXPIRES_DAYS,
    PASSWORD_REGEX,
    PASSWORD_REGEX_DESCRIPTION,
    CHANGE_PASSWORD_UPON_FIRST_USE,
];

/// The resolved options.
#[derive(Debug, Clone, Default)]
pub struct SecurityCompliance {
    pub lockout_failure_attempts: Option<u32>,
    pub lockout_duration: Duration,
    pub unique_last_password_count: usize,
    pub minimum_password_age_days: u32,
    pub password_expires_days: Option<u32>,
    pub password_regex: Option<regex::Regex>,
    pub password_regex_description: Option<String>,
    pub change_password_upon_first_use: bool,
}

fn optional<T>(config: &Config, opt: &Opt) -> Result<Option<T>, ConfigError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match config.get(opt).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(_) => config.get_parsed(opt).map(Some),
    }
}

impl SecurityCompliance {
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let password_regex = match config.get(&PASSWORD_REGEX).filter(|v| !v.is_empty()) {
            None => None,
            Some(pattern) => Some(
                regex::Regex::new(pattern)
                    .map_err(|e| ConfigError::invalid(&PASSWORD_REGEX, e.to_string()))?,
            ),
        };
        Ok(SecurityCompliance {
            lockout_failure_attempts: optional(config, &LOCKOUT_FAILURE_ATTEMPTS)?
                .filter(|n: &u32| *n > 0),
            lockout_duration: Duration::from_secs(config.get_parsed(&LOCKOUT_DURATION)?),
            unique_last_password_count: config.get_parsed(&UNIQUE_LAST_PASSWORD_COUNT)?,
            minimum_password_age_days: config.get_parsed(&MINIMUM_PASSWORD_AGE)?,
            password_expires_days: optional(config, &PASSWORD_EXPIRES_DAYS)?,
            password_regex,
            password_regex_description: config
                .get(&PASSWORD_REGEX_DESCRIPTION)
                .filter(|v| !v.is_empty())
                .map(str::to_string),
            change_password_upon_first_use: config.get_bool(&CHANGE_PASSWORD_UPON_FIRST_USE)?,
        })
    }
}
