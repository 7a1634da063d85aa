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

/// Whether `err` is the database giving up on a transaction that another
/// one locked out (MariaDB 1213, PostgreSQL 40P01 and 40001, a busy SQLite
/// snapshot): the whole transaction may simply be tried again.
pub fn is_deadlock(err: &DbErr) -> bool {
    let text = err.to_string();
    [
        "1213 (40001)",
        "Deadlock found",
        "40P01",
        "deadlock detected",
        "(40001)",
        "could not serialize access",
        "database is locked",
    ]
    .iter()
    .any(|sign| text.contains(sign))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlocks_are_told_apart() {
        let mysql = DbErr::Custom(
            "error returned from database: 1213 (40001): Deadlock found when trying to get lock; try restarting transaction".into(),
        );
        assert!(is_deadlock(&mysql));
        let postgres = DbErr::Custom("error returned from database: deadlock detected".into());
        assert!(is_deadlock(&postgres));
        let sqlite =
            DbErr::Custom("error returned from database: (code: 5) database is locked".into());
        assert!(is_deadlock(&sqlite));
        assert!(!is_deadlock(&DbErr::Custom("duplicate key value".into())));
    }
}
