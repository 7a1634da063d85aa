//! `os-assisted-volume-snapshots` (admin and service users): the volume host
//! asks the hypervisor of the server a volume is attached to for a snapshot,
//! or for one to be deleted; the server's agent does it, after the answer.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use super::servers::ops::invalid_state;
use crate::db::entity::{block_device_mapping as bdm, instance};
use crate::domain::{Caller, Nova, NovaError, Result};
use crate::rpc::agent;
use crate::rpc::messages::AssistedSnapshot;

/// Which of the two a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotStep {
    Create,
    Delete,
}

impl SnapshotStep {
    fn rule(self) -> &'static str {
        match self {
            SnapshotStep::Create => "os_compute_api:os-assisted-volume-snapshots:create",
            SnapshotStep::Delete => "os_compute_api:os-assisted-volume-snapshots:delete",
        }
    }

    fn method(self) -> &'static str {
        match self {
            SnapshotStep::Create => "volume_snapshot_create",
            SnapshotStep::Delete => "volume_snapshot_delete",
        }
    }
}

impl Nova {
    /// Has the agent of the server `volume_id` is attached to make (`Create`,
    /// `info` the create_info) or delete (`Delete`, `info` the delete_info)
    /// snapshot `snapshot_id`. The volume must be attached to exactly one
    /// server, which must be on a host with no task under way (400 otherwise,
    /// as Nova).
    pub async fn assisted_snapshot(
        &self,
        caller: &Caller,
        step: SnapshotStep,
        volume_id: &str,
        snapshot_id: &str,
        info: &Value,
    ) -> Result<()> {
        self.authorize(caller, step.rule(), &json!({}))?;
        let mut mappings = bdm::Entity::find()
            .filter(bdm::Column::VolumeId.eq(volume_id))
            .all(&self.db)
            .await?;
        let mapping = match mappings.len() {
            0 => {
                return Err(NovaError::BadRequest(format!(
                    "No volume Block Device Mapping with id {volume_id}."
                )))
            }
            1 => mappings.remove(0),
            _ => {
                return Err(NovaError::BadRequest(format!(
                    "Block Device Mapping {volume_id} is a multi-attach volume and is not valid for this operation."
                )))
            }
        };
        let row = instance::Entity::find_by_id(mapping.instance_uuid.clone())
            .filter(instance::Column::Deleted.eq(false))
            .one(&self.db)
            .await?
            .ok_or_else(|| {
                NovaError::BadRequest(format!(
                    "No volume Block Device Mapping with id {volume_id}."
                ))
            })?;
        let Some(host) = row
            .host
            .clone()
            .filter(|_| row.vm_state != "shelved_offloaded")
        else {
            return Err(NovaError::BadRequest(format!(
                "Instance {} is not ready",
                row.uuid
            )));
        };
        if row.task_state.is_some() {
            return Err(NovaError::BadRequest(
                invalid_state(step.method(), &row).to_string(),
            ));
        }
        let request = AssistedSnapshot {
            uuid: row.uuid.clone(),
            volume_id: volume_id.to_string(),
            device: mapping.device_name.clone(),
            snapshot_id: snapshot_id.to_string(),
            info_json: info.to_string(),
        };
        let context = caller.rpc_context();
        let sent = match step {
            SnapshotStep::Create => {
                self.agents
                    .cast::<agent::VolumeSnapshotCreate>(&context, Some(&host), &request)
                    .await
            }
            SnapshotStep::Delete => {
                self.agents
                    .cast::<agent::VolumeSnapshotDelete>(&context, Some(&host), &request)
                    .await
            }
        };
        sent.map_err(|e| {
            NovaError::Internal(format!("the compute host {host} is unreachable: {e}"))
        })
    }
}
