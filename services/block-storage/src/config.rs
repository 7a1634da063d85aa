//! The block-storage service's options, with Cinder's section and option names:
//! `[DEFAULT] enabled_backends = file-1, file-2`, then one section per backend
//! (`[file-1] volume_driver = file`, `volume_backend_name = ...`).

use std::path::PathBuf;
use std::time::Duration;

use ferrostack_api::{ServiceOptions, SERVICE_OPTS};
use ferrostack_auth::{AuthOptions, AUTHTOKEN_OPTS};
use ferrostack_config::{Config, ConfigError, Opt, Section};
use ferrostack_db::{DbOptions, DATABASE_OPTS};
use ferrostack_rpc::{MessagingConfig, MESSAGING_OPTS};

use crate::backup::repository::{Compression, Repository};

/// Cinder's port.
pub const DEFAULT_PORT: u16 = 8776;

pub const ENABLED_BACKENDS: Opt = Opt::new(
    "DEFAULT",
    "enabled_backends",
    "file",
    "Backend sections this volume role serves.",
);
pub const STORAGE_AVAILABILITY_ZONE: Opt = Opt::new(
    "DEFAULT",
    "storage_availability_zone",
    "nova",
    "Availability zone of this volume role's backends.",
);
pub const DEFAULT_AVAILABILITY_ZONE: Opt = Opt::new(
    "DEFAULT",
    "default_availability_zone",
    "",
    "Zone of volumes created without one; storage_availability_zone when unset.",
);
pub const REPORT_INTERVAL: Opt = Opt::new(
    "DEFAULT",
    "report_interval",
    "10",
    "Seconds between a role's heartbeats and capability reports.",
);
pub const SERVICE_DOWN_TIME: Opt = Opt::new(
    "DEFAULT",
    "service_down_time",
    "60",
    "Seconds without a heartbeat after which a service is down.",
);
pub const OSAPI_MAX_LIMIT: Opt = Opt::new(
    "DEFAULT",
    "osapi_max_limit",
    "1000",
    "Most items a list returns.",
);

pub const QUOTA_VOLUMES: Opt = Opt::new(
    "DEFAULT",
    "quota_volumes",
    "10",
    "Volumes a project may have.",
);
pub const QUOTA_SNAPSHOTS: Opt = Opt::new(
    "DEFAULT",
    "quota_snapshots",
    "10",
    "Snapshots a project may have.",
);
pub const QUOTA_GIGABYTES: Opt = Opt::new(
    "DEFAULT",
    "quota_gigabytes",
    "1000",
    "GiB of volumes and snapshots a project may have.",
);
pub const QUOTA_BACKUPS: Opt = Opt::new(
    "DEFAULT",
    "quota_backups",
    "10",
    "Backups a project may have.",
);
pub const QUOTA_BACKUP_GIGABYTES: Opt = Opt::new(
    "DEFAULT",
    "quota_backup_gigabytes",
    "1000",
    "GiB of backups a project may have.",
);
pub const QUOTA_GROUPS: Opt = Opt::new(
    "DEFAULT",
    "quota_groups",
    "10",
    "Volume groups a project may have (listed in quota sets; groups are not served yet).",
);
pub const PER_VOLUME_SIZE_LIMIT: Opt = Opt::new(
    "DEFAULT",
    "per_volume_size_limit",
    "-1",
    "Largest volume in GiB; -1 is unlimited.",
);

pub const STUCK_TIMEOUT: Opt = Opt::new(
    "DEFAULT",
    "stuck_operation_timeout",
    "300",
    "Seconds without a keepalive after which a working volume or snapshot operation is ended (failed, or back to available/in-use).",
);

pub const MESSAGE_TTL: Opt = Opt::new(
    "DEFAULT",
    "message_ttl",
    "2592000",
    "Seconds user messages are kept.",
);

