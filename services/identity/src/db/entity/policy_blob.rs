//! The `policy` table: opaque policy documents the legacy `/v3/policies` API
//! stores for other services (Keystone never reads them).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policy")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub blob: String,
    /// The blob's media type (`application/json`).
    #[sea_orm(column_name = "type")]
    pub kind: String,
    pub extra: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
