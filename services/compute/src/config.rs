//! The compute service's options, with Nova's section and option names.

use std::time::Duration;

use ferrostack_api::{ServiceOptions, SERVICE_OPTS};
use ferrostack_auth::{AuthOptions, AUTHTOKEN_OPTS};
use ferrostack_config::{Config, ConfigError, Opt, Section};
use ferrostack_db::{DbOptions, DATABASE_OPTS};
use ferrostack_rpc::{MessagingConfig, MESSAGING_OPTS};

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

pub const REPORT_INTERVAL: Opt = Opt::new(
    "DEFAULT",
    "report_interval",
    "10",
    "Seconds between a role's heartbeats and an agent's resource reports.",
);
pub const COMPUTE_DRIVER: Opt = Opt::new(
    "DEFAULT",
    "compute_driver",
    "fake",
    "The agent's virtualization driver; its own options go in its section.",
);
pub const MY_IP: Opt = Opt::new(
    "DEFAULT",
    "my_ip",
    "127.0.0.1",
    "This host's IP address (a hypervisor's host_ip).",
);
pub const DEFAULT_AVAILABILITY_ZONE: Opt = Opt::new(
    "DEFAULT",
    "default_availability_zone",
    "nova",
    "The availability zone of compute hosts in no zone.",
);
pub const INTERNAL_SERVICE_AVAILABILITY_ZONE: Opt = Opt::new(
    "DEFAULT",
    "internal_service_availability_zone",
    "internal",
    "The availability zone os-services shows for services other than nova-compute.",
);

pub const CPU_ALLOCATION_RATIO: Opt = Opt::new(
    "DEFAULT",
    "cpu_allocation_ratio",
    "4.0",
    "Virtual CPUs per physical CPU the scheduler may place.",
);
pub const RAM_ALLOCATION_RATIO: Opt = Opt::new(
    "DEFAULT",
    "ram_allocation_ratio",
    "1.0",
    "Virtual RAM per physical RAM the scheduler may place.",
);
pub const DISK_ALLOCATION_RATIO: Opt = Opt::new(
    "DEFAULT",
    "disk_allocation_ratio",
    "1.0",
    "Virtual disk per physical disk the scheduler may place.",
);
pub const RESERVED_HOST_CPUS: Opt = Opt::new(
    "DEFAULT",
    "reserved_host_cpus",
    "0",
    "CPUs of each host kept from servers.",
);
pub const RESERVED_HOST_MEMORY_MB: Opt = Opt::new(
    "DEFAULT",
    "reserved_host_memory_mb",
    "512",
    "MiB of each host's memory kept from servers.",
);
pub const RESERVED_HOST_DISK_MB: Opt = Opt::new(
    "DEFAULT",
    "reserved_host_disk_mb",
    "0",
    "MiB of each host's disk kept from servers.",
);
pub const RAM_WEIGHT_MULTIPLIER: Opt = Opt::new(
    "filter_scheduler",
    "ram_weight_multiplier",
    "1.0",
    "Positive spreads servers over hosts by free RAM; negative packs them.",
);
pub const QUOTA_INSTANCES: Opt = Opt::new(
    "quota",
    "instances",
    "10",
    "Servers a project may have; -1 is unlimited.",
);
pub const QUOTA_CORES: Opt = Opt::new(
    "quota",
    "cores",
    "20",
    "vCPUs a project's servers may have; -1 is unlimited.",
);
pub const QUOTA_RAM: Opt = Opt::new(
    "quota",
    "ram",
    "51200",
    "MiB of RAM a project's servers may have; -1 is unlimited.",
);
pub const QUOTA_METADATA_ITEMS: Opt = Opt::new(
    "quota",
    "metadata_items",
    "128",
    "Metadata items a server may have; -1 is unlimited.",
);
pub const QUOTA_SERVER_GROUPS: Opt = Opt::new(
    "quota",
    "server_groups",
    "10",
    "Server groups a project may have; -1 is unlimited.",
);
pub const QUOTA_SERVER_GROUP_MEMBERS: Opt = Opt::new(
    "quota",
    "server_group_members",
    "10",
    "Servers a server group may have; -1 is unlimited.",
);
pub const QUOTA_INJECTED_FILES: Opt = Opt::new(
    "quota",
    "injected_files",
    "5",
    "Files a server may be given (before 2.57); -1 is unlimited.",
);
pub const QUOTA_INJECTED_FILE_CONTENT_BYTES: Opt = Opt::new(
    "quota",
    "injected_file_content_bytes",
    "10240",
    "Bytes of an injected file; -1 is unlimited.",
);
pub const QUOTA_INJECTED_FILE_PATH_LENGTH: Opt = Opt::new(
    "quota",
    "injected_file_path_length",
    "255",
    "Characters of an injected file's path; -1 is unlimited.",
);

