//! The `project_endpoint_group` table: endpoint groups associated with projects.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "project_endpoint_group")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub endpoint_group_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
