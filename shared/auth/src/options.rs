//! `[keystone_authtoken]` with keystonemiddleware's option names.

use std::time::Duration;

use ferrostack_config::{Config, ConfigError, Opt, Secret};

const S: &str = "keystone_authtoken";

pub const WWW_AUTHENTICATE_URI: Opt = Opt::new(
    S,
    "www_authenticate_uri",
    "",
    "Identity endpoint named to clients in WWW-Authenticate; auth_url when unset.",
);
pub const AUTH_URL: Opt = Opt::new(
    S,
    "auth_url",
    "",
    "Identity endpoint used to validate tokens.",
);
pub const USERNAME: Opt = Opt::new(S, "username", "", "The service's user.");
pub const PASSWORD: Opt = Opt::secret(S, "password", "The service user's password.");
pub const PROJECT_NAME: Opt = Opt::new(S, "project_name", "service", "The service user's project.");
pub const USER_DOMAIN_NAME: Opt = Opt::new(
    S,
    "user_domain_name",
    "Default",
    "The service user's domain.",
);
pub const PROJECT_DOMAIN_NAME: Opt = Opt::new(
    S,
    "project_domain_name",
    "Default",
    "The service project's domain.",
);
pub const TOKEN_CACHE_TIME: Opt = Opt::new(
    S,
    "token_cache_time",
    "300",
    "Seconds a validation is cached (never past the token's expiry); -1 disables caching.",
);
pub const MEMCACHED_SERVERS: Opt = Opt::new(
    S,
    "memcached_servers",
    "",
    "host:port list for the shared validation cache; [cache] memcache_servers when unset.",
);
pub const MEMCACHE_SECURITY_STRATEGY: Opt = Opt::new(
    S,
    "memcache_security_strategy",
    "None",
    "How validations cached in memcached are protected: None, MAC or ENCRYPT.",
);
pub const MEMCACHE_SECRET_KEY: Opt = Opt::secret(
    S,
    "memcache_secret_key",
    "The secret the MAC and ENCRYPT strategies derive their keys from.",
);
pub const SERVICE_TOKEN_ROLES: Opt = Opt::new(
    S,
    "service_token_roles",
    "service",
    "Roles, any of which makes an X-Service-Token a service token.",
);
pub const SERVICE_TOKEN_ROLES_REQUIRED: Opt = Opt::new(
    S,
    "service_token_roles_required",
    "false",
    "Refuse service tokens without one of service_token_roles.",
);
pub const HTTP_CONNECT_TIMEOUT: Opt = Opt::new(
    S,
    "http_connect_timeout",
    "5",
    "Seconds to wait for identity to answer.",
);
pub const SERVICE_TYPE: Opt = Opt::new(
    S,
    "service_type",
    "",
    "The service type access rules of application credential tokens are checked against; the service's own catalog types when unset.",
);
const CACHE_ENABLED: Opt = Opt::new("cache", "enabled", "false", "Use the [cache] backend.");
const CACHE_SERVERS: Opt = Opt::new("cache", "memcache_servers", "", "memcached host:port list.");

/// Every `[keystone_authtoken]` option, for [`Config::check`].
pub const AUTHTOKEN_OPTS: &[Opt] = &[
    WWW_AUTHENTICATE_URI,
    AUTH_URL,
    USERNAME,
    PASSWORD,
    PROJECT_NAME,
    USER_DOMAIN_NAME,
    PROJECT_DOMAIN_NAME,
    TOKEN_CACHE_TIME,
    MEMCACHED_SERVERS,
    MEMCACHE_SECURITY_STRATEGY,
    MEMCACHE_SECRET_KEY,
    SERVICE_TOKEN_ROLES,
    SERVICE_TOKEN_ROLES_REQUIRED,
    HTTP_CONNECT_TIMEOUT,
    SERVICE_TYPE,
];

/// How validations in memcached are protected, and the secret keys come from.
#[derive(Debug, Clone)]
pub struct CacheProtection {
    pub strategy: crate::cache_crypt::Strategy,
    pub secret: Secret,
}

/// Resolved authentication settings.
#[derive(Debug, Clone)]
pub struct AuthOptions {
    pub auth_url: String,
    pub www_authenticate_uri: String,
    pub username: String,
    pub password: Secret,
    pub project_name: String,
    pub user_domain_name: String,
    pub project_domain_name: String,
    /// `None` when caching is disabled.
    pub token_cache_time: Option<Duration>,
    pub memcached_servers: Vec<String>,
    /// `None`: values in memcached are plain (keystonemiddleware's default).
    pub memcache_protection: Option<CacheProtection>,
    pub service_token_roles: Vec<String>,
    pub service_token_roles_required: bool,
    pub timeout: Duration,
    /// The service types an access rule may name to reach this service.
    pub service_types: Vec<String>,
}