pub const INSTANCE_BUILD_TIMEOUT: Opt = Opt::new(
    "DEFAULT",
    "instance_build_timeout",
    "600",
    "Seconds a server may stay building before it is put in ERROR; 0 never (Nova's default is 0).",
);

pub const VIF_PLUGGING_TIMEOUT: Opt = Opt::new(
    "DEFAULT",
    "vif_plugging_timeout",
    "300",
    "Seconds a build waits for the network service to report each new port plugged \
     (`network-vif-plugged`); 0 not at all.",
);

pub const VIF_PLUGGING_IS_FATAL: Opt = Opt::new(
    "DEFAULT",
    "vif_plugging_is_fatal",
    "true",
    "Whether a build whose ports are not reported plugged in time (or are reported failed) fails.",
);

pub const REIMAGE_TIMEOUT_PER_GB: Opt = Opt::new(
    "DEFAULT",
    "reimage_timeout_per_gb",
    "20",
    "Seconds per GiB of its root volume a volume-backed server's rebuild waits for block storage to reimage it.",
);

/// Each quota resource with the option of its default, in Nova's order.
pub const QUOTA_OPTS: &[(&str, Opt)] = &[
    ("instances", QUOTA_INSTANCES),
    ("cores", QUOTA_CORES),
    ("ram", QUOTA_RAM),
    ("metadata_items", QUOTA_METADATA_ITEMS),
    ("key_pairs", QUOTA_KEY_PAIRS),
    ("server_groups", QUOTA_SERVER_GROUPS),
    ("server_group_members", QUOTA_SERVER_GROUP_MEMBERS),
    ("injected_files", QUOTA_INJECTED_FILES),
    (
        "injected_file_content_bytes",
        QUOTA_INJECTED_FILE_CONTENT_BYTES,
    ),
    ("injected_file_path_bytes", QUOTA_INJECTED_FILE_PATH_LENGTH),
];

pub const GLANCE_API_SERVERS: Opt = Opt::new(
    "glance",
    "api_servers",
    "",
    "URLs of the image API; looked up in the catalog (type image, public) when unset.",
);
pub const GLANCE_TIMEOUT: Opt = Opt::new(
    "glance",
    "timeout",
    "60",
    "Seconds to wait for an answer of the image API.",
);

pub const CINDER_ENDPOINT_TEMPLATE: Opt = Opt::new(
    "cinder",
    "endpoint_template",
    "",
    "URL of the block-storage API, e.g. http://127.0.0.1:8776/v3/%(project_id)s; looked up in the catalog (type volumev3, public) when unset.",
);
pub const CINDER_TIMEOUT: Opt = Opt::new(
    "cinder",
    "timeout",
    "60",
    "Seconds to wait for an answer of the block-storage API.",
);

pub const NEUTRON_ENDPOINT_OVERRIDE: Opt = Opt::new(
    "neutron",
    "endpoint_override",
    "",
    "URL of the network API, e.g. http://127.0.0.1:9696; looked up in the catalog (type network, public) when unset.",
);
pub const NEUTRON_DEFAULT_FLOATING_POOL: Opt = Opt::new(
    "neutron",
    "default_floating_pool",
    "nova",
    "Name or id of the external network `POST /os-floating-ips` allocates from when the request names no pool.",
);
pub const NEUTRON_TIMEOUT: Opt = Opt::new(
    "neutron",
    "timeout",
    "60",
    "Seconds to wait for an answer of the network API.",
);

