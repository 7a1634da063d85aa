//! Volume snapshots the volume host asks a server's agent to make
//! (`os-assisted-volume-snapshots`: volumes whose data are files the guest's
//! hypervisor writes, such as NFS shares). The driver makes or merges the
//! snapshot; when it fails, the volume host hears so through the snapshot's status.

use ferrostack_rpc::{Context, RemoteError};
use serde_json::Value;

use super::manager::Agent;
use crate::rpc::messages::AssistedSnapshot;

impl Agent {
    /// `volume_snapshot_create`: a failure sets the snapshot `error`.
    pub(super) async fn volume_snapshot_create(
        &self,
        context: Context,
        request: AssistedSnapshot,
    ) -> Result<(), RemoteError> {
        let info = serde_json::from_str(&request.info_json).unwrap_or(Value::Null);
        if let Err(e) = self
            .driver
            .volume_snapshot_create(&request.uuid, &request.device, &info)
            .await
        {
            self.snapshot_failed(&context, &request, "error", &e.0)
                .await;
        }
        Ok(())
    }

    /// `volume_snapshot_delete`: a failure sets the snapshot `error_deleting`.
    pub(super) async fn volume_snapshot_delete(
        &self,
        context: Context,
        request: AssistedSnapshot,
    ) -> Result<(), RemoteError> {
        let info = serde_json::from_str(&request.info_json).unwrap_or(Value::Null);
        if let Err(e) = self
            .driver
            .volume_snapshot_delete(&request.uuid, &request.device, &request.snapshot_id, &info)
            .await
        {
            self.snapshot_failed(&context, &request, "error_deleting", &e.0)
                .await;
        }
        Ok(())
    }

    async fn snapshot_failed(
        &self,
        context: &Context,
        request: &AssistedSnapshot,
        status: &str,
        why: &str,
    ) {
        tracing::warn!(
            instance = request.uuid,
            snapshot = request.snapshot_id,
            "assisted volume snapshot failed: {why}"
        );
        let (token, project) = (&context.auth_token, &context.project_id);
        if let Err(e) = self
            .volumes
            .update_snapshot_status(token, project, &request.snapshot_id, status)
            .await
        {
            tracing::warn!(
                snapshot = request.snapshot_id,
                "the volume host was not told the snapshot failed: {e}"
            );
        }
    }
}
