//! The `metadef_items` table: a namespace's objects, properties and tags.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "metadef_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub namespace_id: String,
    /// `object`, `property` or `tag`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The item's JSON fields but its name and timestamps.
    pub body: String,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
