//! The image service's options, with Glance's and glance_store's section and option
//! names. Stores are declared as upstream's multi-store does it:
//! `[DEFAULT] enabled_backends = fast:file, cheap:s3`, `[glance_store]
//! default_backend = fast`, then one section per store (`[fast]
//! filesystem_store_datadir = ...`).

use std::path::PathBuf;
use std::sync::Arc;

use ferrostack_api::{ServiceOptions, SERVICE_OPTS};
use ferrostack_auth::{AuthOptions, AUTHTOKEN_OPTS};
use ferrostack_config::{Config, ConfigError, Opt, Section};
use ferrostack_db::{DbOptions, DATABASE_OPTS};
use ferrostack_rpc::{MessagingConfig, MESSAGING_OPTS};

use crate::import_filter::{UriFilter, FILTER_OPTS};
use crate::quota::{QuotaLimits, QUOTA_OPTS};
use crate::store::{StoreFactory, STORE_TYPES};

/// Glance's port.
pub const DEFAULT_PORT: u16 = 9292;

pub const ENABLED_BACKENDS: Opt = Opt::new(
    "DEFAULT",
    "enabled_backends",
    "file:file",
    "Stores as id:type pairs (types: file, s3).",
);
pub const DEFAULT_BACKEND: Opt = Opt::new(
    "glance_store",
    "default_backend",
    "",
    "Store receiving uploads that name none; the first enabled store when unset.",
);
pub const IMAGE_SIZE_CAP: Opt = Opt::new(
    "DEFAULT",
    "image_size_cap",
    "1099511627776",
    "Largest image a user may upload, in bytes.",
);
pub const LIMIT_PARAM_DEFAULT: Opt = Opt::new(
    "DEFAULT",
    "limit_param_default",
    "25",
    "Images a list returns when the request gives no limit.",
);
pub const API_LIMIT_MAX: Opt = Opt::new(
    "DEFAULT",
    "api_limit_max",
    "1000",
    "Most images a list returns whatever the limit asked.",
);
pub const IMAGE_TAG_QUOTA: Opt = Opt::new(
    "DEFAULT",
    "image_tag_quota",
    "128",
    "Most tags an image may have; negative is unlimited.",
);
pub const IMAGE_PROPERTY_QUOTA: Opt = Opt::new(
    "DEFAULT",
    "image_property_quota",
    "128",
    "Most extra properties an image may have; negative is unlimited.",
);
pub const IMAGE_MEMBER_QUOTA: Opt = Opt::new(
    "DEFAULT",
    "image_member_quota",
    "128",
    "Most members an image may have; negative is unlimited.",
);
pub const ENABLED_IMPORT_METHODS: Opt = Opt::new(
    "DEFAULT",
    "enabled_import_methods",
    "glance-direct,copy-image",
    "Import methods offered by /v2/info/import (glance-direct, copy-image, web-download).",
);
pub const NODE_STAGING_URI: Opt = Opt::new(
    "DEFAULT",
    "node_staging_uri",
    "",
    "file:// directory for staged image data; <state_path>/staging when unset.",
);
pub const DISK_FORMATS: Opt = Opt::new(
    "image_format",
    "disk_formats",
    "ami,ari,aki,vhd,vhdx,vmdk,raw,qcow2,vdi,iso,ploop",
    "Accepted disk_format values.",
);
pub const CONTAINER_FORMATS: Opt = Opt::new(
    "image_format",
    "container_formats",
    "ami,ari,aki,bare,ovf,ova,docker,compressed",
    "Accepted container_format values.",
);
pub const REQUIRE_IMAGE_FORMAT_MATCH: Opt = Opt::new(
    "image_format",
    "require_image_format_match",
    "true",
    "Refuse uploads whose content is not the declared disk_format.",
);

/// Options of every store's section (its type has its own besides).
pub const STORE_DESCRIPTION: Opt = Opt::new(
    "",
    "store_description",
    "",
    "Description shown in /v2/info/stores.",
);

