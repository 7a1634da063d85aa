//! The `application_credential_access_rule` table: the rules each application
//! credential is restricted to.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "application_credential_access_rule")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub application_credential_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub access_rule_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