pub const IMAGE_CONVERSION_DIR: Opt = Opt::new(
    "DEFAULT",
    "image_conversion_dir",
    "",
    "Scratch directory of image downloads and uploads; <state_path>/conversion when unset.",
);
pub const GLANCE_API_SERVERS: Opt = Opt::new(
    "DEFAULT",
    "glance_api_servers",
    "",
    "URLs of the image API; looked up in the catalog (glance_catalog_info) when unset.",
);
pub const GLANCE_CATALOG_INFO: Opt = Opt::new(
    "DEFAULT",
    "glance_catalog_info",
    "image:glance:publicURL",
    "<service_type>:<service_name>:<endpoint_type> of the image API in the catalog.",
);
pub const GLANCE_REQUEST_TIMEOUT: Opt = Opt::new(
    "DEFAULT",
    "glance_request_timeout",
    "60",
    "Seconds the image API may stay silent during a request (downloads included).",
);
pub const ENABLE_FORCE_UPLOAD: Opt = Opt::new(
    "DEFAULT",
    "enable_force_upload",
    "false",
    "Whether os-volume_upload_image may upload an in-use volume with force.",
);

pub const BACKUP_DRIVER: Opt = Opt::new(
    "DEFAULT",
    "backup_driver",
    POSIX_BACKUP_DRIVER,
    "Driver of the backup role's repository (the posix driver: a local or mounted directory).",
);
pub const BACKUP_POSIX_PATH: Opt = Opt::new(
    "DEFAULT",
    "backup_posix_path",
    "",
    "Directory of the backup repository; <state_path>/backup when unset.",
);
pub const BACKUP_FILE_SIZE: Opt = Opt::new(
    "DEFAULT",
    "backup_file_size",
    "1999994880",
    "Most bytes of a volume in one backup object.",
);
pub const BACKUP_SHA_BLOCK_SIZE_BYTES: Opt = Opt::new(
    "DEFAULT",
    "backup_sha_block_size_bytes",
    "32768",
    "Bytes per checksummed block; incremental backups store the blocks that changed.",
);
pub const BACKUP_COMPRESSION_ALGORITHM: Opt = Opt::new(
    "DEFAULT",
    "backup_compression_algorithm",
    "zlib",
    "Compression of backup objects: zlib or none.",
);

/// What export records name as the backup service (Cinder's driver class).
pub const POSIX_BACKUP_DRIVER: &str = "cinder.backup.drivers.posix.PosixBackupDriver";

/// Options of one backend's section.
pub const VOLUME_DRIVER: Opt = Opt::new(
    "",
    "volume_driver",
    "file",
    "The backend's driver (file, iscsi); its own options go in the same section.",
);
pub const VOLUME_BACKEND_NAME: Opt = Opt::new(
    "",
    "volume_backend_name",
    "",
    "Name volume types select with the volume_backend_name extra spec; the section name when unset.",
);
pub const FILE_VOLUME_DIR: Opt = Opt::new(
    "",
    "file_volume_dir",
    "",
    "Directory of a file backend's volumes; <state_path>/volumes/<backend> when unset.",
);
pub const MAX_OVER_SUBSCRIPTION_RATIO: Opt = Opt::new(
    "",
    "max_over_subscription_ratio",
    "20.0",
    "How many times its real capacity a thin backend may provision (a number >= 1.0).",
);
pub const RESERVED_PERCENTAGE: Opt = Opt::new(
    "",
    "reserved_percentage",
    "0",
    "Percentage of the backend's capacity the scheduler never places volumes in (0-100).",
);
/// Every backend's options (its driver has its own besides).
const BACKEND_OPTS: &[Opt] = &[
    VOLUME_DRIVER,
    VOLUME_BACKEND_NAME,
    FILE_VOLUME_DIR,
    MAX_OVER_SUBSCRIPTION_RATIO,
    RESERVED_PERCENTAGE,
];

/// Every fixed-section option.
pub const OPTS: &[Opt] = &[
    ENABLED_BACKENDS,
    STORAGE_AVAILABILITY_ZONE,
    DEFAULT_AVAILABILITY_ZONE,
    REPORT_INTERVAL,
    SERVICE_DOWN_TIME,
    OSAPI_MAX_LIMIT,
    QUOTA_VOLUMES,
    QUOTA_SNAPSHOTS,
    QUOTA_GIGABYTES,
    QUOTA_BACKUPS,
    QUOTA_BACKUP_GIGABYTES,
    QUOTA_GROUPS,
    PER_VOLUME_SIZE_LIMIT,
    STUCK_TIMEOUT,
    MESSAGE_TTL,
    IMAGE_CONVERSION_DIR,
    GLANCE_API_SERVERS,
    GLANCE_REQUEST_TIMEOUT,
    GLANCE_CATALOG_INFO,
    ENABLE_FORCE_UPLOAD,
    BACKUP_DRIVER,
    BACKUP_POSIX_PATH,
    BACKUP_FILE_SIZE,
    BACKUP_SHA_BLOCK_SIZE_BYTES,
    BACKUP_COMPRESSION_ALGORITHM,
];

