//! Volumes attached to servers (`os-volume_attachments`), as Nova does it
//! with Cinder's attachments API: the api checks the server and the volume,
//! reserves an attachment for the server and records the mapping with its
//! device, then the server's agent connects it; detaching marks the volume
//! detaching and the agent disconnects it and ends the attachment.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::servers::ops::invalid_state;
use crate::db::entity::{block_device_mapping as bdm, instance};
use crate::domain::{now, Caller, Nova, NovaError, Result};
use crate::rpc::agent;
use crate::rpc::messages::{AttachedVolume, VolumeAttach};
use crate::volume_api::VolumeApiError;

/// The vm_states a volume may be attached or detached in (task_state none).
const VOLUME_STATES: &[&str] = &[
    "active",
    "paused",
    "stopped",
    "resized",
    "soft-delete",
    "shelved",
    "shelved_offloaded",
];

/// What `POST /servers/{id}/os-volume_attachments` asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttachRequest {
    pub volume_id: String,
    /// A device the caller would like; like libvirt, the next free one is used.
    pub device: Option<String>,
    /// 2.49.
    pub tag: Option<String>,
    /// 2.79.
    pub delete_on_termination: bool,
    /// 2.60: multiattach volumes may be attached.
    pub multiattach_allowed: bool,
    /// 2.20: shelved servers take volumes.
    pub shelved_allowed: bool,
}

/// The mappings of these servers, by server.
pub async fn mapped<C: ConnectionTrait>(
    db: &C,
    uuids: &[String],
) -> Result<BTreeMap<String, Vec<bdm::Model>>> {
    let mut by_server: BTreeMap<String, Vec<bdm::Model>> = BTreeMap::new();
    for chunk in uuids.chunks(500) {
        for row in bdm::Entity::find()
            .filter(bdm::Column::InstanceUuid.is_in(chunk.iter().cloned()))
            .order_by_asc(bdm::Column::CreatedAt)
            .order_by_asc(bdm::Column::DeviceName)
            .all(db)
            .await?
        {
            by_server
                .entry(row.instance_uuid.clone())
                .or_default()
                .push(row);
        }
    }
    Ok(by_server)
}

/// Drops the mappings of a deleted server.
pub async fn forget<C: ConnectionTrait>(db: &C, uuid: &str) -> Result<()> {
    bdm::Entity::delete_many()
        .filter(bdm::Column::InstanceUuid.eq(uuid))
        .exec(db)
        .await?;
    Ok(())
}

/// What the agent deleting server `uuid` ends of its volumes.
pub async fn to_release<C: ConnectionTrait>(db: &C, uuid: &str) -> Result<Vec<AttachedVolume>> {
    Ok(mapped(db, std::slice::from_ref(&uuid.to_string()))
        .await?
        .remove(uuid)
        .unwrap_or_default()
        .iter()
        .map(attached)
        .collect())
}

/// What an agent needs to know of a mapping.
pub fn attached(row: &bdm::Model) -> AttachedVolume {
    AttachedVolume {
        volume_id: row.volume_id.clone().unwrap_or_default(),
        attachment_id: row.attachment_id.clone().unwrap_or_default(),
        delete_on_termination: row.delete_on_termination,
        device: row.device_name.clone(),
    }
}

/// The first `/dev/vdX` after the root disk that no mapping uses.
fn next_device(used: &[bdm::Model]) -> Option<String> {
    (b'b'..=b'z')
        .map(|c| format!("/dev/vd{}", c as char))
        .find(|d| used.iter().all(|m| &m.device_name != d))
}

pub(crate) fn volume_error(volume_id: &str, e: VolumeApiError) -> NovaError {
    match e {
        VolumeApiError::NotFound => {
            NovaError::NotFound(format!("Volume {volume_id} could not be found."))
        }
        VolumeApiError::Refused(message) => NovaError::BadRequest(message),
        VolumeApiError::Unavailable(_) => NovaError::Unavailable(e.to_string()),
    }
}

fn check_state(method: &str, row: &instance::Model) -> Result<()> {
    if !VOLUME_STATES.contains(&row.vm_state.as_str()) || row.task_state.is_some() {
        return Err(invalid_state(method, row));
    }
    Ok(())
}

