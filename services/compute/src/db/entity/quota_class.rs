//! The `quota_classes` table: a quota class's limit for one resource (the
//! `default` class's replace the configured defaults).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quota_classes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub class_name: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource: String,
    pub hard_limit: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
