//! The `domain_config` table: a domain's stored configuration options, one row per
//! option; sensitive ones (`ldap.password`) are never rendered.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domain_config")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub domain_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_name: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub option_name: String,
    /// The option's value as JSON text (Keystone keeps whatever JSON it was given).
    pub value: String,
    pub sensitive: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