/// Every fixed-section option this service reads.
pub const OPTS: &[Opt] = &[
    ENABLED_BACKENDS,
    DEFAULT_BACKEND,
    IMAGE_SIZE_CAP,
    LIMIT_PARAM_DEFAULT,
    API_LIMIT_MAX,
    IMAGE_TAG_QUOTA,
    IMAGE_PROPERTY_QUOTA,
    IMAGE_MEMBER_QUOTA,
    ENABLED_IMPORT_METHODS,
    NODE_STAGING_URI,
    DISK_FORMATS,
    CONTAINER_FORMATS,
    REQUIRE_IMAGE_FORMAT_MATCH,
];

/// One `enabled_backends` entry.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub id: String,
    pub description: String,
    /// The store, configured from its section by its type.
    pub store: Arc<dyn StoreFactory>,
}

/// Settings resolved and validated at start.
#[derive(Debug, Clone)]
pub struct ImageConfig {
    pub service: ServiceOptions,
    pub database: DbOptions,
    pub messaging: MessagingConfig,
    /// `None` runs without authentication (tests of the domain only).
    pub auth: Option<AuthOptions>,
    pub stores: Vec<StoreConfig>,
    pub default_store: String,
    pub image_size_cap: u64,
    pub limit_default: usize,
    pub limit_max: usize,
    pub tag_quota: Option<usize>,
    pub property_quota: Option<usize>,
    pub member_quota: Option<usize>,
    pub import_methods: Vec<String>,
    pub staging_dir: PathBuf,
    pub disk_formats: Vec<String>,
    pub container_formats: Vec<String>,
    pub require_format_match: bool,
    pub quotas: QuotaLimits,
    /// What web-download may fetch.
    pub uri_filter: UriFilter,
}

impl ImageConfig {
    /// Resolves every option, failing with the option's name on a bad value.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let service = ServiceOptions::from_config(config, DEFAULT_PORT)?;
        let state = service.state_path.clone();
        let (stores, store_opts) = stores(config, &state)?;
        let mut known: Vec<&[Opt]> = vec![
            SERVICE_OPTS,
            OPTS,
            DATABASE_OPTS,
            MESSAGING_OPTS,
            AUTHTOKEN_OPTS,
            QUOTA_OPTS,
            FILTER_OPTS,
        ];
        known.extend(store_opts.iter().map(Vec::as_slice));
        config.check(&known);
        let default_store = match config.get(&DEFAULT_BACKEND) {
            Some(id) if stores.iter().any(|s| s.id == id) => id.to_string(),
            Some(id) => {
                return Err(ConfigError::invalid(
                    &DEFAULT_BACKEND,
                    format!("'{id}' is not enabled"),
                ))
            }
            None => stores[0].id.clone(),
        };
        let staging_dir = match config.get(&NODE_STAGING_URI) {
            Some(uri) => PathBuf::from(uri.strip_prefix("file://").ok_or_else(|| {
                ConfigError::invalid(&NODE_STAGING_URI, format!("'{uri}' is not a file:// URI"))
            })?),
            None => state.join("staging"),
        };
        let import_methods = config.get_list(&ENABLED_IMPORT_METHODS);
        for method in &import_methods {
            if !["glance-direct", "copy-image", "web-download"].contains(&method.as_str()) {
                return Err(ConfigError::invalid(
                    &ENABLED_IMPORT_METHODS,
                    format!("'{method}' is not one of glance-direct, copy-image, web-download"),
                ));
            }
        }
        let uri_filter =
            UriFilter::from_config(config, import_methods.iter().any(|m| m == "web-download"))?;
        let auth = if config.get(&AUTHTOKEN_OPTS[1]).is_some() {
            Some(AuthOptions::from_config(config, &["image"])?)
        } else {
            None
        };
        Ok(ImageConfig {
            database: DbOptions::from_config(
                config,
                &format!("sqlite://{}/image.db", state.display()),
            )?,
            messaging: MessagingConfig::from_config(config, "glance")?,
            auth,
            stores,
            default_store,
            image_size_cap: config.get_parsed(&IMAGE_SIZE_CAP)?,
            limit_default: config.get_parsed(&LIMIT_PARAM_DEFAULT)?,
            limit_max: config.get_parsed(&API_LIMIT_MAX)?,
            tag_quota: quota(config, &IMAGE_TAG_QUOTA)?,
            property_quota: quota(config, &IMAGE_PROPERTY_QUOTA)?,
            member_quota: quota(config, &IMAGE_MEMBER_QUOTA)?,
            import_methods,
            staging_dir,
            disk_formats: config.get_list(&DISK_FORMATS),
            container_formats: config.get_list(&CONTAINER_FORMATS),
            require_format_match: config.get_bool(&REQUIRE_IMAGE_FORMAT_MATCH)?,
            quotas: QuotaLimits::from_config(config)?,
            uri_filter,
            service,
        })
    }

    /// The configured store with `id`.
    pub fn store(&self, id: &str) -> Option<&StoreConfig> {
        self.stores.iter().find(|s| s.id == id)
    }
}

