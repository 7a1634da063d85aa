//! The `application_credentials` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "application_credentials")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub secret_hash: String,
    pub description: Option<String>,
    pub user_id: String,
    pub project_id: Option<String>,
    pub system: Option<String>,
    pub expires_at: Option<DateTime>,
    pub unrestricted: bool,
    pub roles: Option<String>,
    pub created_at: Option<DateTime>,
}

impl Model {
    /// The role ids the credential delegates (`roles`, a JSON list).
    pub fn role_ids(&self) -> std::collections::BTreeSet<String> {
        self.roles
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
