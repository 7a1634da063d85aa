//! Failures of the block-storage API, each variant one upstream HTTP status
//! (mapped in `api/error.rs`).

use ferrostack_auth::image_api::ImageApiError;
use ferrostack_db::DbError;

/// A block-storage failure; each variant is one upstream HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum CinderError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A quota exceeded: 413 overLimit.
    #[error("{0}")]
    OverLimit(String),
    /// Another service (image, identity) cannot be reached: 503.
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl From<ImageApiError> for CinderError {
    fn from(err: ImageApiError) -> Self {
        match err {
            ImageApiError::Unavailable(_) => CinderError::Unavailable(err.to_string()),
            ImageApiError::NotFound => CinderError::BadRequest(
                "Invalid image identifier or unable to access requested image.".into(),
            ),
            ImageApiError::Ambiguous(_) => CinderError::Conflict(err.to_string()),
            ImageApiError::Refused(m) => {
                CinderError::BadRequest(format!("Invalid image metadata: {m}"))
            }
        }
    }
}

impl CinderError {
    /// 403 for a policy `action` the caller may not perform, in Cinder's words.
    pub fn policy(action: &str) -> Self {
        CinderError::Forbidden(format!("Policy doesn't allow {action} to be performed."))
    }

    /// 400 for query filters the resource does not take (Cinder's
    /// `resource_filters`).
    pub fn invalid_filters(keys: &[&str]) -> Self {
        CinderError::BadRequest(format!(
            "Invalid filters {} are found in query options.",
            keys.join(",")
        ))
    }
}

/// Result alias for the block-storage domain.
pub type Result<T, E = CinderError> = std::result::Result<T, E>;

impl From<DbError> for CinderError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Duplicate(m) | DbError::Reference(m) => CinderError::Conflict(m),
            DbError::Other(m) => CinderError::Internal(m),
        }
    }
}

impl From<sea_orm::DbErr> for CinderError {
    fn from(err: sea_orm::DbErr) -> Self {
        DbError::from(err).into()
    }
}