fn quota(config: &Config, opt: &Opt) -> Result<Option<usize>, ConfigError> {
    let value: i64 = config.get_parsed(opt)?;
    Ok(usize::try_from(value).ok())
}

/// The enabled stores, and the options of their sections.
fn stores(
    config: &Config,
    state: &std::path::Path,
) -> Result<(Vec<StoreConfig>, Vec<Vec<Opt>>), ConfigError> {
    let mut stores = Vec::new();
    let mut known = Vec::new();
    for entry in config.get_list(&ENABLED_BACKENDS) {
        let (id, kind) = entry.split_once(':').ok_or_else(|| {
            ConfigError::invalid(&ENABLED_BACKENDS, format!("'{entry}' is not id:type"))
        })?;
        let (id, kind) = (id.trim(), kind.trim());
        if id.is_empty() || stores.iter().any(|s: &StoreConfig| s.id == id) {
            return Err(ConfigError::invalid(
                &ENABLED_BACKENDS,
                format!("store id '{id}' is empty or repeated"),
            ));
        }
        let section = Section {
            config,
            name: id,
            state_path: state,
        };
        let (store, mut opts) = STORE_TYPES.configure(kind, &section, &ENABLED_BACKENDS)?;
        opts.push(section.opt(&STORE_DESCRIPTION));
        known.push(opts);
        stores.push(StoreConfig {
            id: id.to_string(),
            description: section.get_string(&STORE_DESCRIPTION),
            store,
        });
    }
    if stores.is_empty() {
        return Err(ConfigError::invalid(
            &ENABLED_BACKENDS,
            "no store is enabled",
        ));
    }
    Ok((stores, known))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_give_one_file_store_under_the_state_path() {
        let mut config = Config::default();
        config.set("DEFAULT", "state_path", "/srv/ferro");
        let cfg = ImageConfig::from_config(&config).unwrap();
        assert_eq!(cfg.service.bind.port(), 9292);
        assert_eq!(cfg.default_store, "file");
        assert_eq!(
            format!("{:?}", cfg.stores[0].store),
            r#"FileStoreOptions { datadir: "/srv/ferro/images/file" }"#
        );
        assert_eq!(cfg.staging_dir, PathBuf::from("/srv/ferro/staging"));
        assert!(cfg.auth.is_none());
    }

    #[test]
    fn multi_store_sections_and_errors_name_the_option() {
        let mut config = Config::default();
        config.set("DEFAULT", "enabled_backends", "fast:file, cold:s3");
        config.set("glance_store", "default_backend", "cold");
        config.set("fast", "filesystem_store_datadir", "/data/fast");
        let err = ImageConfig::from_config(&config).unwrap_err();
        assert!(err.to_string().contains("s3_store_host"), "{err}");
        for (k, v) in [
            ("s3_store_host", "http://127.0.0.1:9000"),
            ("s3_store_access_key", "a"),
            ("s3_store_secret_key", "s"),
            ("s3_store_bucket", "images"),
        ] {
            config.set("cold", k, v);
        }
        let cfg = ImageConfig::from_config(&config).unwrap();
        assert_eq!(cfg.default_store, "cold");
        assert_eq!(cfg.stores.len(), 2);
        config.set("glance_store", "default_backend", "nope");
        let err = ImageConfig::from_config(&config).unwrap_err();
        assert!(err.to_string().contains("default_backend"), "{err}");
        config.set("DEFAULT", "enabled_backends", "x:ftp");
        let err = ImageConfig::from_config(&config).unwrap_err();
        assert!(err.to_string().contains("ftp"), "{err}");
    }
}
