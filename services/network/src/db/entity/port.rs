//! The `ports` table: a virtual interface on a network.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ports")]
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
    pub mac_address: String,
    pub admin_state_up: bool,
    pub status: String,
    pub device_id: String,
    pub device_owner: String,
    pub port_security_enabled: bool,
    /// JSON `[{"ip_address", "mac_address"}]`.
    pub allowed_address_pairs: String,
    /// JSON `[{"opt_name", "opt_value", "ip_version"}]`.
    pub extra_dhcp_opts: String,
    pub binding_host_id: String,
    pub binding_vnic_type: String,
    /// JSON object.
    pub binding_profile: String,
    pub binding_vif_type: String,
    /// JSON object.
    pub binding_vif_details: String,
    pub dns_name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
