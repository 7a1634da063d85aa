//! The `routers` table: a router, its gateway port and extra routes (its
//! interfaces are ports it owns).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "routers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub revision_number: i64,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub status: String,
    pub admin_state_up: bool,
    /// Its port on an external network, when it has a gateway.
    pub gw_port_id: Option<String>,
    pub enable_snat: bool,
    /// JSON `[{"destination", "nexthop"}]`.
    pub routes: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
