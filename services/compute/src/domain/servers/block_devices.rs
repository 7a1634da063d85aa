//! The volumes a server is created with (`block_device_mapping_v2` of
//! destination `volume`): checked against block storage on the caller's token
//! (each existing volume or snapshot there and usable, the image of a root
//! volume made from one visible and large enough), then recorded as the
//! server's mappings, which its host connects (and makes first) at build.

use sea_orm::ActiveValue::Set;
use serde_json::{json, Value};

use super::{BlockDevice, InstanceFlavor, NewServer};
use crate::db::entity::block_device_mapping as bdm;
use crate::domain::{Caller, Nova, NovaError, Result};
use crate::volume_api::VolumeApiError;

fn invalid_bdm(why: String) -> NovaError {
    NovaError::BadRequest(format!("Block Device Mapping is Invalid: {why}"))
}

fn unavailable_or(e: VolumeApiError, otherwise: impl FnOnce() -> NovaError) -> NovaError {
    match e {
        VolumeApiError::Unavailable(_) => NovaError::Unavailable(e.to_string()),
        _ => otherwise(),
    }
}

/// The mappings of server `uuid`: the root volume at `/dev/vda`, the others
/// after it in their order.
pub(super) fn mapping_rows(
    uuid: &str,
    devices: &[BlockDevice],
    now: chrono::NaiveDateTime,
) -> Vec<bdm::ActiveModel> {
    let mut next = b'b';
    devices
        .iter()
        .map(|d| {
            let device = if d.boot_index == Some(0) {
                "/dev/vda".to_string()
            } else {
                next += 1;
                format!("/dev/vd{}", (next - 1) as char)
            };
            let of = |kind: &str| d.uuid.clone().filter(|_| d.source_type == kind);
            bdm::ActiveModel {
                uuid: Set(uuid::Uuid::new_v4().to_string()),
                instance_uuid: Set(uuid.to_string()),
                source_type: Set(d.source_type.clone()),
                image_id: Set(of("image")),
                snapshot_id: Set(of("snapshot")),
                volume_size: Set(d.volume_size),
                volume_id: Set(of("volume")),
                attachment_id: Set(None),
                device_name: Set(device),
                boot_index: Set(d.boot_index.map(|i| i as i32)),
                tag: Set(d.tag.clone()),
                delete_on_termination: Set(d.delete_on_termination),
                connection_info: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
        })
        .collect()
}

impl Nova {
    /// What a server whose root disk is a volume boots: the image the volume
    /// is (or was made) from, as `{"properties": ...}` for the scheduler.
    pub(super) async fn boot_volume_image(
        &self,
        caller: &Caller,
        root: &BlockDevice,
        flavor: &InstanceFlavor,
    ) -> Result<Value> {
        let id = root.uuid.clone().unwrap_or_default();
        match root.source_type.as_str() {
            "image" => {
                let mut flavor = flavor.clone();
                // The volume, not the flavor, is the disk the image must fit.
                flavor.root_gb = root.volume_size.unwrap_or(0);
                self.boot_image(caller, &id, &flavor).await.map_err(|e| match e {
                    NovaError::BadRequest(m) if m.starts_with("Flavor's disk") => {
                        NovaError::BadRequest(format!(
                            "Volume is smaller than the minimum size specified in image metadata. Volume size is {} bytes.",
                            root.volume_size.unwrap_or(0) << 30
                        ))
                    }
                    other => other,
                })
            }
            "volume" => {
                let volume = self
                    .volumes
                    .volume(&caller.ctx.token.0, caller.project(), &id)
                    .await
                    .map_err(|e| unavailable_or(e, || invalid_bdm(format!("failed to get volume {id}."))))?;
                if volume["bootable"] == "false" || volume["bootable"] == false {
                    return Err(NovaError::BadRequest(format!(
                        "Block Device {id} is not bootable."
                    )));
                }
                Ok(json!({"properties": volume["volume_image_metadata"]}))
            }
            "snapshot" => Ok(json!({"properties": {}})),
            _ => Err(invalid_bdm(
                "Boot sequence for the instance and image/block device mapping combination is not valid."
                    .into(),
            )),
        }
    }

    /// Every existing volume and snapshot of the request is there, and each
    /// volume free to attach.
    pub(super) async fn check_block_devices(&self, caller: &Caller, new: &NewServer) -> Result<()> {
        let (token, project) = (&caller.ctx.token.0, caller.project());
        for device in &new.block_devices {
            let id = device.uuid.clone().unwrap_or_default();
            match device.source_type.as_str() {
                "volume" => {
                    if new.max_count > 1 {
                        return Err(NovaError::BadRequest(
                            "Cannot attach one or more volumes to multiple instances".into(),
                        ));
                    }
                    let volume = self
                        .volumes
                        .volume(token, project, &id)
                        .await
                        .map_err(|e| {
                            unavailable_or(e, || invalid_bdm(format!("failed to get volume {id}.")))
                        })?;
                    let status = volume["status"].as_str().unwrap_or_default();
                    let shared = volume["multiattach"] == true && status == "in-use";
                    if status != "available" && !shared {
                        return Err(NovaError::BadRequest(format!(
                            "Invalid volume: volume '{id}' status must be 'available'. Currently in '{status}'"
                        )));
                    }
                }
                "snapshot" => {
                    self.volumes
                        .snapshot(token, project, &id)
                        .await
                        .map_err(|e| {
                            unavailable_or(e, || {
                                invalid_bdm(format!("failed to get snapshot {id}."))
                            })
                        })?;
                }
                "image" if device.boot_index != Some(0) => {
                    self.images.find(token, &id).await.map_err(|_| {
                        NovaError::BadRequest(format!("Image {id} could not be found."))
                    })?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_volume_comes_first() {
        let devices = [
            BlockDevice {
                source_type: "blank".into(),
                volume_size: Some(1),
                ..Default::default()
            },
            BlockDevice {
                source_type: "volume".into(),
                uuid: Some("v".into()),
                boot_index: Some(0),
                ..Default::default()
            },
            BlockDevice {
                source_type: "image".into(),
                uuid: Some("i".into()),
                volume_size: Some(2),
                ..Default::default()
            },
        ];
        let rows = mapping_rows("s", &devices, chrono::NaiveDateTime::default());
        let names: Vec<String> = rows
            .iter()
            .map(|r| r.device_name.clone().unwrap())
            .collect();
        assert_eq!(names, ["/dev/vdb", "/dev/vda", "/dev/vdc"]);
        assert_eq!(rows[1].volume_id.clone().unwrap().as_deref(), Some("v"));
        assert_eq!(rows[2].image_id.clone().unwrap().as_deref(), Some("i"));
        assert_eq!(rows[0].volume_id.clone().unwrap(), None);
    }
}
