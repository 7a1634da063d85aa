//! Consistent reads across several queries.

use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction,
    IsolationLevel, TransactionTrait,
};

use crate::DbResult;

/// Opens a read-only transaction whose queries all see one snapshot, so an aggregate
/// loaded in several queries (a row, then its properties) never mixes states from
/// before and after a concurrent write. PostgreSQL needs REPEATABLE READ for that
/// (its default gives each statement a new snapshot); MariaDB's default already is;
/// SQLite in WAL mode holds one snapshot per transaction and takes no options.
pub async fn begin_snapshot(db: &DatabaseConnection) -> DbResult<DatabaseTransaction> {
    let txn = match db.get_database_backend() {
        DatabaseBackend::Sqlite => db.begin().await?,
        _ => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
    };
    Ok(txn)
}