/// One configured backend.
#[derive(Debug, Clone)]
pub struct BackendConfig {
    /// The section name: the `backend` of `host@backend`.
    pub name: String,
    pub backend_name: String,
    /// Its driver, configured from the section.
    pub driver: std::sync::Arc<dyn crate::volume::DriverFactory>,
    pub dir: PathBuf,
    /// How far thin provisioning may exceed the real capacity.
    pub max_over_subscription_ratio: f64,
    /// The share of capacity (percent) kept free.
    pub reserved_percentage: i32,
}

/// `max_over_subscription_ratio` of `section`: a finite number of at least 1.
fn over_subscription_ratio(section: &Section) -> Result<f64, ConfigError> {
    let text = section.get_string(&MAX_OVER_SUBSCRIPTION_RATIO);
    match text.trim().parse::<f64>() {
        Ok(ratio) if ratio.is_finite() && ratio >= 1.0 => Ok(ratio),
        _ => Err(section.invalid(
            &MAX_OVER_SUBSCRIPTION_RATIO,
            format!("'{text}' is not a number >= 1.0 ('auto' is not supported)"),
        )),
    }
}

/// `reserved_percentage` of `section`: 0 to 100.
fn reserved_percentage(section: &Section) -> Result<i32, ConfigError> {
    let text = section.get_string(&RESERVED_PERCENTAGE);
    match text.trim().parse::<i32>() {
        Ok(percent) if (0..=100).contains(&percent) => Ok(percent),
        _ => Err(section.invalid(
            &RESERVED_PERCENTAGE,
            format!("'{text}' is not a whole number from 0 to 100"),
        )),
    }
}

