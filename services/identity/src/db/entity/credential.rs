//! The `credentials` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credentials")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub project_id: Option<String>,
    #[sea_orm(column_name = "type")]
    pub kind: String,
    /// The blob, Fernet-encrypted with a credential key (plain text in models the
    /// domain hands out).
    pub blob: Option<String>,
    pub extra: Option<String>,
    /// SHA-256 of the credential key that encrypted `blob`.
    pub key_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
