//! The `agents` table: what each agent on a host says about itself. Its
//! heartbeat and whether an admin turned it off are the shared `services`
//! registry's row of the same host and binary.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub host: String,
    pub binary: String,
    pub agent_type: String,
    pub topic: String,
    pub description: String,
    /// JSON object.
    pub configurations: String,
    /// Only agents that schedule by zone (DHCP, L3) have one.
    pub availability_zone: Option<String>,
    pub created_at: DateTime,
    pub started_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
