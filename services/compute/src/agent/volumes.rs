//! Volumes on an agent's servers, as Nova's compute manager does them with
//! Cinder's attachments API: the reserved attachment connected to this host's
//! connector, the driver told, the attachment completed; detached in reverse;
//! and what a deleted server held ended (its own volumes deleted).

use ferrostack_rpc::{Context, RemoteError};
use serde_json::{json, Value};

use super::manager::{unix_now, Agent};
use crate::rpc::conductor;
use crate::rpc::messages::{
    AttachedVolume, BlockDevice, BuildInstance, VolumeAttach, VolumeUpdate,
};

impl Agent {
    /// What this host tells a volume host about itself (os-brick's connector).
    pub(super) fn connector(&self) -> Value {
        json!({
            "platform": std::env::consts::ARCH,
            "os_type": std::env::consts::OS,
            "ip": self.my_ip,
            "host": self.host,
            "multipath": false,
            "initiator": format!("iqn.2004-10.org.ferrostack:{}", self.host),
        })
    }

    pub(super) async fn report_volume(&self, context: &Context, update: VolumeUpdate) {
        if let Err(e) = self
            .conductor
            .call::<conductor::VolumeUpdate>(context, None, &update)
            .await
        {
            tracing::warn!(
                instance = update.uuid,
                "volume not reported to the conductor: {e}"
            );
        }
    }

    /// `attach_volume`: connect, attach, complete; on a failure the
    /// attachment is ended and the mapping dropped.
    pub(super) async fn attach_volume(
        &self,
        context: Context,
        request: VolumeAttach,
    ) -> Result<(), RemoteError> {
        let started_at = unix_now();
        let volume = request.volume.unwrap_or_default();
        let (token, project) = (&context.auth_token, &context.project_id);
        let attached = async {
            let info = self
                .volumes
                .connect(token, project, &volume.attachment_id, &self.connector())
                .await
                .map_err(|e| e.to_string())?;
            self.driver
                .attach_volume(&request.uuid, &volume.device, &info)
                .await
                .map_err(|e| e.to_string())?;
            if let Err(e) = self
                .volumes
                .complete(token, project, &volume.attachment_id)
                .await
            {
                let _ = self
                    .driver
                    .detach_volume(&request.uuid, &volume.device)
                    .await;
                return Err(e.to_string());
            }
            Ok::<Value, String>(info)
        }
        .await;
        let mut update = VolumeUpdate {
            uuid: request.uuid.clone(),
            volume_id: volume.volume_id.clone(),
            event: "compute_attach_volume".into(),
            started_at,
            ..Default::default()
        };
        match attached {
            Ok(info) => update.connection_info_json = info.to_string(),
            Err(e) => {
                tracing::warn!(
                    instance = request.uuid,
                    volume = volume.volume_id,
                    "attach failed: {e}"
                );
                if let Err(e) = self
                    .volumes
                    .release(token, project, &volume.attachment_id)
                    .await
                {
                    tracing::warn!(volume = volume.volume_id, "attachment left behind: {e}");
                }
                update.removed = true;
                update.fault = format!("Failed to attach volume {}: {e}", volume.volume_id);
            }
        }
        self.report_volume(&context, update).await;
        Ok(())
    }

