//! `snapshot_instance`: a server's disk, as its driver gives it, uploaded into
//! the image the api created on the user's token; the server left in the
//! state it was in, the image deleted when the snapshot failed. And
//! `shelve_instance`: the guest powered off, its disk saved the same way, the
//! guest destroyed when offloaded.

use ferrostack_rpc::{Context, RemoteError};

use super::driver::{GuestOp, PowerState};
use super::manager::{unix_now, Agent};
use crate::rpc::messages::{InstanceUpdate, Shelve, Snapshot};

impl Agent {
    pub(super) async fn snapshot(
        &self,
        context: Context,
        request: Snapshot,
    ) -> Result<(), RemoteError> {
        let started_at = unix_now();
        let token = &context.auth_token;
        let uploaded = self
            .save_disk(token, &request.uuid, &request.image_id)
            .await;
        let mut update = InstanceUpdate {
            uuid: request.uuid.clone(),
            vm_state: request.vm_state.clone(),
            power_state: request.power_state,
            event: "compute_snapshot_instance".into(),
            started_at,
            ..Default::default()
        };
        match uploaded {
            Err(e) => {
                tracing::warn!(
                    instance = request.uuid,
                    image = request.image_id,
                    "snapshot failed: {e}"
                );
                self.images.delete(token, &request.image_id).await;
                update.fault = format!("Snapshot of instance {} failed: {e}", request.uuid);
            }
            Ok(()) if request.rotation >= 0 => self.rotate_backups(token, &request).await,
            Ok(()) => {}
        }
        self.report(&context, update).await;
        Ok(())
    }
}

impl Agent {
    /// Deletes the oldest backups of the server and type beyond the rotation
    /// (Nova's `_rotate_backups`); a failure is only logged.
    async fn rotate_backups(&self, token: &str, request: &Snapshot) {
        let query = serde_urlencoded::to_string([
            ("instance_uuid", request.uuid.as_str()),
            ("image_type", "backup"),
            ("backup_type", request.backup_type.as_str()),
            ("sort_key", "created_at"),
            ("sort_dir", "desc"),
        ])
        .unwrap_or_default();
        let found = match self.images.list(token, &query).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(instance = request.uuid, "backups not rotated: {e}");
                return;
            }
        };
        let backups = found["images"].as_array().cloned().unwrap_or_default();
        for old in backups.iter().skip(request.rotation.max(0) as usize) {
            if let Some(id) = old["id"].as_str() {
                self.images.delete(token, id).await;
            }
        }
    }

    /// The guest's disk uploaded into image `image_id`.
    async fn save_disk(&self, token: &str, uuid: &str, image_id: &str) -> Result<(), String> {
        let data = self
            .driver
            .snapshot(uuid)
            .await
            .map_err(|e| e.to_string())?;
        self.images
            .upload(token, image_id, data)
            .await
            .map_err(|e| e.to_string())
    }

    pub(super) async fn shelve(
        &self,
        context: Context,
        request: Shelve,
    ) -> Result<(), RemoteError> {
        let started_at = unix_now();
        let token = &context.auth_token;
        let mut shelved = self
            .driver
            .operate(&request.uuid, GuestOp::PowerOff)
            .await
            .map_err(|e| e.to_string());
        if shelved.is_ok() {
            shelved = self
                .save_disk(token, &request.uuid, &request.image_id)
                .await;
        }
        if shelved.is_ok() && request.offload {
            shelved = self
                .driver
                .destroy(&request.uuid)
                .await
                .map_err(|e| e.to_string());
        }
        let mut update = InstanceUpdate {
            uuid: request.uuid.clone(),
            event: "compute_shelve_instance".into(),
            started_at,
            power_state: PowerState::Shutdown as i32,
            ..Default::default()
        };
        match shelved {
            Ok(()) if request.offload => {
                update.vm_state = "shelved_offloaded".into();
                update.offloaded = true;
            }
            Ok(()) => update.vm_state = "shelved".into(),
            Err(e) => {
                tracing::warn!(instance = request.uuid, "shelve failed: {e}");
                self.images.delete(token, &request.image_id).await;
                update.vm_state = "error".into();
                update.fault = format!("Shelve of instance {} failed: {e}", request.uuid);
            }
        }
        self.report(&context, update).await;
        Ok(())
    }
}
