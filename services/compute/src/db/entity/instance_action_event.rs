//! The `instance_action_events` table: the steps of an action and how each ended.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "instance_action_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub action_id: i64,
    pub event: String,
    pub start_time: DateTime,
    pub finish_time: Option<DateTime>,
    /// `Success` or `Error`.
    pub result: Option<String>,
    pub traceback: Option<String>,
    pub host: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
