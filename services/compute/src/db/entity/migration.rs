//! The `migrations` table: server moves (resize, cold migration), what
//! `os-migrations` lists.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "migrations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub uuid: String,
    pub instance_uuid: String,
    /// `resize` or `migration`.
    pub migration_type: String,
    /// pre-migrating, migrating, finished, confirmed, reverting, reverted, error.
    pub status: String,
    pub source_compute: Option<String>,
    pub source_node: Option<String>,
    pub dest_compute: Option<String>,
    pub dest_node: Option<String>,
    pub old_flavorid: String,
    pub new_flavorid: String,
    /// The flavors as the server keeps them (JSON of `InstanceFlavor`).
    pub old_flavor: Option<String>,
    pub new_flavor: Option<String>,
    pub project_id: String,
    pub user_id: String,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
