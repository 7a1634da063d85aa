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

impl ConfigError {
    /// An invalid value of `opt`, for `reason`.
    pub fn invalid(opt: &crate::Opt, reason: impl Into<String>) -> Self {
        ConfigError::Invalid {
            section: opt.section.to_string(),
            option: opt.name.into(),
            reason: reason.into(),
        }
    }
}
