//! Which URIs `web-download` may fetch: Glance's `[import_filtering_opts]`. The
//! method is off unless it is enabled and `allowed_hosts` names the hosts it may
//! reach (checked at start), so an image import cannot be turned into a request to
//! anything the service can reach.

use ferrostack_config::{Config, ConfigError, Opt};

const S: &str = "import_filtering_opts";

pub const ALLOWED_SCHEMES: Opt = Opt::new(
    S,
    "allowed_schemes",
    "http,https",
    "Schemes web-download may use.",
);
pub const DISALLOWED_SCHEMES: Opt = Opt::new(
    S,
    "disallowed_schemes",
    "",
    "Schemes web-download may not use.",
);
pub const ALLOWED_HOSTS: Opt = Opt::new(
    S,
    "allowed_hosts",
    "",
    "Hosts web-download may fetch from; required when web-download is enabled.",
);
pub const DISALLOWED_HOSTS: Opt = Opt::new(
    S,
    "disallowed_hosts",
    "",
    "Hosts web-download may not fetch from.",
);
pub const ALLOWED_PORTS: Opt = Opt::new(
    S,
    "allowed_ports",
    "80,443",
    "Ports web-download may connect to.",
);
pub const DISALLOWED_PORTS: Opt = Opt::new(
    S,
    "disallowed_ports",
    "",
    "Ports web-download may not connect to.",
);

/// Every filtering option.
pub const FILTER_OPTS: &[Opt] = &[
    ALLOWED_SCHEMES,
    DISALLOWED_SCHEMES,
    ALLOWED_HOSTS,
    DISALLOWED_HOSTS,
    ALLOWED_PORTS,
    DISALLOWED_PORTS,
];

/// The resolved filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UriFilter {
    allowed_schemes: Vec<String>,
    disallowed_schemes: Vec<String>,
    allowed_hosts: Vec<String>,
    disallowed_hosts: Vec<String>,
    allowed_ports: Vec<u16>,
    disallowed_ports: Vec<u16>,
}

fn ports(config: &Config, opt: &Opt) -> Result<Vec<u16>, ConfigError> {
    config
        .get_list(opt)
        .iter()
        .map(|p| {
            p.parse()
                .map_err(|_| ConfigError::invalid(opt, format!("'{p}' is not a port")))
        })
        .collect()
}

impl UriFilter {
    /// Reads the options; `web_download` says whether the method is enabled, in
    /// which case an allow-list of hosts is required.
    pub fn from_config(config: &Config, web_download: bool) -> Result<Self, ConfigError> {
        let filter = UriFilter {
            allowed_schemes: config.get_list(&ALLOWED_SCHEMES),
            disallowed_schemes: config.get_list(&DISALLOWED_SCHEMES),
            allowed_hosts: config.get_list(&ALLOWED_HOSTS),
            disallowed_hosts: config.get_list(&DISALLOWED_HOSTS),
            allowed_ports: ports(config, &ALLOWED_PORTS)?,
            disallowed_ports: ports(config, &DISALLOWED_PORTS)?,
        };
        if web_download && filter.allowed_hosts.is_empty() {
            return Err(ConfigError::invalid(
                &ALLOWED_HOSTS,
                "web-download is enabled: list the hosts it may fetch from",
            ));
        }
        Ok(filter)
    }

    /// Whether web-download may fetch `uri`.
    pub fn allows(&self, uri: &str) -> bool {
        let Ok(url) = reqwest::Url::parse(uri) else {
            return false;
        };
        let scheme = url.scheme().to_string();
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
            return false;
        };
        let Some(port) = url.port_or_known_default() else {
            return false;
        };
        let listed =
            |list: &[String], item: &str| list.iter().any(|x| x.eq_ignore_ascii_case(item));
        (self.allowed_schemes.is_empty() || listed(&self.allowed_schemes, &scheme))
            && !listed(&self.disallowed_schemes, &scheme)
            && listed(&self.allowed_hosts, &host)
            && !listed(&self.disallowed_hosts, &host)
            && (self.allowed_ports.is_empty() || self.allowed_ports.contains(&port))
            && !self.disallowed_ports.contains(&port)
            && url.username().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_is_required_and_applied() {
        let mut config = Config::default();
        assert!(UriFilter::from_config(&config, true).is_err());
        assert!(UriFilter::from_config(&config, false).is_ok());
        config.set(S, "allowed_hosts", "images.example.org, 127.0.0.1");
        config.set(S, "allowed_ports", "80,443,8080");
        let filter = UriFilter::from_config(&config, true).unwrap();
        assert!(filter.allows("https://images.example.org/cirros.img"));
        assert!(filter.allows("http://127.0.0.1:8080/x"));
        assert!(!filter.allows("http://127.0.0.1:9292/x"));
        assert!(!filter.allows("http://169.254.169.254/latest"));
        assert!(!filter.allows("file:///etc/passwd"));
        assert!(!filter.allows("ftp://images.example.org/x"));
        assert!(!filter.allows("http://user:pw@images.example.org/x"));
        assert!(!filter.allows("not a uri"));
        config.set(S, "allowed_ports", "eighty");
        assert!(UriFilter::from_config(&config, true).is_err());
    }
}