/// Settings resolved and validated at start.
#[derive(Debug, Clone)]
pub struct BlockStorageConfig {
    pub service: ServiceOptions,
    pub database: DbOptions,
    pub messaging: MessagingConfig,
    pub auth: Option<AuthOptions>,
    pub backends: Vec<BackendConfig>,
    pub storage_zone: String,
    pub default_zone: String,
    pub report_interval: Duration,
    pub service_down_time: Duration,
    pub max_limit: usize,
    /// Default quotas of the project-wide resources (per-type ones default to -1).
    pub quota_defaults: [(&'static str, i64); 7],
    pub stuck_timeout: Duration,
    /// How long user messages are kept (`message_ttl`).
    pub message_ttl: Duration,
    pub image_conversion_dir: PathBuf,
    /// Configured image API URLs; empty to use the catalog.
    pub glance_api_servers: Vec<String>,
    /// The catalog's image service type and interface.
    pub glance_catalog: (String, String),
    /// Timeouts of requests to the image API.
    pub glance_timeouts: ferrostack_auth::service_http::Timeouts,
    pub enable_force_upload: bool,
    /// The backup role's repository.
    pub backup: Repository,
}

/// The posix backup repository the options describe.
fn backup_repository(config: &Config, state: &std::path::Path) -> Result<Repository, ConfigError> {
    let driver = config.get_string(&BACKUP_DRIVER);
    if !matches!(
        driver.as_str(),
        POSIX_BACKUP_DRIVER | "cinder.backup.drivers.posix" | "posix"
    ) {
        return Err(ConfigError::invalid(
            &BACKUP_DRIVER,
            format!("'{driver}' is not a backup driver here (the posix driver is: {POSIX_BACKUP_DRIVER})"),
        ));
    }
    let text = config.get_string(&BACKUP_COMPRESSION_ALGORITHM);
    let compression = Compression::parse(&text).ok_or_else(|| {
        ConfigError::invalid(
            &BACKUP_COMPRESSION_ALGORITHM,
            format!("'{text}' is not zlib or none"),
        )
    })?;
    let block_size: u64 = config.get_parsed(&BACKUP_SHA_BLOCK_SIZE_BYTES)?;
    let object_size: u64 = config.get_parsed(&BACKUP_FILE_SIZE)?;
    if block_size < 512 || object_size < block_size {
        return Err(ConfigError::invalid(
            &BACKUP_FILE_SIZE,
            format!("backup_file_size ({object_size}) must be at least backup_sha_block_size_bytes ({block_size}), which must be at least 512"),
        ));
    }
    Ok(Repository {
        root: config
            .get(&BACKUP_POSIX_PATH)
            .map(PathBuf::from)
            .unwrap_or_else(|| state.join("backup")),
        block_size,
        object_size,
        compression,
    })
}

/// `image:glance:publicURL` → (`image`, `public`).
fn catalog_info(config: &Config) -> Result<(String, String), ConfigError> {
    let text = config.get_string(&GLANCE_CATALOG_INFO);
    let parts: Vec<&str> = text.split(':').collect();
    let interface = match parts.as_slice() {
        [kind, _, endpoint] if !kind.is_empty() => match *endpoint {
            "publicURL" | "public" => "public",
            "internalURL" | "internal" => "internal",
            "adminURL" | "admin" => "admin",
            _ => "",
        },
        _ => "",
    };
    if interface.is_empty() {
        return Err(ConfigError::invalid(
            &GLANCE_CATALOG_INFO,
            format!("'{text}' is not <service_type>:<service_name>:<endpoint_type>"),
        ));
    }
    Ok((parts[0].to_string(), interface.to_string()))
}

impl BlockStorageConfig {
    /// Resolves every option, failing with the option's name on a bad value.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let service = ServiceOptions::from_config(config, DEFAULT_PORT)?;
        let state = service.state_path.clone();
        let mut backends = Vec::new();
        let mut known_backend_opts = Vec::new();
        for name in config.get_list(&ENABLED_BACKENDS) {
            let section = Section {
                config,
                name: &name,
                state_path: &state,
            };
            let (driver, driver_opts) = crate::volume::DRIVERS.configure(
                &section.get_string(&VOLUME_DRIVER),
                &section,
                &section.opt(&VOLUME_DRIVER),
            )?;
            known_backend_opts.push(
                BACKEND_OPTS
                    .iter()
                    .map(|o| section.opt(o))
                    .chain(driver_opts)
                    .collect::<Vec<_>>(),
            );
            backends.push(BackendConfig {
                backend_name: section
                    .get(&VOLUME_BACKEND_NAME)
                    .map(str::to_string)
                    .unwrap_or_else(|| name.clone()),
                driver,
                dir: section
                    .get(&FILE_VOLUME_DIR)
                    .map(PathBuf::from)
                    .unwrap_or_else(|| state.join("volumes").join(&name)),
                max_over_subscription_ratio: over_subscription_ratio(&section)?,
                reserved_percentage: reserved_percentage(&section)?,
                name,
            });
        }
        let mut known: Vec<&[Opt]> = vec![
            SERVICE_OPTS,
            OPTS,
            DATABASE_OPTS,
            MESSAGING_OPTS,
            AUTHTOKEN_OPTS,
        ];
        known.extend(known_backend_opts.iter().map(Vec::as_slice));
        config.check(&known);
        let storage_zone = config.get_string(&STORAGE_AVAILABILITY_ZONE);
        Ok(BlockStorageConfig {
            database: DbOptions::from_config(
                config,
                &format!("sqlite://{}/block-storage.db", state.display()),
            )?,
            messaging: MessagingConfig::from_config(config, "cinder")?,
            auth: if config.get(&AUTHTOKEN_OPTS[1]).is_some() {
                Some(AuthOptions::from_config(
                    config,
                    &["block-storage", "volumev3", "volume"],
                )?)
            } else {
                None
            },
            backends,
            default_zone: config
                .get(&DEFAULT_AVAILABILITY_ZONE)
                .map(str::to_string)
                .unwrap_or_else(|| storage_zone.clone()),
            storage_zone,
            report_interval: Duration::from_secs(
                config.get_parsed::<u64>(&REPORT_INTERVAL)?.max(1),
            ),
            service_down_time: Duration::from_secs(config.get_parsed(&SERVICE_DOWN_TIME)?),
            max_limit: config.get_parsed(&OSAPI_MAX_LIMIT)?,
            stuck_timeout: Duration::from_secs(config.get_parsed(&STUCK_TIMEOUT)?),
            message_ttl: Duration::from_secs(config.get_parsed(&MESSAGE_TTL)?),
            image_conversion_dir: config
                .get(&IMAGE_CONVERSION_DIR)
                .map(PathBuf::from)
                .unwrap_or_else(|| state.join("conversion")),
            glance_api_servers: config
                .get_list(&GLANCE_API_SERVERS)
                .into_iter()
                .map(|url| url.trim_end_matches('/').to_string())
                .collect(),
            glance_catalog: catalog_info(config)?,
            glance_timeouts: ferrostack_auth::service_http::Timeouts {
                connect: Duration::from_secs(10),
                read: Duration::from_secs(config.get_parsed(&GLANCE_REQUEST_TIMEOUT)?),
            },
            enable_force_upload: config.get_bool(&ENABLE_FORCE_UPLOAD)?,
            backup: backup_repository(config, &state)?,
            quota_defaults: [
                ("volumes", config.get_parsed(&QUOTA_VOLUMES)?),
                ("snapshots", config.get_parsed(&QUOTA_SNAPSHOTS)?),
                ("gigabytes", config.get_parsed(&QUOTA_GIGABYTES)?),
                ("backups", config.get_parsed(&QUOTA_BACKUPS)?),
                (
                    "backup_gigabytes",
                    config.get_parsed(&QUOTA_BACKUP_GIGABYTES)?,
                ),
                ("groups", config.get_parsed(&QUOTA_GROUPS)?),
                (
                    "per_volume_gigabytes",
                    config.get_parsed(&PER_VOLUME_SIZE_LIMIT)?,
                ),
            ],
            service,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_from_sections() {
        let mut config = Config::default();
        config.set("DEFAULT", "state_path", "/srv/ferro");
        config.set("DEFAULT", "enabled_backends", "gold, silver");
        config.set("gold", "volume_backend_name", "fast");
        config.set("silver", "volume_format", "qcow2");
        let cfg = BlockStorageConfig::from_config(&config).unwrap();
        assert_eq!(cfg.service.bind.port(), 8776);
        assert_eq!(cfg.backends[0].backend_name, "fast");
        assert_eq!(cfg.backends[1].backend_name, "silver");
        assert_eq!(
            cfg.backends[1].dir,
            PathBuf::from("/srv/ferro/volumes/silver")
        );
        assert_eq!(cfg.default_zone, "nova");
        assert_eq!(cfg.backends[0].max_over_subscription_ratio, 20.0);
        assert_eq!(cfg.backends[0].reserved_percentage, 0);
        config.set("silver", "max_over_subscription_ratio", "1.5");
        config.set("silver", "reserved_percentage", "10");
        let cfg = BlockStorageConfig::from_config(&config).unwrap();
        assert_eq!(cfg.backends[1].max_over_subscription_ratio, 1.5);
        assert_eq!(cfg.backends[1].reserved_percentage, 10);
        for (option, bad) in [
            ("max_over_subscription_ratio", "0.5"),
            ("max_over_subscription_ratio", "auto"),
            ("reserved_percentage", "101"),
        ] {
            let mut config = config.clone();
            config.set("silver", option, bad);
            let err = BlockStorageConfig::from_config(&config).unwrap_err();
            assert!(err.to_string().contains(option), "{err}");
        }
        config.set("gold", "volume_driver", "lvm");
        let err = BlockStorageConfig::from_config(&config).unwrap_err();
        assert!(err.to_string().contains("volume_driver"), "{err}");
    }

    #[test]
    fn image_api_from_servers_or_catalog_info() {
        let mut config = Config::default();
        config.set("DEFAULT", "state_path", "/srv/ferro");
        let cfg = BlockStorageConfig::from_config(&config).unwrap();
        assert!(cfg.glance_api_servers.is_empty());
        assert_eq!(cfg.glance_catalog, ("image".into(), "public".into()));
        assert_eq!(
            cfg.image_conversion_dir,
            PathBuf::from("/srv/ferro/conversion")
        );
        config.set("DEFAULT", "glance_api_servers", "http://g:9292/");
        config.set("DEFAULT", "glance_catalog_info", "image:glance:internalURL");
        let cfg = BlockStorageConfig::from_config(&config).unwrap();
        assert_eq!(cfg.glance_api_servers, ["http://g:9292"]);
        assert_eq!(cfg.glance_catalog.1, "internal");
        config.set("DEFAULT", "glance_catalog_info", "image:publicURL");
        let err = BlockStorageConfig::from_config(&config).unwrap_err();
        assert!(err.to_string().contains("glance_catalog_info"), "{err}");
    }
}
