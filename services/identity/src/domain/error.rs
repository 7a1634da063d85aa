use ferrostack_db::DbError;

/// Everything an identity operation can refuse or fail with; the API renders each in
/// Keystone's `{"error": {...}}` envelope with Keystone's status and wording.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Could not find {kind}: {id}.")]
    NotFound { kind: &'static str, id: String },
    /// A 404 whose message is not "Could not find {kind}" (a missing association).
    #[error("{0}")]
    NotFoundDetail(String),
    #[error("{0}")]
    Validation(String),
    #[error("Conflict occurred attempting to store {kind} - {detail}")]
    Conflict { kind: &'static str, detail: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Internal(String),
}

/// Result alias for identity operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn not_found(kind: &'static str, id: impl Into<String>) -> Self {
        Error::NotFound {
            kind,
            id: id.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Validation(message.into())
    }

    /// The generic 401 Keystone returns for any failed authentication.
    pub fn unauthenticated() -> Self {
        Error::Unauthorized("The request you have made requires authentication.".into())
    }

    /// Maps a write's database failure, naming the resource on a duplicate.
    pub fn from_write(
        kind: &'static str,
        detail: impl FnOnce() -> String,
    ) -> impl FnOnce(DbError) -> Error {
        move |err| match err {
            DbError::Duplicate(_) => Error::Conflict {
                kind,
                detail: detail(),
            },
            DbError::Reference(msg) => Error::Conflict {
                kind,
                detail: format!("referenced entity problem: {msg}"),
            },
            DbError::Other(msg) => Error::Internal(msg),
        }
    }
}

impl From<DbError> for Error {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Duplicate(msg) | DbError::Reference(msg) => Error::Conflict {
                kind: "entity",
                detail: msg,
            },
            DbError::Other(msg) => Error::Internal(msg),
        }
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        DbError::from(err).into()
    }
}
