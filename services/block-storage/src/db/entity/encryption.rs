//! The `encryption` table: a volume type's encryption specs (one per type).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "encryption")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub encryption_id: String,
    pub volume_type_id: String,
    /// The front-end encryptor (`luks`, `LuksEncryptor`, ...).
    pub provider: String,
    pub cipher: Option<String>,
    /// Bits; none means the provider's default.
    pub key_size: Option<i64>,
    /// `front-end` (the compute host) or `back-end`.
    pub control_location: String,
    pub created_at: DateTime,
    pub updated_at: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
