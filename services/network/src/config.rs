//! The network service's options, with Neutron's section and option names.

use ferrostack_api::{ServiceOptions, SERVICE_OPTS};
use ferrostack_auth::{AuthOptions, AUTHTOKEN_OPTS};
use ferrostack_config::{Config, ConfigError, Opt};
use ferrostack_db::{DbOptions, DATABASE_OPTS};
use ferrostack_rpc::{MessagingConfig, MESSAGING_OPTS};

use crate::agent::linux::{LinuxOptions, LINUX_OPTS};

/// Neutron's port.
pub const DEFAULT_PORT: u16 = 9696;

const BASE_MAC: Opt = Opt::new(
    "DEFAULT",
    "base_mac",
    "fa:16:3e:00:00:00",
    "The MAC prefix ports' addresses are made from (its zero bytes are random).",
);
const GLOBAL_PHYSNET_MTU: Opt = Opt::new(
    "DEFAULT",
    "global_physnet_mtu",
    "1500",
    "MTU of the underlying physical networks; overlay networks take their overhead off it.",
);
const DNS_DOMAIN: Opt = Opt::new(
    "DEFAULT",
    "dns_domain",
    "openstacklocal",
    "Domain of the names ports get (dns_assignment).",
);
const MAX_DNS_NAMESERVERS: Opt = Opt::new(
    "DEFAULT",
    "max_dns_nameservers",
    "5",
    "Most DNS name servers a subnet may have.",
);
const MAX_SUBNET_HOST_ROUTES: Opt = Opt::new(
    "DEFAULT",
    "max_subnet_host_routes",
    "20",
    "Most host routes a subnet may have.",
);
const MAX_ALLOWED_ADDRESS_PAIR: Opt = Opt::new(
    "DEFAULT",
    "max_allowed_address_pair",
    "10",
    "Most allowed address pairs a port may have.",
);
const PAGINATION_MAX_LIMIT: Opt = Opt::new(
    "DEFAULT",
    "pagination_max_limit",
    "-1",
    "Most items a page holds; -1 is no limit.",
);
const TENANT_NETWORK_TYPES: Opt = Opt::new(
    "ml2",
    "tenant_network_types",
    "local",
    "Network types given to project networks, in order of preference (local, vxlan).",
);
const VNI_RANGES: Opt = Opt::new(
    "ml2_type_vxlan",
    "vni_ranges",
    "",
    "VXLAN ids project networks get, as first:last ranges.",
);
const FLAT_NETWORKS: Opt = Opt::new(
    "ml2_type_flat",
    "flat_networks",
    "*",
    "Physical networks flat networks may use (* for any).",
);

const AGENT_DOWN_TIME: Opt = Opt::new(
    "DEFAULT",
    "agent_down_time",
    "75",
    "Seconds without a report after which an agent is dead.",
);
const REPORT_INTERVAL: Opt = Opt::new(
    "agent",
    "report_interval",
    "30",
    "Seconds between an agent's state reports.",
);
const AGENT_DRIVER: Opt = Opt::new(
    "agent",
    "driver",
    "noop",
    "What the agent wires ports with: linux (bridges, VXLAN) or noop (bindings and \
     states only).",
);
const AVAILABILITY_ZONE: Opt = Opt::new(
    "agent",
    "availability_zone",
    "nova",
    "The zone this host's DHCP and L3 agents are in.",
);

const QUOTA_NETWORK: Opt = Opt::new("quotas", "quota_network", "100", "Networks per project.");
const QUOTA_SUBNET: Opt = Opt::new("quotas", "quota_subnet", "100", "Subnets per project.");
const QUOTA_PORT: Opt = Opt::new("quotas", "quota_port", "500", "Ports per project.");
const QUOTA_ROUTER: Opt = Opt::new("quotas", "quota_router", "10", "Routers per project.");
const QUOTA_FLOATINGIP: Opt = Opt::new(
    "quotas",
    "quota_floatingip",
    "50",
    "Floating IPs per project.",
);
const QUOTA_SECURITY_GROUP: Opt = Opt::new(
    "quotas",
    "quota_security_group",
    "10",
    "Security groups per project.",
);
const QUOTA_SECURITY_GROUP_RULE: Opt = Opt::new(
    "quotas",
    "quota_security_group_rule",
    "100",
    "Security group rules per project.",
);

