use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Statement};

use super::entity::revision;
use ferrostack_db::DbResult;

/// The identity database connection.
#[derive(Clone)]
pub struct Store {
    pub db: DatabaseConnection,
}

impl Store {
    pub fn new(db: DatabaseConnection) -> Self {
        Store { db }
    }

    /// The write counter all identity processes share: bumped after every write, read
    /// periodically to drop caches another process made stale.
    pub async fn revision(&self) -> DbResult<i64> {
        Ok(revision::Entity::find_by_id(1)
            .one(&self.db)
            .await?
            .map(|row| row.value)
            .unwrap_or_default())
    }

    /// Increments the shared write counter.
    pub async fn bump_revision(&self) -> DbResult<()> {
        let backend = self.db.get_database_backend();
        self.db
            .execute(Statement::from_string(
                backend,
                "UPDATE revision SET value = value + 1 WHERE id = 1",
            ))
            .await?;
        Ok(())
    }
}
