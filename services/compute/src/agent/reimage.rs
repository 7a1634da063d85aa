//! A volume-backed server's rebuild (2.93) on its host, as Nova's compute
//! manager does it: a new attachment reserved for the server and the old one
//! ended (so the volume stays reserved for it), block storage asked to
//! rewrite the volume with the new image (`os-reimage`), then the attachment
//! connected to this host and completed once the volume is back.

use ferrostack_rpc::Context;
use serde_json::Value;

use super::manager::Agent;
use crate::rpc::messages::{BlockDevice, VolumeUpdate};

/// How often the volume is looked at while block storage reimages it.
const POLL: std::time::Duration = std::time::Duration::from_millis(500);

impl Agent {
    /// Reimages server `uuid`'s root volume with `image_id`: its connection
    /// info once attached again, or why not.
    pub(super) async fn reimage_root(
        &self,
        context: &Context,
        uuid: &str,
        root: &BlockDevice,
        image_id: &str,
    ) -> Result<Value, String> {
        let (token, project) = (&context.auth_token, &context.project_id);
        let volume_id = root.volume_id.as_str();
        let report = |attachment_id: &str, info: &str| VolumeUpdate {
            uuid: uuid.to_string(),
            bdm_uuid: root.bdm_uuid.clone(),
            volume_id: volume_id.to_string(),
            attachment_id: attachment_id.to_string(),
            connection_info_json: info.to_string(),
            ..Default::default()
        };
        let attachment_id = self
            .volumes
            .reserve(token, project, volume_id, uuid)
            .await
            .map_err(|e| format!("Volume {volume_id} could not be reserved: {e}"))?;
        self.report_volume(context, report(&attachment_id, ""))
            .await;
        if !root.attachment_id.is_empty() {
            self.volumes
                .release(token, project, &root.attachment_id)
                .await
                .map_err(|e| format!("Volume {volume_id} could not be detached: {e}"))?;
        }
        self.volumes
            .reimage(token, project, volume_id, image_id)
            .await
            .map_err(|e| format!("Volume {volume_id} could not be reimaged: {e}"))?;
        self.wait_reimaged(token, project, volume_id).await?;
        let info = self
            .connect_reserved(context, volume_id, &attachment_id)
            .await?;
        self.report_volume(context, report(&attachment_id, &info.to_string()))
            .await;
        Ok(info)
    }

    /// Waits for the volume to be reserved again after its download, for
    /// `reimage_timeout_per_gb` per GiB of it.
    async fn wait_reimaged(&self, token: &str, project: &str, id: &str) -> Result<(), String> {
        let started = tokio::time::Instant::now();
        loop {
            let volume = self
                .volumes
                .volume(token, project, id)
                .await
                .map_err(|e| e.to_string())?;
            let status = volume["status"].as_str().unwrap_or_default();
            match status {
                "reserved" => return Ok(()),
                "error" => return Err(format!("Volume {id} could not be reimaged.")),
                _ => {}
            }
            let size = volume["size"].as_u64().unwrap_or(1).max(1) as u32;
            let deadline = self.reimage_timeout_per_gb * size;
            if started.elapsed() > deadline {
                return Err(format!(
                    "Volume {id} was not reimaged within {} seconds; its status is {status}.",
                    deadline.as_secs()
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }
}
