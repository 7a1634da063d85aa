//! The `segment_allocations` table: which network holds a VXLAN id or a flat
//! physical network (its key makes two networks never share one).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "segment_allocations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub network_type: String,
    /// Empty for VXLAN.
    #[sea_orm(primary_key, auto_increment = false)]
    pub physical_network: String,
    /// 0 for flat.
    #[sea_orm(primary_key, auto_increment = false)]
    pub segmentation_id: i64,
    pub network_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
