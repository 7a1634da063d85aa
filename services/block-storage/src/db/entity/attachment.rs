//! The `attachments` table: a volume's attachments to instances (3.27+ API and the
//! legacy attach flow).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub volume_id: String,
    pub project_id: String,
    pub instance_uuid: Option<String>,
    /// reserved, attaching, attached, detached.
    pub status: String,
    /// rw or ro.
    pub attach_mode: String,
    /// JSON connector.
    pub connector: Option<String>,
    /// JSON connection_info.
    pub connection_info: Option<String>,
    pub attached_at: Option<DateTime>,
    pub detached_at: Option<DateTime>,
    pub created_at: DateTime,
    /// Where the instance sees the volume (`/dev/vdb`), when told.
    pub mountpoint: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
