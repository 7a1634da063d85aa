//! The `backups` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "backups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub project_id: String,
    pub user_id: String,
    pub volume_id: String,
    /// The snapshot backed up, when not the volume itself.
    pub snapshot_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: String,
    pub fail_reason: Option<String>,
    pub size: i64,
    pub object_count: i64,
    /// The repository directory the backup is in.
    pub container: Option<String>,
    /// Where the backup's data is in the repository: `<container>/backup_<id>`.
    pub service_metadata: Option<String>,
    /// The driver that holds the data (Cinder's driver class path).
    pub service: Option<String>,
    /// The backup an incremental backup builds on.
    pub parent_id: Option<String>,
    pub availability_zone: Option<String>,
    pub host: Option<String>,
    /// The volume a restore under way writes.
    pub restore_volume_id: Option<String>,
    /// JSON object of user metadata (3.43).
    pub metadata: String,
    /// When the data was taken: the backup's (or its snapshot's) creation.
    pub data_timestamp: DateTime,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
