//! The `quotas` table: a project's limit of a resource, where an admin set one.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quotas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: String,
    /// network, subnet, port, security_group or security_group_rule.
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource: String,
    /// -1 for no limit.
    pub hard_limit: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
