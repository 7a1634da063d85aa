//! `PUT /servers/{id}/os-volume_attachments/{volume_id}`: from 2.85 the
//! mapping's `delete_on_termination` changes (its other fields are shown but
//! immutable); a different `volumeId` (and every PUT before 2.85) asks to swap
//! the volume for another, which Nova lets only block storage do while it
//! migrates the old one.

use sea_orm::{ActiveModelTrait, Set};

use crate::db::entity::block_device_mapping as bdm;
use crate::domain::{Caller, Nova, NovaError, Result};
use crate::volume_api::VolumeApiError;

/// What the PUT's body says; `None` where a field was not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttachmentUpdate {
    /// The volume to have attached there (another one: a swap).
    pub volume_id: String,
    /// Before 2.85 a PUT only swaps.
    pub only_swap: bool,
    pub delete_on_termination: Option<bool>,
    /// The fields of the mapping's view, which must be as they are.
    pub id: Option<String>,
    pub server_id: Option<String>,
    pub device: Option<Option<String>>,
    pub tag: Option<String>,
}

/// 400 unless a field given equals what the mapping has.
fn immutable<T: PartialEq>(field: &str, given: Option<T>, current: T) -> Result<()> {
    match given {
        Some(given) if given != current => Err(NovaError::BadRequest(format!(
            "The {field} property is not mutable"
        ))),
        _ => Ok(()),
    }
}

impl Nova {
    /// Updates the mapping of `volume_id` on server `id`, then swaps when
    /// another volume is named.
    pub async fn update_volume_attachment(
        &self,
        caller: &Caller,
        id: &str,
        volume_id: &str,
        update: AttachmentUpdate,
    ) -> Result<()> {
        let swap = update.only_swap || update.volume_id != volume_id;
        let rule = if swap {
            "os_compute_api:os-volumes-attachments:swap"
        } else {
            "os_compute_api:os-volumes-attachments:update"
        };
        let row = self.server_row(caller, id, rule).await?;
        if !update.only_swap {
            let mapping = self
                .mappings(&row.uuid)
                .await?
                .into_iter()
                .find(|m| m.volume_id.as_deref() == Some(volume_id))
                .ok_or_else(|| {
                    NovaError::NotFound(format!(
                        "No volume Block Device Mapping with id {volume_id}."
                    ))
                })?;
            immutable("id", update.id.as_deref(), volume_id)?;
            immutable("serverId", update.server_id.as_deref(), row.uuid.as_str())?;
            immutable(
                "device",
                update.device.as_ref().map(Option::as_deref),
                Some(mapping.device_name.as_str()),
            )?;
            immutable(
                "tag",
                update.tag.as_deref().map(Some),
                mapping.tag.as_deref(),
            )?;
            if let Some(delete) = update.delete_on_termination {
                let mut active: bdm::ActiveModel = mapping.into();
                active.delete_on_termination = Set(delete);
                active.updated_at = Set(crate::domain::now());
                active.update(&self.db).await?;
            }
        }
        if swap {
            self.swap_volume(caller, volume_id, &update.volume_id)
                .await?;
        }
        Ok(())
    }

    /// Nova's checks before a swap: the old volume exists (404) and is
    /// migrating (409), the new one exists (400). Block storage here copies
    /// attached volumes itself and never asks, so a swap is then refused (501).
    async fn swap_volume(&self, caller: &Caller, old: &str, new: &str) -> Result<()> {
        let (token, project) = (&caller.ctx.token.0, caller.project());
        let old_volume = self
            .volumes
            .volume(token, project, old)
            .await
            .map_err(|e| match e {
                VolumeApiError::NotFound => {
                    NovaError::NotFound(format!("Volume {old} could not be found."))
                }
                other => NovaError::Unavailable(other.to_string()),
            })?;
        if old_volume["migration_status"]
            .as_str()
            .is_none_or(str::is_empty)
        {
            return Err(NovaError::Conflict(format!(
                "volume {old} is not migrating; this API should only be called by Cinder"
            )));
        }
        self.volumes
            .volume(token, project, new)
            .await
            .map_err(|e| match e {
                VolumeApiError::NotFound => {
                    NovaError::BadRequest(format!("Volume {new} could not be found."))
                }
                other => NovaError::Unavailable(other.to_string()),
            })?;
        Err(NovaError::NotImplemented(format!(
            "Swapping volume {old} for {new} is not supported: block storage here migrates attached volumes itself."
        )))
    }
}
