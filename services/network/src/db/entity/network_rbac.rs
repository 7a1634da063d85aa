//! The `networkrbacs` table: who else may use a network, and how — one row
//! per (network, action, target project), `*` targeting every project.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "networkrbacs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The project owning the policy (the network's, or the admin's).
    pub project_id: String,
    /// The network.
    pub object_id: String,
    /// `access_as_shared` or `access_as_external`.
    pub action: String,
    /// A project id, or `*`.
    pub target_tenant: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
