//! Failures of the compute API, each variant one upstream HTTP status (mapped
//! in `api/error.rs`).

use ferrostack_db::DbError;

/// A compute failure; each variant is one upstream HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum NovaError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A quota exceeded: 403, as Nova's servers API answers it.
    #[error("{0}")]
    OverQuota(String),
    /// Another service (image, network) cannot be reached: 503.
    #[error("{0}")]
    Unavailable(String),
    /// An API Nova removed: 410.
    #[error("{0}")]
    Gone(String),
    /// What the virt driver does not do: 501.
    #[error("{0}")]
    NotImplemented(String),
    #[error("{0}")]
    Internal(String),
}

impl NovaError {
    /// 403 for a policy `rule` the caller may not perform, in Nova's words.
    pub fn policy(rule: &str) -> Self {
        NovaError::Forbidden(format!("Policy doesn't allow {rule} to be performed."))
    }
}

/// Result alias for the compute domain.
pub type Result<T, E = NovaError> = std::result::Result<T, E>;

impl From<DbError> for NovaError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Duplicate(m) | DbError::Reference(m) => NovaError::Conflict(m),
            DbError::Other(m) => NovaError::Internal(m),
        }
    }
}

impl From<sea_orm::DbErr> for NovaError {
    fn from(err: sea_orm::DbErr) -> Self {
        DbError::from(err).into()
    }
}
