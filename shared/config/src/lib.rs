//! oslo.config-style configuration: INI files with upstream section and option names,
//! later files overriding earlier ones, then `OS_<SECTION>__<OPTION>` environment
//! overrides on top.
//!
//! A service declares the options it understands as [`Opt`]s; [`Config::check`] warns
//! about anything else, and typed getters fail with the option's name when a value is
//! invalid, so a bad setting stops the service at start instead of at first use.
//!
//! ```
//! use ferrostack_config::{Config, Opt};
//! const PORT: Opt = Opt::new("DEFAULT", "bind_port", "5000", "Port the API listens on.");
//! let cfg = Config::from_sources(&[], [("OS_DEFAULT__BIND_PORT".to_string(), "5001".to_string())]).unwrap();
//! assert_eq!(cfg.get_parsed::<u16>(&PORT).unwrap(), 5001);
//! ```

mod config;
mod error;
mod ini;
mod opt;
mod redact;
mod registry;
mod secret;

pub use config::Config;
pub use error::ConfigError;
pub use opt::Opt;
pub use redact::redact_url;
pub use registry::{Plugin, Registry, Section};
pub use secret::{Secret, SecretUrl};