const QUOTA_RBAC_POLICY: Opt = Opt::new(
    "quotas",
    "quota_rbac_policy",
    "10",
    "RBAC policies per project.",
);

/// Each quota resource's option, by Neutron's resource name.
pub const QUOTA_OPTS: &[(&str, Opt)] = &[
    ("network", QUOTA_NETWORK),
    ("subnet", QUOTA_SUBNET),
    ("port", QUOTA_PORT),
    ("router", QUOTA_ROUTER),
    ("floatingip", QUOTA_FLOATINGIP),
    ("security_group", QUOTA_SECURITY_GROUP),
    ("security_group_rule", QUOTA_SECURITY_GROUP_RULE),
    ("rbac_policy", QUOTA_RBAC_POLICY),
];

/// Every option this service reads besides the shared sections.
const NOTIFY_NOVA_ON_PORT_STATUS_CHANGES: Opt = Opt::new(
    "DEFAULT",
    "notify_nova_on_port_status_changes",
    "true",
    "Tell compute when a server's port goes up or down (network-vif-plugged/unplugged) or is deleted.",
);
const NOTIFY_NOVA_ON_PORT_DATA_CHANGES: Opt = Opt::new(
    "DEFAULT",
    "notify_nova_on_port_data_changes",
    "true",
    "Tell compute when a server's port's addresses or floating IPs change (network-changed).",
);
const NOVA_ENDPOINT_OVERRIDE: Opt = Opt::new(
    "nova",
    "endpoint_override",
    "",
    "URL of the compute API (e.g. http://127.0.0.1:8774/v2.1); looked up in the catalog (type compute, public) when unset.",
);

pub const OPTS: &[Opt] = &[
    NOTIFY_NOVA_ON_PORT_STATUS_CHANGES,
    NOTIFY_NOVA_ON_PORT_DATA_CHANGES,
    NOVA_ENDPOINT_OVERRIDE,
    BASE_MAC,
    GLOBAL_PHYSNET_MTU,
    DNS_DOMAIN,
    MAX_DNS_NAMESERVERS,
    MAX_SUBNET_HOST_ROUTES,
    MAX_ALLOWED_ADDRESS_PAIR,
    PAGINATION_MAX_LIMIT,
    TENANT_NETWORK_TYPES,
    VNI_RANGES,
    FLAT_NETWORKS,
    AGENT_DOWN_TIME,
    REPORT_INTERVAL,
    AGENT_DRIVER,
    AVAILABILITY_ZONE,
    QUOTA_NETWORK,
    QUOTA_SUBNET,
    QUOTA_PORT,
    QUOTA_ROUTER,
    QUOTA_FLOATINGIP,
    QUOTA_SECURITY_GROUP,
    QUOTA_SECURITY_GROUP_RULE,
    QUOTA_RBAC_POLICY,
];

/// Settings resolved and validated at start.
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    pub service: ServiceOptions,
    pub database: DbOptions,
    pub messaging: MessagingConfig,
    pub auth: Option<AuthOptions>,
    /// The MAC prefix: its bytes, and how many of them are fixed (the rest
    /// are random).
    pub base_mac: ([u8; 6], usize),
    pub global_physnet_mtu: i64,
    pub dns_domain: String,
    pub max_dns_nameservers: usize,
    pub max_subnet_host_routes: usize,
    pub max_allowed_address_pair: usize,
    /// Most items a page holds (`None`: no limit).
    pub max_limit: Option<usize>,
    pub tenant_network_types: Vec<String>,
    /// VXLAN ids project networks get.
    pub vni_ranges: Vec<(i64, i64)>,
    /// Physical networks flat networks may use (`None`: any).
    pub flat_networks: Option<Vec<String>>,
    /// Each quota resource's default limit (-1: none).
    pub quota_defaults: std::collections::BTreeMap<&'static str, i64>,
    /// Without a report for this long an agent is dead.
    pub agent_down_time: std::time::Duration,
    /// How often an agent reports.
    pub report_interval: std::time::Duration,
    /// The agent's zone (DHCP and L3).
    pub availability_zone: String,
    /// What the agent wires ports with.
    pub driver: AgentDriver,
    /// What compute is told of its servers' ports.
    pub nova: NovaNotifications,
}

