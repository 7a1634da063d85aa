//! What can go wrong in the image domain, each variant one upstream
//! HTTP status (mapped in `api/error.rs`).

use ferrostack_db::DbError;

/// An image-domain failure; each variant is one upstream HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Quota or size cap exceeded: 413.
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    RangeNotSatisfiable(String),
    /// A store or database fault: 500 without the cause.
    #[error("{0}")]
    Internal(String),
}

/// Result alias for the image domain.
pub type Result<T, E = ImageError> = std::result::Result<T, E>;

impl From<DbError> for ImageError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Duplicate(m) | DbError::Reference(m) => ImageError::Conflict(m),
            DbError::Other(m) => ImageError::Internal(m),
        }
    }
}

impl From<std::io::Error> for ImageError {
    fn from(err: std::io::Error) -> Self {
        ImageError::Internal(err.to_string())
    }
}
