use std::path::PathBuf;

/// Why configuration could not be loaded or an option could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("invalid value for option [{section}] {option}: {reason}")]
    Invalid {
        section: String,
        option: String,
        reason: String,
    },
    #[error("missing required option [{section}] {option}")]
    Missing { section: String, option: String },
}
