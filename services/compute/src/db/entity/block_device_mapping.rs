//! The `block_device_mappings` table: the volumes of servers, each with its
//! block-storage attachment (Nova's BDMs of destination `volume`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "block_device_mappings")]
pub struct Model {
    /// The mapping's own id (`bdm_uuid`, 2.89).
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub instance_uuid: String,
    /// `volume` (an existing one), `image`, `snapshot` or `blank` (one a
    /// build makes).
    pub source_type: String,
    pub image_id: Option<String>,
    pub snapshot_id: Option<String>,
    /// GiB of a volume a build makes.
    pub volume_size: Option<i64>,
    /// None until a build made it.
    pub volume_id: Option<String>,
    /// The block-storage attachment (`attachment_id`, 2.89).
    pub attachment_id: Option<String>,
    /// `/dev/vdb`...
    pub device_name: String,
    /// 0 for the root disk, else none.
    pub boot_index: Option<i32>,
    pub tag: Option<String>,
    pub delete_on_termination: bool,
    /// What the volume host answered to the agent's connector (JSON).
    pub connection_info: Option<String>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
