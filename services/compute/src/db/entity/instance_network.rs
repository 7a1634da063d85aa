//! The `instance_networks` table: the networks a server asked for at create
//! and its network info (its ports as the network API showed them: Nova's
//! `instance_info_caches`), both as JSON.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "instance_networks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub instance_uuid: String,
    #[sea_orm(column_type = "Text")]
    pub requested: String,
    #[sea_orm(column_type = "Text")]
    pub network_info: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