    /// `detach_volume`: the driver lets go, then the attachment ends.
    pub(super) async fn detach_volume(
        &self,
        context: Context,
        request: VolumeAttach,
    ) -> Result<(), RemoteError> {
        let started_at = unix_now();
        let volume = request.volume.unwrap_or_default();
        let (token, project) = (&context.auth_token, &context.project_id);
        let detached = match self
            .driver
            .detach_volume(&request.uuid, &volume.device)
            .await
        {
            Ok(()) => self
                .volumes
                .release(token, project, &volume.attachment_id)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let mut update = VolumeUpdate {
            uuid: request.uuid.clone(),
            volume_id: volume.volume_id.clone(),
            event: "compute_detach_volume".into(),
            started_at,
            ..Default::default()
        };
        match detached {
            Ok(()) => update.removed = true,
            Err(e) => {
                tracing::warn!(
                    instance = request.uuid,
                    volume = volume.volume_id,
                    "detach failed: {e}"
                );
                // The volume stays attached: back from detaching to in-use.
                let _ = self
                    .volumes
                    .detaching(token, project, &volume.volume_id, false)
                    .await;
                update.fault = format!("Failed to detach volume {}: {e}", volume.volume_id);
            }
        }
        self.report_volume(&context, update).await;
        Ok(())
    }

    /// The volumes a build needs, each made first when it has none yet
    /// (reported at once, so that the server's deletion finds it), then
    /// reserved for the server, connected to this host and completed: each
    /// device with its connection info.
    pub(super) async fn prepare_block_devices(
        &self,
        context: &Context,
        build: &BuildInstance,
    ) -> Result<Vec<(String, Value)>, String> {
        let mut connected = Vec::new();
        for device in &build.block_devices {
            let info = self
                .prepare_block_device(context, &build.uuid, device)
                .await?;
            connected.push((device.device.clone(), info));
        }
        Ok(connected)
    }

    async fn prepare_block_device(
        &self,
        context: &Context,
        uuid: &str,
        device: &BlockDevice,
    ) -> Result<Value, String> {
        let (token, project) = (&context.auth_token, &context.project_id);
        let report = |volume_id: &str, attachment_id: &str, info: &str| VolumeUpdate {
            uuid: uuid.to_string(),
            bdm_uuid: device.bdm_uuid.clone(),
            volume_id: volume_id.to_string(),
            attachment_id: attachment_id.to_string(),
            connection_info_json: info.to_string(),
            ..Default::default()
        };
        let mut volume_id = device.volume_id.clone();
        if volume_id.is_empty() {
            let mut volume = json!({"size": device.volume_size, "name": ""});
            match device.source_type.as_str() {
                "image" => volume["imageRef"] = json!(device.image_id),
                "snapshot" => volume["snapshot_id"] = json!(device.snapshot_id),
                _ => {}
            }
            volume_id = self
                .volumes
                .create(token, project, volume)
                .await
                .map_err(|e| format!("Volume of {} could not be created: {e}", device.device))?;
            self.report_volume(context, report(&volume_id, "", ""))
                .await;
            self.wait_available(token, project, &volume_id).await?;
        }
        if !device.attachment_id.is_empty() {
            self.volumes
                .release(token, project, &device.attachment_id)
                .await
                .map_err(|e| {
                    format!("Volume {volume_id} could not be released from its old host: {e}")
                })?;
        }
        let attachment_id = self
            .volumes
            .reserve(token, project, &volume_id, uuid)
            .await
            .map_err(|e| format!("Volume {volume_id} could not be reserved: {e}"))?;
        self.report_volume(context, report(&volume_id, &attachment_id, ""))
            .await;
        let info = self
            .connect_reserved(context, &volume_id, &attachment_id)
            .await?;
        self.report_volume(
            context,
            report(&volume_id, &attachment_id, &info.to_string()),
        )
        .await;
        Ok(info)
    }

    /// Connects reserved attachment `attachment_id` of `volume_id` to this
    /// host and completes it: the connection info.
    pub(super) async fn connect_reserved(
        &self,
        context: &Context,
        volume_id: &str,
        attachment_id: &str,
    ) -> Result<Value, String> {
        let (token, project) = (&context.auth_token, &context.project_id);
        let info = self
            .volumes
            .connect(token, project, attachment_id, &self.connector())
            .await
            .map_err(|e| format!("Volume {volume_id} could not be connected: {e}"))?;
        self.volumes
            .complete(token, project, attachment_id)
            .await
            .map_err(|e| format!("Volume {volume_id} could not be attached: {e}"))?;
        Ok(info)
    }

    /// Waits for a volume being made to be available (Nova's
    /// `block_device_allocate_retries`: 60 checks 3 seconds apart).
    async fn wait_available(&self, token: &str, project: &str, id: &str) -> Result<(), String> {
        const CHECKS: u32 = 360;
        let mut status = String::new();
        for _ in 0..CHECKS {
            let volume = self
                .volumes
                .volume(token, project, id)
                .await
                .map_err(|e| e.to_string())?;
            status = volume["status"].as_str().unwrap_or_default().to_string();
            match status.as_str() {
                "available" => return Ok(()),
                "error" => break,
                _ => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
            }
        }
        Err(format!(
            "Volume {id} did not finish being created even after we waited 180 seconds or {CHECKS} attempts. And its status is {status}."
        ))
    }

    /// Ends the attachments of a deleted server's volumes and deletes those it
    /// owned; a failure is logged, never keeps the server.
    pub(super) async fn release_volumes(&self, context: &Context, volumes: &[AttachedVolume]) {
        let (token, project) = (&context.auth_token, &context.project_id);
        for volume in volumes {
            let mut ended = Ok(());
            if !volume.attachment_id.is_empty() {
                ended = self
                    .volumes
                    .release(token, project, &volume.attachment_id)
                    .await;
            }
            if ended.is_ok() && volume.delete_on_termination && !volume.volume_id.is_empty() {
                ended = self.volumes.delete(token, project, &volume.volume_id).await;
            }
            if let Err(e) = ended {
                tracing::warn!(
                    volume = volume.volume_id,
                    "volume of a deleted server left behind: {e}"
                );
            }
        }
    }
}
