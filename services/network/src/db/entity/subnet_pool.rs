//! The `subnetpools` table: prefixes subnets are carved from, with their
//! prefix length bounds.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subnetpools")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub revision_number: i64,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub ip_version: i64,
    /// JSON list of CIDRs, merged.
    pub prefixes: String,
    pub default_prefixlen: i64,
    pub min_prefixlen: i64,
    pub max_prefixlen: i64,
    pub shared: bool,
    pub is_default: bool,
    pub default_quota: Option<i64>,
    /// Bumped by each allocation: the row lock that serializes them.
    pub allocations: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
