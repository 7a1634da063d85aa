//! The `transfers` table: volumes offered to another project.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transfers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub volume_id: String,
    pub name: Option<String>,
    pub salt: String,
    /// Hex SHA-256 of the salt and the auth key, which is never stored.
    pub crypt_hash: String,
    /// The volume's snapshots stay with the donor (3.55).
    pub no_snapshots: bool,
    pub source_project_id: String,
    pub created_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