impl AuthOptions {
    /// Reads and checks the options; `auth_url`, `username` and `password` are required.
    /// `service_types` are the service's catalog types, used unless `service_type` is set.
    pub fn from_config(config: &Config, service_types: &[&str]) -> Result<Self, ConfigError> {
        // keystoneauth accepts the versioned URL too; requests add `/v3` themselves.
        let auth_url = config.require(&AUTH_URL)?.trim_end_matches('/');
        let auth_url = auth_url.strip_suffix("/v3").unwrap_or(auth_url).to_owned();
        let cache_time: i64 = config.get_parsed(&TOKEN_CACHE_TIME)?;
        let mut memcached_servers = config.get_list(&MEMCACHED_SERVERS);
        if memcached_servers.is_empty() && config.get_bool(&CACHE_ENABLED)? {
            memcached_servers = config.get_list(&CACHE_SERVERS);
        }
        let strategy =
            crate::cache_crypt::Strategy::parse(&config.get_string(&MEMCACHE_SECURITY_STRATEGY))
                .map_err(|reason| ConfigError::invalid(&MEMCACHE_SECURITY_STRATEGY, reason))?;
        let memcache_protection = match strategy {
            None => None,
            Some(strategy) => Some(CacheProtection {
                strategy,
                secret: Secret::new(
                    config
                        .get(&MEMCACHE_SECRET_KEY)
                        .filter(|s| !s.is_empty())
                        .ok_or_else(|| {
                            ConfigError::invalid(
                                &MEMCACHE_SECRET_KEY,
                                "required by memcache_security_strategy MAC or ENCRYPT",
                            )
                        })?,
                ),
            }),
        };
        if memcache_protection.is_none() && !memcached_servers.is_empty() {
            tracing::warn!(
                "validations cached in memcached are unprotected: set memcache_security_strategy = ENCRYPT and memcache_secret_key"
            );
        }
        Ok(AuthOptions {
            memcache_protection,
            www_authenticate_uri: config
                .get(&WWW_AUTHENTICATE_URI)
                .map_or_else(|| auth_url.clone(), str::to_owned),
            auth_url,
            username: config.require(&USERNAME)?.to_owned(),
            password: Secret::new(config.require(&PASSWORD)?),
            project_name: config.get_string(&PROJECT_NAME),
            user_domain_name: config.get_string(&USER_DOMAIN_NAME),
            project_domain_name: config.get_string(&PROJECT_DOMAIN_NAME),
            token_cache_time: u64::try_from(cache_time).ok().map(Duration::from_secs),
            memcached_servers,
            service_token_roles: config.get_list(&SERVICE_TOKEN_ROLES),
            service_token_roles_required: config.get_bool(&SERVICE_TOKEN_ROLES_REQUIRED)?,
            timeout: Duration::from_secs(config.get_parsed(&HTTP_CONNECT_TIMEOUT)?),
            service_types: match config.get(&SERVICE_TYPE).filter(|t| !t.is_empty()) {
                Some(configured) => vec![configured.to_owned()],
                None => service_types.iter().map(|t| t.to_string()).collect(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str, &str)]) -> Config {
        let mut c = Config::default();
        for (s, o, v) in pairs {
            c.set(s, o, *v);
        }
        c
    }

    #[test]
    fn required_options_are_named() {
        let err = AuthOptions::from_config(&config(&[]), &[]).unwrap_err();
        assert!(err.to_string().contains("auth_url"), "{err}");
    }

    #[test]
    fn cache_servers_fall_back_to_the_cache_section() {
        let base = [
            (S, "auth_url", "http://id:5000/v3/"),
            (S, "username", "glance"),
            (S, "password", "pw"),
            ("cache", "enabled", "true"),
            ("cache", "memcache_servers", "127.0.0.1:11211"),
        ];
        let o = AuthOptions::from_config(&config(&base), &[]).unwrap();
        assert_eq!(o.auth_url, "http://id:5000");
        assert_eq!(o.www_authenticate_uri, "http://id:5000");
        assert_eq!(o.memcached_servers, ["127.0.0.1:11211"]);
        assert_eq!(o.token_cache_time, Some(Duration::from_secs(300)));
        assert!(o.memcache_protection.is_none());
        let mut protected = config(&base);
        protected.set(S, "memcache_security_strategy", "ENCRYPT");
        let err = AuthOptions::from_config(&protected, &[]).unwrap_err();
        assert!(err.to_string().contains("memcache_secret_key"), "{err}");
        protected.set(S, "memcache_secret_key", "k");
        assert!(AuthOptions::from_config(&protected, &[])
            .unwrap()
            .memcache_protection
            .is_some());
        let mut off = config(&base);
        off.set(S, "token_cache_time", "-1");
        assert_eq!(
            AuthOptions::from_config(&off, &[])
                .unwrap()
                .token_cache_time,
            None
        );
    }
}
