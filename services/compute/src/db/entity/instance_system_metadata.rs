//! The `instance_system_metadata` table: what compute keeps of a server for
//! itself (`shelved_image_id`, `shelved_at`...), never shown to users.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "instance_system_metadata")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub instance_uuid: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub value: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