/// Which port events compute is sent, and where (`[nova]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NovaNotifications {
    pub status_changes: bool,
    pub data_changes: bool,
    /// The compute API's URL, else the catalog's.
    pub endpoint_override: Option<String>,
}

/// The agent's data plane (`[agent] driver`).
#[derive(Debug, Clone, PartialEq)]
pub enum AgentDriver {
    /// Bindings and states only.
    Noop,
    /// Linux bridges and VXLAN devices.
    Linux(LinuxOptions),
}

/// `fa:16:3e:00:00:00`: the bytes, the non-zero prefix's length (at least 3).
fn parse_base_mac(text: &str) -> Option<([u8; 6], usize)> {
    let bytes: Vec<u8> = text
        .split(':')
        .map(|b| u8::from_str_radix(b, 16).ok())
        .collect::<Option<_>>()?;
    let bytes: [u8; 6] = bytes.try_into().ok()?;
    let fixed = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    Some((bytes, fixed.max(3)))
}

/// `1:1000, 2000:2100` as id ranges.
fn parse_ranges(text: &str) -> Option<Vec<(i64, i64)>> {
    text.split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|range| {
            let (first, last) = range.split_once(':')?;
            let (first, last) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
            (first <= last && first >= 1 && last < (1 << 24)).then_some((first, last))
        })
        .collect()
}

