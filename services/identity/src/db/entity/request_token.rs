//! The `request_token` table: OAuth1 request tokens, authorized by a user.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_token")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub request_secret: String,
    pub verifier: Option<String>,
    pub authorizing_user_id: Option<String>,
    pub requested_project_id: String,
    /// The authorized role ids, a JSON list.
    pub role_ids: Option<String>,
    pub consumer_id: String,
    pub expires_at: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
