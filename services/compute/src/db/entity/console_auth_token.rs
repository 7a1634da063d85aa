//! The `console_auth_tokens` table: a remote console's token (by its SHA-256,
//! never the token itself), what it opens and until when.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "console_auth_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// novnc, spice-html5, spice-direct, serial or webmks.
    pub console_type: String,
    /// Where the console listens (what a proxy connects to).
    pub host: String,
    pub port: i64,
    pub tls_port: Option<i64>,
    pub internal_access_path: Option<String>,
    /// The proxy URL the token was handed out with.
    pub access_url_base: String,
    pub instance_uuid: String,
    /// Unix time after which the token is refused.
    pub expires: i64,
    pub created_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
