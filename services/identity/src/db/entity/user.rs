//! The `users` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub domain_id: String,
    pub enabled: bool,
    pub password_hash: Option<String>,
    pub password_created_at: Option<DateTime>,
    /// When the password stops working (`[security_compliance] password_expires_days`,
    /// or at once for a password to change upon first use).
    pub password_expires_at: Option<DateTime>,
    /// Failed password logins in a row, and the last one's time (lockout).
    pub failed_auth_count: Option<i32>,
    pub failed_auth_at: Option<DateTime>,
    pub default_project_id: Option<String>,
    pub extra: Option<String>,
    pub created_at: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
