//! The `service_records` table: what Nova's `services` rows carry beyond the
//! shared registry — an integer id (before 2.53), a UUID (from 2.53) and
//! `forced_down` — one per (host, binary).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub uuid: String,
    pub host: String,
    pub binary: String,
    pub forced_down: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
