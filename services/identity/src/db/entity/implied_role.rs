//! The `implied_roles` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "implied_roles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub prior_role_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub implied_role_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
