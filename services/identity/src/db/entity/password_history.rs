//! The `password_history` table: the hashes of a user's passwords, newest last,
//! for `[security_compliance] unique_last_password_count`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "password_history")]
pub struct Model {
    /// Sorts by time: a hex microsecond timestamp, then random digits.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub password_hash: String,
    /// Set by its user (the minimum age applies), not by an administrator.
    pub self_service: bool,
    pub created_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
