//! The `instances` table: servers, soft-deleted (`deleted`) when gone.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "instances")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub display_name: String,
    pub hostname: String,
    pub description: Option<String>,
    pub project_id: String,
    pub user_id: String,
    pub image_ref: String,
    /// The flavor's id, for the `flavor` filter.
    pub flavorid: String,
    /// The flavor as it was at create time (JSON of `InstanceFlavor`).
    pub flavor: String,
    /// The flavor's vCPUs and RAM, for counting quotas.
    pub vcpus: i64,
    pub memory_mb: i64,
    pub vm_state: String,
    pub task_state: Option<String>,
    pub power_state: i32,
    pub host: Option<String>,
    pub node: Option<String>,
    /// The zone the user asked for, if any.
    pub availability_zone: Option<String>,
    pub key_name: Option<String>,
    pub key_data: Option<String>,
    pub user_data: Option<String>,
    pub config_drive: bool,
    /// `OS-DCF:diskConfig` AUTO (the guest's disk grown to the flavor's).
    pub auto_disk_config: bool,
    pub access_ip_v4: Option<String>,
    pub access_ip_v6: Option<String>,
    pub locked: bool,
    /// `owner` or `admin`.
    pub locked_by: Option<String>,
    pub locked_reason: Option<String>,
    pub reservation_id: String,
    pub launch_index: i32,
    pub progress: i32,
    pub launched_at: Option<DateTime>,
    pub terminated_at: Option<DateTime>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub deleted: bool,
    pub deleted_at: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
