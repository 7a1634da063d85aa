//! The `linux` data plane's options, with the names of Neutron's Linux
//! bridge agent (`[vxlan]`, `[linux_bridge]`).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use ferrostack_config::{Config, ConfigError, Opt};

const ENABLE_VXLAN: Opt = Opt::new(
    "vxlan",
    "enable_vxlan",
    "true",
    "Whether this host wires vxlan networks.",
);
const LOCAL_IP: Opt = Opt::new(
    "vxlan",
    "local_ip",
    "",
    "This host's address VXLAN tunnels leave from (needed to wire vxlan networks).",
);
const VXLAN_GROUP: Opt = Opt::new(
    "vxlan",
    "vxlan_group",
    "224.0.0.1",
    "Multicast group VXLAN floods go to when l2_population is off (other hosts' tunnels \
     are found through it); empty for none (one host).",
);
const L2_POPULATION: Opt = Opt::new(
    "vxlan",
    "l2_population",
    "true",
    "Whether vxlan networks flood to the tunnel endpoints the server names (the other \
     hosts of each network) rather than to `vxlan_group`.",
);
const UDP_DSTPORT: Opt = Opt::new(
    "vxlan",
    "udp_dstport",
    "",
    "UDP port of VXLAN traffic; empty for the kernel's default (8472), 4789 for IANA's.",
);
const PHYSICAL_INTERFACE_MAPPINGS: Opt = Opt::new(
    "linux_bridge",
    "physical_interface_mappings",
    "",
    "physical_network:interface pairs: the interface each flat network is wired onto.",
);
const ENABLE_SECURITY_GROUP: Opt = Opt::new(
    "securitygroup",
    "enable_security_group",
    "true",
    "Whether this host filters its ports by their security groups (with bridge netfilter).",
);
const POLLING_INTERVAL: Opt = Opt::new(
    "agent",
    "polling_interval",
    "2",
    "Seconds between looks for the devices of ports whose device was not there yet.",
);

/// The options above, for the configuration check.
pub const LINUX_OPTS: &[Opt] = &[
    ENABLE_VXLAN,
    LOCAL_IP,
    VXLAN_GROUP,
    L2_POPULATION,
    UDP_DSTPORT,
    PHYSICAL_INTERFACE_MAPPINGS,
    ENABLE_SECURITY_GROUP,
    POLLING_INTERVAL,
];

/// How the `linux` data plane wires this host.
#[derive(Debug, Clone, PartialEq)]
pub struct LinuxOptions {
    pub enable_vxlan: bool,
    pub local_ip: Option<IpAddr>,
    pub vxlan_group: Option<Ipv4Addr>,
    pub l2_population: bool,
    pub udp_dstport: Option<u16>,
    /// Physical network → interface.
    pub interface_mappings: BTreeMap<String, String>,
    pub enable_security_group: bool,
    pub polling_interval: std::time::Duration,
}

impl LinuxOptions {
    /// Resolves the options, failing with the option's name on a bad value.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let vxlan_group: Option<Ipv4Addr> = optional(config, &VXLAN_GROUP)?;
        if vxlan_group.is_some_and(|g| !g.is_multicast()) {
            return Err(ConfigError::invalid(
                &VXLAN_GROUP,
                "not a multicast address".to_string(),
            ));
        }
        let mut interface_mappings = BTreeMap::new();
        for pair in config.get_list(&PHYSICAL_INTERFACE_MAPPINGS) {
            let valid = pair
                .split_once(':')
                .filter(|(net, dev)| !net.is_empty() && valid_device_name(dev));
            let Some((net, dev)) = valid else {
                return Err(ConfigError::invalid(
                    &PHYSICAL_INTERFACE_MAPPINGS,
                    format!("'{pair}' is not physical_network:interface"),
                ));
            };
            interface_mappings.insert(net.to_string(), dev.to_string());
        }
        Ok(LinuxOptions {
            enable_vxlan: config.get_bool(&ENABLE_VXLAN)?,
            local_ip: optional(config, &LOCAL_IP)?,
            vxlan_group,
            l2_population: config.get_bool(&L2_POPULATION)?,
            udp_dstport: optional(config, &UDP_DSTPORT)?,
            interface_mappings,
            enable_security_group: config.get_bool(&ENABLE_SECURITY_GROUP)?,
            polling_interval: std::time::Duration::from_secs(
                config.get_parsed::<u64>(&POLLING_INTERVAL)?.max(1),
            ),
        })
    }
}

/// An option's parsed value, `None` when it is empty.
fn optional<T>(config: &Config, opt: &Opt) -> Result<Option<T>, ConfigError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    config.get(opt).map(|_| config.get_parsed(opt)).transpose()
}

/// A Linux interface name: 1 to 15 characters, no `/`, blank or `:`.
pub fn valid_device_name(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '/' | ':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_resolve_to_upstream_s() {
        let opts = LinuxOptions::from_config(&Config::default()).unwrap();
        assert!(opts.enable_vxlan);
        assert_eq!(opts.local_ip, None);
        assert_eq!(opts.vxlan_group, Some(Ipv4Addr::new(224, 0, 0, 1)));
        assert!(opts.l2_population);
        assert_eq!(opts.udp_dstport, None);
        assert!(opts.interface_mappings.is_empty());
    }

    #[test]
    fn bad_values_name_their_option() {
        for (section, option, value) in [
            ("vxlan", "local_ip", "10.0.0"),
            ("vxlan", "vxlan_group", "10.0.0.1"),
            ("vxlan", "udp_dstport", "70000"),
            ("vxlan", "l2_population", "maybe"),
            ("linux_bridge", "physical_interface_mappings", "physnet1"),
            ("linux_bridge", "physical_interface_mappings", "p:a/b"),
            (
                "linux_bridge",
                "physical_interface_mappings",
                "p:waytoolongdevicename",
            ),
        ] {
            let mut config = Config::default();
            config.set(section, option, value);
            let err = LinuxOptions::from_config(&config).unwrap_err().to_string();
            assert!(err.contains(option), "{option}={value}: {err}");
        }
    }

    #[test]
    fn mappings_and_addresses_parse() {
        let mut config = Config::default();
        config.set("vxlan", "local_ip", "192.0.2.7");
        config.set("vxlan", "vxlan_group", "");
        config.set("vxlan", "udp_dstport", "4789");
        config.set(
            "linux_bridge",
            "physical_interface_mappings",
            "physnet1:eth1, public:br-ex",
        );
        let opts = LinuxOptions::from_config(&config).unwrap();
        assert_eq!(opts.local_ip, Some("192.0.2.7".parse().unwrap()));
        assert_eq!(opts.vxlan_group, None);
        assert_eq!(opts.udp_dstport, Some(4789));
        assert_eq!(opts.interface_mappings["public"], "br-ex");
    }
}