pub const RECLAIM_INSTANCE_INTERVAL: Opt = Opt::new(
    "DEFAULT",
    "reclaim_instance_interval",
    "0",
    "Seconds a deleted server stays SOFT_DELETED (restorable) before it is reclaimed; 0 deletes at once.",
);
pub const ALLOW_RESIZE_TO_SAME_HOST: Opt = Opt::new(
    "DEFAULT",
    "allow_resize_to_same_host",
    "false",
    "Whether a resize may keep a server on its host (a one-host cloud needs it).",
);
pub const SHELVED_OFFLOAD_TIME: Opt = Opt::new(
    "DEFAULT",
    "shelved_offload_time",
    "0",
    "Seconds a shelved server keeps its host: 0 offloads at once, -1 never (other values are not supported).",
);

pub const CONSOLE_TOKEN_TTL: Opt = Opt::new(
    "consoleauth",
    "token_ttl",
    "600",
    "Seconds a remote console's token stays valid.",
);

/// Every option this service reads besides the shared sections.
pub const OPTS: &[Opt] = &[
    MAX_LIMIT,
    QUOTA_KEY_PAIRS,
    SERVICE_DOWN_TIME,
    REPORT_INTERVAL,
    COMPUTE_DRIVER,
    MY_IP,
    DEFAULT_AVAILABILITY_ZONE,
    INTERNAL_SERVICE_AVAILABILITY_ZONE,
    CPU_ALLOCATION_RATIO,
    RAM_ALLOCATION_RATIO,
    DISK_ALLOCATION_RATIO,
    RESERVED_HOST_CPUS,
    RESERVED_HOST_MEMORY_MB,
    RESERVED_HOST_DISK_MB,
    RAM_WEIGHT_MULTIPLIER,
    QUOTA_INSTANCES,
    QUOTA_CORES,
    QUOTA_RAM,
    QUOTA_METADATA_ITEMS,
    QUOTA_SERVER_GROUPS,
    QUOTA_SERVER_GROUP_MEMBERS,
    QUOTA_INJECTED_FILES,
    QUOTA_INJECTED_FILE_CONTENT_BYTES,
    QUOTA_INJECTED_FILE_PATH_LENGTH,
    GLANCE_API_SERVERS,
    GLANCE_TIMEOUT,
    CINDER_ENDPOINT_TEMPLATE,
    CINDER_TIMEOUT,
    NEUTRON_ENDPOINT_OVERRIDE,
    NEUTRON_TIMEOUT,
    NEUTRON_DEFAULT_FLOATING_POOL,
    SHELVED_OFFLOAD_TIME,
    ALLOW_RESIZE_TO_SAME_HOST,
    RECLAIM_INSTANCE_INTERVAL,
    INSTANCE_BUILD_TIMEOUT,
    CONSOLE_TOKEN_TTL,
    REIMAGE_TIMEOUT_PER_GB,
    VIF_PLUGGING_TIMEOUT,
    VIF_PLUGGING_IS_FATAL,
];

