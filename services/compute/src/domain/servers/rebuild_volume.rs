//! Rebuilding a volume-backed server: before 2.93 only with the image its
//! root volume already holds (the guest starts again on the same data); from
//! 2.93 with any image, which block storage writes over the root volume
//! (os-reimage) on the server's host before the guest starts.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use super::rebuild::RebuildRequest;
use crate::db::entity::block_device_mapping as bdm;
use crate::domain::volume_attachments::volume_error;
use crate::domain::{Caller, Nova, NovaError, Result};
use crate::rpc::messages::BlockDevice;

const GIB: i64 = 1 << 30;

/// The root mapping as the host reimages it.
pub(super) fn root_device(root: &bdm::Model) -> BlockDevice {
    BlockDevice {
        bdm_uuid: root.uuid.clone(),
        source_type: root.source_type.clone(),
        volume_id: root.volume_id.clone().unwrap_or_default(),
        volume_size: root.volume_size.unwrap_or(0),
        device: root.device_name.clone(),
        attachment_id: root.attachment_id.clone().unwrap_or_default(),
        ..BlockDevice::default()
    }
}

impl Nova {
    /// The root volume mapping of server `uuid`, when it boots from a volume.
    pub(super) async fn root_volume(&self, uuid: &str) -> Result<Option<bdm::Model>> {
        Ok(bdm::Entity::find()
            .filter(bdm::Column::InstanceUuid.eq(uuid))
            .filter(bdm::Column::BootIndex.eq(0))
            .filter(bdm::Column::VolumeId.is_not_null())
            .one(&self.db)
            .await?)
    }

    /// Nova's checks of a volume-backed rebuild with `image`: the same image
    /// as the root volume's before 2.93, and a volume no smaller than the
    /// image's `min_disk`.
    pub(super) async fn check_volume_rebuild(
        &self,
        caller: &Caller,
        root: &bdm::Model,
        image: &Value,
        request: &RebuildRequest,
    ) -> Result<()> {
        let image_id = image["id"].as_str().unwrap_or(&request.image_ref);
        if !request.reimage_boot_volume {
            let volume_id = root.volume_id.as_deref().unwrap_or_default();
            let volume = self
                .volumes
                .volume(&caller.ctx.token.0, caller.project(), volume_id)
                .await
                .map_err(|e| volume_error(volume_id, e))?;
            if volume["volume_image_metadata"]["image_id"].as_str() != Some(image_id) {
                return Err(NovaError::BadRequest(format!(
                    "Image {image_id} is unacceptable: Unable to rebuild with a different image for a volume-backed server."
                )));
            }
        }
        let min_disk = image["min_disk"].as_i64().unwrap_or(0) * GIB;
        if let Some(size) = root.volume_size.map(|gb| gb * GIB) {
            if min_disk > size {
                return Err(NovaError::BadRequest(format!(
                    "Volume is smaller than the minimum size specified in image metadata. Volume size is {size} bytes, minimum size is {min_disk} bytes."
                )));
            }
        }
        Ok(())
    }
}
