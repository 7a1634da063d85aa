//! The `server_group_members` table: which servers are in which group.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "server_group_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_uuid: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub instance_uuid: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
