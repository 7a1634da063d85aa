//! The `volume_type_projects` table: projects a private volume type is shared with.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "volume_type_projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub volume_type_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
