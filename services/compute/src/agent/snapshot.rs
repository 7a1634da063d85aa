//! `snapshot_instance`: a server's disk, as its driver gives it, uploaded into
//! the image the api created on the user's token; the server left in the
//! state it was in, the image deleted when the snapshot failed.

use ferrostack_rpc::{Context, RemoteError};

use super::manager::{unix_now, Agent};
use crate::rpc::messages::{InstanceUpdate, Snapshot};

impl Agent {
    pub(super) async fn snapshot(
        &self,
        context: Context,
        request: Snapshot,
    ) -> Result<(), RemoteError> {
        let started_at = unix_now();
        let token = &context.auth_token;
        let uploaded = match self.driver.snapshot(&request.uuid).await {
            Ok(data) => self
                .images
                .upload(token, &request.image_id, data)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let mut update = InstanceUpdate {
            uuid: request.uuid.clone(),
            vm_state: request.vm_state.clone(),
            power_state: request.power_state,
            event: "compute_snapshot_instance".into(),
            started_at,
            ..Default::default()
        };
        if let Err(e) = uploaded {
            tracing::warn!(
                instance = request.uuid,
                image = request.image_id,
                "snapshot failed: {e}"
            );
            self.images.delete(token, &request.image_id).await;
            update.fault = format!("Snapshot of instance {} failed: {e}", request.uuid);
        }
        self.report(&context, update).await;
        Ok(())
    }
}
