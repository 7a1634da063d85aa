use sea_orm::{DbErr, SqlErr};

/// A database failure as the domain layer sees it.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A unique constraint was violated (a duplicate): HTTP 409.
    #[error("duplicate entry: {0}")]
    Duplicate(String),
    /// A foreign key was violated (a dangling or still-referenced row): HTTP 409.
    #[error("referential integrity violation: {0}")]
    Reference(String),
    /// Anything else: a server fault.
    #[error("database error: {0}")]
    Other(String),
}

/// Result alias for database calls.
pub type DbResult<T> = Result<T, DbError>;

impl From<DbErr> for DbError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(msg)) => DbError::Duplicate(msg),
            Some(SqlErr::ForeignKeyConstraintViolation(msg)) => DbError::Reference(msg),
            _ => DbError::Other(err.to_string()),
        }
    }
}
