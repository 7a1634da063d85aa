//! The `flavor_extra_specs` table: a flavor's key/value extra specs.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flavor_extra_specs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub flavorid: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub value: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
