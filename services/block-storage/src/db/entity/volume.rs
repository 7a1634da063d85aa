//! The `volumes` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "volumes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub project_id: String,
    pub user_id: String,
    pub status: String,
    pub size: i64,
    pub availability_zone: String,
    /// `host@backend` once scheduled.
    pub host: Option<String>,
    /// The pool within `host` (its backend's volume_backend_name).
    pub pool: Option<String>,
    pub volume_type_id: String,
    pub provider_location: Option<String>,
    pub bootable: bool,
    pub multiattach: bool,
    /// JSON object of user metadata.
    pub metadata: String,
    /// The snapshot the volume was made from.
    pub snapshot_id: Option<String>,
    /// The volume this one is a clone of.
    pub source_volid: Option<String>,
    /// JSON object of the image the volume was made from (`volume_image_metadata`).
    pub image_metadata: Option<String>,
    /// `migrating`, `success` or `error` once a retype moved the volume.
    pub migration_status: Option<String>,
    /// `True` or `False` once os-update_readonly_flag set it.
    pub readonly: Option<String>,
    /// The size an extend that is working grows the volume to.
    pub pending_size: Option<i64>,
    /// The generic volume group the volume is in.
    pub group_id: Option<String>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
