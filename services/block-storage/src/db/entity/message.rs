//! The `messages` table: user messages about asynchronous failures.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub project_id: String,
    /// The request that failed.
    pub request_id: String,
    /// VOLUME or VOLUME_SNAPSHOT.
    pub resource_type: String,
    pub resource_uuid: Option<String>,
    /// Cinder's message_field ids: what was going on, and what went wrong.
    pub action_id: String,
    pub detail_id: String,
    pub event_id: String,
    pub message_level: String,
    pub created_at: DateTime,
    pub expires_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
