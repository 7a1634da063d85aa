//! The `subnets` table: an address range of a network and how it is handed out.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subnets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub revision_number: i64,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub network_id: String,
    pub ip_version: i64,
    pub cidr: String,
    pub gateway_ip: Option<String>,
    pub enable_dhcp: bool,
    pub ipv6_ra_mode: Option<String>,
    pub ipv6_address_mode: Option<String>,
    pub subnetpool_id: Option<String>,
    /// JSON `[{"start", "end"}]`.
    pub allocation_pools: String,
    /// JSON list, in the order given.
    pub dns_nameservers: String,
    /// JSON `[{"destination", "nexthop"}]`.
    pub host_routes: String,
    /// JSON list of device owners.
    pub service_types: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
