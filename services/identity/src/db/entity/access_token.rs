//! The `access_token` table: OAuth1 access tokens a consumer gets tokens with.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_token")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub access_secret: String,
    pub authorizing_user_id: String,
    pub project_id: String,
    /// The delegated role ids, a JSON list.
    pub role_ids: String,
    pub consumer_id: String,
    pub expires_at: Option<DateTime>,
}

impl Model {
    /// The delegated role ids.
    pub fn role_ids(&self) -> std::collections::BTreeSet<String> {
        serde_json::from_str(&self.role_ids).unwrap_or_default()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