/// Settings resolved and validated at start.
#[derive(Clone)]
pub struct ComputeConfig {
    pub service: ServiceOptions,
    pub database: DbOptions,
    pub messaging: MessagingConfig,
    pub auth: Option<AuthOptions>,
    pub max_limit: usize,
    pub service_down_time: Duration,
    pub report_interval: Duration,
    /// The agent role's hosts, each with its driver configured from the
    /// driver's section: this host, or `<host>-1` ... `<host>-N` when the fake
    /// driver simulates N hosts (`[fake] hosts`).
    pub agents: Vec<(String, std::sync::Arc<dyn crate::agent::Driver>)>,
    pub my_ip: String,
    pub default_zone: String,
    pub internal_zone: String,
    /// What the scheduler may place on each host.
    pub capacity: crate::scheduler::Capacity,
    /// How long a build may take before it is failed (`None`: forever).
    pub instance_build_timeout: Option<Duration>,
    /// How long a volume-backed rebuild waits per GiB of its root volume.
    pub reimage_timeout_per_gb: Duration,
    /// How long a build waits for its ports to be plugged (`None`: not at
    /// all), and whether it fails when they are not.
    pub vif_plugging: crate::agent::VifPlugging,
    /// Each quota resource's default limit (-1: none), by Nova's key.
    pub quota_defaults: std::collections::BTreeMap<&'static str, i64>,
    /// The image API's URLs (else the catalog's) and how long to wait on it.
    pub glance_api_servers: Vec<String>,
    pub glance_timeouts: ferrostack_auth::service_http::Timeouts,
    /// The block-storage API's URL (else the catalog's) and how long to wait on it.
    pub cinder_endpoint: Option<String>,
    pub cinder_timeouts: ferrostack_auth::service_http::Timeouts,
    /// The network API's URL (else the catalog's) and how long to wait on it.
    pub neutron_endpoint: Option<String>,
    pub neutron_timeouts: ferrostack_auth::service_http::Timeouts,
    /// The external network floating IPs come from when none is named.
    pub default_floating_pool: String,
    /// Whether a shelved server leaves its host at once (`shelved_offload_time` 0).
    pub offload_shelved: bool,
    pub allow_resize_to_same_host: bool,
    /// How long deleted servers stay restorable (`None`: deletes are immediate).
    pub reclaim_instance_interval: Option<Duration>,
    /// The remote consoles an agent offers.
    pub consoles: crate::agent::ConsoleOptions,
    /// How long a console token stays valid (`[consoleauth] token_ttl`).
    pub console_token_ttl: Duration,
}

impl std::fmt::Debug for ComputeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComputeConfig")
            .field("service", &self.service)
            .field("database", &self.database)
            .field("default_zone", &self.default_zone)
            .finish_non_exhaustive()
    }
}

