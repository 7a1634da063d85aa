//! The `server_groups` table: a project's group of servers with its placement
//! policy and rules.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "server_groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub name: String,
    pub project_id: String,
    pub user_id: String,
    /// affinity, anti-affinity, soft-affinity or soft-anti-affinity.
    pub policy: String,
    /// The policy's rules as JSON (`{"max_server_per_host": 2}`).
    pub rules: String,
    pub created_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