impl NetworkConfig {
    /// Resolves every option, failing with the option's name on a bad value.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let service = ServiceOptions::from_config(config, DEFAULT_PORT)?;
        config.check(&[
            SERVICE_OPTS,
            OPTS,
            DATABASE_OPTS,
            MESSAGING_OPTS,
            AUTHTOKEN_OPTS,
            LINUX_OPTS,
        ]);
        let base_mac = parse_base_mac(&config.get_string(&BASE_MAC)).ok_or_else(|| {
            ConfigError::invalid(&BASE_MAC, "not a MAC address (six hex bytes)".to_string())
        })?;
        let vni_ranges = parse_ranges(&config.get_string(&VNI_RANGES)).ok_or_else(|| {
            ConfigError::invalid(&VNI_RANGES, "ranges are first:last VXLAN ids".to_string())
        })?;
        let tenant_network_types = config.get_list(&TENANT_NETWORK_TYPES);
        if let Some(other) = tenant_network_types
            .iter()
            .find(|t| !matches!(t.as_str(), "local" | "vxlan" | "flat"))
        {
            return Err(ConfigError::invalid(
                &TENANT_NETWORK_TYPES,
                format!("{other}: only local, flat and vxlan are supported"),
            ));
        }
        let max_limit = match config.get_parsed::<i64>(&PAGINATION_MAX_LIMIT)? {
            n if n > 0 => Some(n as usize),
            _ => None,
        };
        let flat = config.get_list(&FLAT_NETWORKS);
        let driver = match config.get_string(&AGENT_DRIVER).as_str() {
            "noop" => AgentDriver::Noop,
            "linux" => AgentDriver::Linux(LinuxOptions::from_config(config)?),
            other => {
                return Err(ConfigError::invalid(
                    &AGENT_DRIVER,
                    format!("{other}: the agent's drivers are linux and noop"),
                ))
            }
        };
        Ok(NetworkConfig {
            database: DbOptions::from_config(
                config,
                &format!("sqlite://{}/network.db", service.state_path.display()),
            )?,
            messaging: MessagingConfig::from_config(config, "neutron")?,
            auth: if config.get(&AUTHTOKEN_OPTS[1]).is_some() {
                Some(AuthOptions::from_config(config, &["network"])?)
            } else {
                None
            },
            base_mac,
            global_physnet_mtu: config.get_parsed(&GLOBAL_PHYSNET_MTU)?,
            dns_domain: config.get_string(&DNS_DOMAIN),
            max_dns_nameservers: config.get_parsed(&MAX_DNS_NAMESERVERS)?,
            max_subnet_host_routes: config.get_parsed(&MAX_SUBNET_HOST_ROUTES)?,
            max_allowed_address_pair: config.get_parsed(&MAX_ALLOWED_ADDRESS_PAIR)?,
            max_limit,
            tenant_network_types,
            vni_ranges,
            flat_networks: (!flat.iter().any(|n| n == "*")).then_some(flat),
            quota_defaults: QUOTA_OPTS
                .iter()
                .map(|(key, opt)| Ok((*key, config.get_parsed::<i64>(opt)?)))
                .collect::<Result<_, ConfigError>>()?,
            agent_down_time: std::time::Duration::from_secs(
                config.get_parsed::<u64>(&AGENT_DOWN_TIME)?.max(1),
            ),
            report_interval: std::time::Duration::from_secs(
                config.get_parsed::<u64>(&REPORT_INTERVAL)?.max(1),
            ),
            availability_zone: config.get_string(&AVAILABILITY_ZONE),
            driver,
            nova: NovaNotifications {
                status_changes: config.get_bool(&NOTIFY_NOVA_ON_PORT_STATUS_CHANGES)?,
                data_changes: config.get_bool(&NOTIFY_NOVA_ON_PORT_DATA_CHANGES)?,
                endpoint_override: Some(config.get_string(&NOVA_ENDPOINT_OVERRIDE))
                    .filter(|url| !url.is_empty())
                    .map(|url| url.trim_end_matches('/').to_string()),
            },
            service,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_macs_keep_their_non_zero_prefix() {
        assert_eq!(
            parse_base_mac("fa:16:3e:00:00:00"),
            Some(([0xfa, 0x16, 0x3e, 0, 0, 0], 3))
        );
        assert_eq!(
            parse_base_mac("fa:16:3e:4f:00:00"),
            Some(([0xfa, 0x16, 0x3e, 0x4f, 0, 0], 4))
        );
        assert_eq!(parse_base_mac("fa:16:3e"), None);
        assert_eq!(parse_base_mac("zz:16:3e:00:00:00"), None);
    }

    #[test]
    fn vni_ranges_parse_and_refuse_nonsense() {
        assert_eq!(parse_ranges(""), Some(vec![]));
        assert_eq!(
            parse_ranges("1:1000, 2000:2001"),
            Some(vec![(1, 1000), (2000, 2001)])
        );
        assert_eq!(parse_ranges("5:1"), None);
        assert_eq!(parse_ranges("1-5"), None);
        assert_eq!(parse_ranges("1:16777216"), None);
    }

    #[test]
    fn defaults_resolve() {
        let cfg = NetworkConfig::from_config(&Config::default()).unwrap();
        assert_eq!(cfg.service.bind.port(), 9696);
        assert_eq!(cfg.tenant_network_types, ["local"]);
        assert_eq!(cfg.flat_networks, None);
        assert_eq!(cfg.quota_defaults["port"], 500);
        assert_eq!(cfg.driver, AgentDriver::Noop);
    }

    #[test]
    fn drivers_are_linux_or_noop() {
        let mut config = Config::default();
        config.set("agent", "driver", "linux");
        config.set("vxlan", "local_ip", "192.0.2.1");
        let cfg = NetworkConfig::from_config(&config).unwrap();
        assert!(matches!(cfg.driver, AgentDriver::Linux(o) if o.local_ip.is_some()));
        config.set("agent", "driver", "openvswitch");
        let err = NetworkConfig::from_config(&config).unwrap_err().to_string();
        assert!(err.contains("[agent] driver"), "{err}");
    }
}