impl ComputeConfig {
    /// Resolves every option, failing with the option's name on a bad value.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let service = ServiceOptions::from_config(config, DEFAULT_PORT)?;
        let driver_name = config.get_string(&COMPUTE_DRIVER);
        let section = Section {
            config,
            name: &driver_name,
            state_path: &service.state_path,
        };
        let (driver, driver_opts) =
            crate::agent::DRIVERS.configure(&driver_name, &section, &COMPUTE_DRIVER)?;
        let simulated: usize = if driver_name == "fake" {
            config.get_parsed(&crate::agent::FAKE_HOSTS)?
        } else {
            1
        };
        let agents = if simulated <= 1 {
            vec![(service.host.clone(), driver)]
        } else {
            (1..=simulated)
                .map(|i| {
                    let (driver, _) =
                        crate::agent::DRIVERS.configure(&driver_name, &section, &COMPUTE_DRIVER)?;
                    Ok((format!("{}-{i}", service.host), driver))
                })
                .collect::<Result<_, ConfigError>>()?
        };
        config.check(&[
            SERVICE_OPTS,
            OPTS,
            DATABASE_OPTS,
            MESSAGING_OPTS,
            AUTHTOKEN_OPTS,
            &driver_opts,
            crate::agent::CONSOLE_OPTS,
        ]);
        Ok(ComputeConfig {
            database: DbOptions::from_config(
                config,
                &format!("sqlite://{}/compute.db", service.state_path.display()),
            )?,
            auth: if config.get(&AUTHTOKEN_OPTS[1]).is_some() {
                Some(AuthOptions::from_config(config, &["compute"])?)
            } else {
                None
            },
            max_limit: config.get_parsed(&MAX_LIMIT)?,
            service_down_time: Duration::from_secs(config.get_parsed(&SERVICE_DOWN_TIME)?),
            messaging: MessagingConfig::from_config(config, "nova")?,
            report_interval: Duration::from_secs(
                config.get_parsed::<u64>(&REPORT_INTERVAL)?.max(1),
            ),
            agents,
            my_ip: config.get_string(&MY_IP),
            default_zone: config.get_string(&DEFAULT_AVAILABILITY_ZONE),
            internal_zone: config.get_string(&INTERNAL_SERVICE_AVAILABILITY_ZONE),
            capacity: crate::scheduler::Capacity {
                cpu_ratio: config.get_parsed(&CPU_ALLOCATION_RATIO)?,
                ram_ratio: config.get_parsed(&RAM_ALLOCATION_RATIO)?,
                disk_ratio: config.get_parsed(&DISK_ALLOCATION_RATIO)?,
                reserved_cpus: config.get_parsed(&RESERVED_HOST_CPUS)?,
                reserved_memory_mb: config.get_parsed(&RESERVED_HOST_MEMORY_MB)?,
                reserved_disk_gb: config.get_parsed::<i64>(&RESERVED_HOST_DISK_MB)? / 1024,
                ram_weight_multiplier: config.get_parsed(&RAM_WEIGHT_MULTIPLIER)?,
            },
            instance_build_timeout: match config.get_parsed::<u64>(&INSTANCE_BUILD_TIMEOUT)? {
                0 => None,
                seconds => Some(Duration::from_secs(seconds)),
            },
            reimage_timeout_per_gb: Duration::from_secs(
                config.get_parsed::<u64>(&REIMAGE_TIMEOUT_PER_GB)?.max(1),
            ),
            vif_plugging: crate::agent::VifPlugging {
                timeout: match config.get_parsed::<u64>(&VIF_PLUGGING_TIMEOUT)? {
                    0 => None,
                    seconds => Some(Duration::from_secs(seconds)),
                },
                fatal: config.get_bool(&VIF_PLUGGING_IS_FATAL)?,
            },
            quota_defaults: QUOTA_OPTS
                .iter()
                .map(|(key, opt)| Ok((*key, config.get_parsed::<i64>(opt)?)))
                .collect::<Result<_, ConfigError>>()?,
            glance_api_servers: config
                .get_list(&GLANCE_API_SERVERS)
                .into_iter()
                .map(|url| url.trim_end_matches('/').to_string())
                .collect(),
            glance_timeouts: ferrostack_auth::service_http::Timeouts {
                connect: Duration::from_secs(10),
                read: Duration::from_secs(config.get_parsed(&GLANCE_TIMEOUT)?),
            },
            reclaim_instance_interval: match config.get_parsed::<u64>(&RECLAIM_INSTANCE_INTERVAL)? {
                0 => None,
                seconds => Some(Duration::from_secs(seconds)),
            },
            allow_resize_to_same_host: config.get_bool(&ALLOW_RESIZE_TO_SAME_HOST)?,
            consoles: crate::agent::ConsoleOptions::from_config(config)?,
            console_token_ttl: Duration::from_secs(config.get_parsed(&CONSOLE_TOKEN_TTL)?),
            offload_shelved: match config.get_parsed::<i64>(&SHELVED_OFFLOAD_TIME)? {
                0 => true,
                -1 => false,
                other => {
                    return Err(ConfigError::invalid(
                        &SHELVED_OFFLOAD_TIME,
                        format!("{other}: only 0 (offload at once) and -1 (never) are supported"),
                    ))
                }
            },
            cinder_endpoint: Some(config.get_string(&CINDER_ENDPOINT_TEMPLATE))
                .filter(|url| !url.is_empty())
                .map(|url| url.trim_end_matches('/').to_string()),
            cinder_timeouts: ferrostack_auth::service_http::Timeouts {
                connect: Duration::from_secs(10),
                read: Duration::from_secs(config.get_parsed(&CINDER_TIMEOUT)?),
            },
            neutron_endpoint: Some(config.get_string(&NEUTRON_ENDPOINT_OVERRIDE))
                .filter(|url| !url.is_empty())
                .map(|url| url.trim_end_matches('/').to_string()),
            neutron_timeouts: ferrostack_auth::service_http::Timeouts {
                connect: Duration::from_secs(10),
                read: Duration::from_secs(config.get_parsed(&NEUTRON_TIMEOUT)?),
            },
            default_floating_pool: config.get_string(&NEUTRON_DEFAULT_FLOATING_POOL),
            service,
        })
    }
}
