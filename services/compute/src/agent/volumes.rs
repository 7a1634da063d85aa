//! Volumes on an agent's servers, as Nova's compute manager does them with
//! Cinder's attachments API: the reserved attachment connected to this host's
//! connector, the driver told, the attachment completed; detached in reverse;
//! and what a deleted server held ended (its own volumes deleted).

use ferrostack_rpc::{Context, RemoteError};
use serde_json::{json, Value};

use super::manager::{unix_now, Agent};
use crate::rpc::conductor;
use crate::rpc::messages::{AttachedVolume, VolumeAttach, VolumeUpdate};

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

    async fn report_volume(&self, context: &Context, update: VolumeUpdate) {
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

    /// Ends the attachments of a deleted server's volumes and deletes those it
    /// owned; a failure is logged, never keeps the server.
    pub(super) async fn release_volumes(&self, context: &Context, volumes: &[AttachedVolume]) {
        let (token, project) = (&context.auth_token, &context.project_id);
        for volume in volumes {
            let mut ended = self
                .volumes
                .release(token, project, &volume.attachment_id)
                .await;
            if ended.is_ok() && volume.delete_on_termination {
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