impl Nova {
    /// The mappings of server `uuid`.
    pub(super) async fn mappings(&self, uuid: &str) -> Result<Vec<bdm::Model>> {
        Ok(mapped(&self.db, &[uuid.to_string()])
            .await?
            .remove(uuid)
            .unwrap_or_default())
    }

    /// `GET /servers/{id}/os-volume_attachments`: the volumes it has (not
    /// those its build has yet to make).
    pub async fn volume_attachments(&self, caller: &Caller, id: &str) -> Result<Vec<bdm::Model>> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-volumes-attachments:index")
            .await?;
        let mut mappings = self.mappings(&row.uuid).await?;
        mappings.retain(|m| m.volume_id.is_some());
        Ok(mappings)
    }

    /// `GET /servers/{id}/os-volume_attachments/{volume_id}`.
    pub async fn volume_attachment(
        &self,
        caller: &Caller,
        id: &str,
        volume_id: &str,
    ) -> Result<bdm::Model> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-volumes-attachments:show")
            .await?;
        self.mappings(&row.uuid)
            .await?
            .into_iter()
            .find(|m| m.volume_id.as_deref() == Some(volume_id))
            .ok_or_else(|| NovaError::NotFound(format!("volume_id not found: {volume_id}")))
    }

    /// `POST /servers/{id}/os-volume_attachments`: the mapping, once reserved.
    pub async fn attach_volume(
        &self,
        caller: &Caller,
        id: &str,
        request: AttachRequest,
    ) -> Result<bdm::Model> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-volumes-attachments:create")
            .await?;
        Self::check_unlocked(caller, &row)?;
        let shelved = row.vm_state.starts_with("shelved");
        if shelved && !request.shelved_allowed {
            return Err(invalid_state("attach_volume", &row));
        }
        check_state("attach_volume", &row)?;
        let mappings = self.mappings(&row.uuid).await?;
        let volume_id = &request.volume_id;
        if mappings
            .iter()
            .any(|m| m.volume_id.as_ref() == Some(volume_id))
        {
            return Err(NovaError::BadRequest(format!(
                "Invalid volume: volume {volume_id} already attached"
            )));
        }
        let (token, project) = (&caller.ctx.token.0, caller.project());
        let volume = self
            .volumes
            .volume(token, project, volume_id)
            .await
            .map_err(|e| volume_error(volume_id, e))?;
        if volume["multiattach"] == true && !request.multiattach_allowed {
            return Err(NovaError::BadRequest(
                "Multiattach volumes are only supported starting with compute API version 2.60."
                    .into(),
            ));
        }
        let device = next_device(&mappings).ok_or_else(|| {
            NovaError::BadRequest("Invalid device path: no free device is left".into())
        })?;
        let attachment_id = self
            .volumes
            .reserve(token, project, volume_id, &row.uuid)
            .await
            .map_err(|e| volume_error(volume_id, e))?;
        let now = now();
        let mapping = bdm::Model {
            uuid: uuid::Uuid::new_v4().to_string(),
            instance_uuid: row.uuid.clone(),
            source_type: "volume".into(),
            image_id: None,
            snapshot_id: None,
            volume_size: None,
            volume_id: Some(volume_id.clone()),
            attachment_id: Some(attachment_id.clone()),
            device_name: device,
            boot_index: None,
            tag: request.tag,
            delete_on_termination: request.delete_on_termination,
            connection_info: None,
            created_at: now,
            updated_at: now,
        };
        let active: bdm::ActiveModel = mapping.clone().into();
        if bdm::Entity::insert(active).exec(&self.db).await.is_err() {
            // Another request attached it meanwhile (one mapping per volume).
            let _ = self.volumes.release(token, project, &attachment_id).await;
            return Err(NovaError::BadRequest(format!(
                "Invalid volume: volume {volume_id} already attached"
            )));
        }
        let request_id = self.record_action(caller, &row, "attach_volume").await?;
        let Some(host) = row
            .host
            .clone()
            .filter(|_| row.vm_state != "shelved_offloaded")
        else {
            // No host to connect it to: attached once the server has one.
            self.volumes
                .complete(token, project, &attachment_id)
                .await
                .map_err(|e| volume_error(volume_id, e))?;
            return Ok(mapping);
        };
        let mut context = caller.rpc_context();
        context.request_id = request_id;
        let cast = self
            .agents
            .cast::<agent::AttachVolume>(
                &context,
                Some(&host),
                &VolumeAttach {
                    uuid: row.uuid.clone(),
                    volume: Some(attached(&mapping)),
                },
            )
            .await;
        if let Err(e) = cast {
            let _ = self.volumes.release(token, project, &attachment_id).await;
            bdm::Entity::delete_by_id(mapping.uuid.clone())
                .exec(&self.db)
                .await?;
            return Err(NovaError::Internal(format!(
                "the compute host {host} is unreachable: {e}"
            )));
        }
        Ok(mapping)
    }

    /// `DELETE /servers/{id}/os-volume_attachments/{volume_id}`.
    pub async fn detach_volume(&self, caller: &Caller, id: &str, volume_id: &str) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-volumes-attachments:delete")
            .await?;
        Self::check_unlocked(caller, &row)?;
        check_state("detach_volume", &row)?;
        let mapping = self
            .mappings(&row.uuid)
            .await?
            .into_iter()
            .find(|m| m.volume_id.as_deref() == Some(volume_id))
            .ok_or_else(|| NovaError::NotFound(format!("volume_id not found: {volume_id}")))?;
        if mapping.boot_index == Some(0) {
            return Err(NovaError::BadRequest(
                "Cannot detach a root device volume".into(),
            ));
        }
        let (token, project) = (&caller.ctx.token.0, caller.project());
        self.volumes
            .detaching(token, project, volume_id, true)
            .await
            .map_err(|e| volume_error(volume_id, e))?;
        let request_id = self.record_action(caller, &row, "detach_volume").await?;
        let Some(host) = row
            .host
            .clone()
            .filter(|_| row.vm_state != "shelved_offloaded")
        else {
            let attachment = mapping.attachment_id.clone().unwrap_or_default();
            self.volumes
                .release(token, project, &attachment)
                .await
                .map_err(|e| volume_error(volume_id, e))?;
            bdm::Entity::delete_by_id(mapping.uuid)
                .exec(&self.db)
                .await?;
            return Ok(());
        };
        let mut context = caller.rpc_context();
        context.request_id = request_id;
        self.agents
            .cast::<agent::DetachVolume>(
                &context,
                Some(&host),
                &VolumeAttach {
                    uuid: row.uuid.clone(),
                    volume: Some(attached(&mapping)),
                },
            )
            .await
            .map_err(|e| {
                NovaError::Internal(format!("the compute host {host} is unreachable: {e}"))
            })
    }

    /// Ends the attachments of a server deleted here (its host down or never
    /// reached) and deletes the volumes it owned; then forgets its mappings.
    pub(crate) async fn release_volumes_here(&self, caller: &Caller, uuid: &str) -> Result<()> {
        let (token, project) = (&caller.ctx.token.0, caller.project());
        for mapping in self.mappings(uuid).await? {
            let mut ended = Ok(());
            if let Some(attachment) = &mapping.attachment_id {
                ended = self.volumes.release(token, project, attachment).await;
            }
            if let (Ok(()), true, Some(volume_id)) =
                (&ended, mapping.delete_on_termination, &mapping.volume_id)
            {
                ended = self.volumes.delete(token, project, volume_id).await;
            }
            if let Err(e) = ended {
                tracing::warn!(
                    volume = mapping.volume_id,
                    "volume of a deleted server left behind: {e}"
                );
            }
        }
        forget(&self.db, uuid).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(device: &str) -> bdm::Model {
        bdm::Model {
            uuid: String::new(),
            instance_uuid: String::new(),
            source_type: "volume".into(),
            image_id: None,
            snapshot_id: None,
            volume_size: None,
            volume_id: None,
            attachment_id: None,
            device_name: device.into(),
            boot_index: None,
            tag: None,
            delete_on_termination: false,
            connection_info: None,
            created_at: chrono::NaiveDateTime::default(),
            updated_at: chrono::NaiveDateTime::default(),
        }
    }

    #[test]
    fn devices_follow_the_root_disk_and_fill_gaps() {
        assert_eq!(next_device(&[]).as_deref(), Some("/dev/vdb"));
        let used = [mapping("/dev/vdb"), mapping("/dev/vdd")];
        assert_eq!(next_device(&used).as_deref(), Some("/dev/vdc"));
        let full: Vec<_> = (b'b'..=b'z')
            .map(|c| mapping(&format!("/dev/vd{}", c as char)))
            .collect();
        assert_eq!(next_device(&full), None);
    }
}
