//! The `networks` table: a network with its one segment.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "networks")]
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
    pub shared: bool,
    /// `router:external`.
    pub external: bool,
    pub mtu: i64,
    pub port_security_enabled: bool,
    /// `provider:network_type`: local, flat or vxlan.
    pub network_type: String,
    pub physical_network: Option<String>,
    pub segmentation_id: Option<i64>,
    /// JSON list of zone names.
    pub availability_zone_hints: String,
    pub dns_domain: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
