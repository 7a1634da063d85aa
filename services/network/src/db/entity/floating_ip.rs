//! The `floatingips` table: an address on an external network (held by a
//! port there) and the fixed address it is translated to, when associated.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "floatingips")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub project_id: String,
    pub description: String,
    pub revision_number: i64,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub status: String,
    pub floating_network_id: String,
    pub floating_ip_address: String,
    /// The port on the external network holding the address.
    pub floating_port_id: String,
    /// The associated port, its address and the router translating it.
    pub fixed_port_id: Option<String>,
    pub fixed_ip_address: Option<String>,
    pub router_id: Option<String>,
    pub dns_name: String,
    pub dns_domain: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
