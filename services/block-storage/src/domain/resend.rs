//! Work a crash took with it. On a bus whose messages die with the process (the
//! memory bus of `ferrostack up`, where every role runs in one process), a
//! crash loses the creates and deletes the api role had accepted and no volume
//! host had finished. When the roles start again, the api role sends them again
//! from what the database holds: creates to the scheduler (to the host they
//! were placed on, copies to their source's backend), deletes to the volume's host. The volume hosts' creates
//! leave data already made alone and their deletes are idempotent, so work a
//! host had finished but not reported is not done twice. A create from an image
//! cannot be sent again (the caller's token, which the download needs, is gone):
//! it fails, with a user message, as Cinder's volume service fails creates it
//! finds unfinished at start. On a broker the messages outlive the process and
//! the broker gives them out again: nothing is sent twice.

use crate::rpc::messages::{CreateVolume, UserMessage, VolumeSpec};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::volumes::volume_spec;
use super::{Cinder, Result};
use crate::db::entity::{snapshot, volume, volume_type};
use crate::rpc;

impl Cinder {
    /// Sends again the creates and deletes that died with a crash of this
    /// process; returns how many were sent (or failed).
    pub async fn resend_lost_work(&self) -> Result<usize> {
        let context = ferrostack_rpc::Context::internal();
        let lost = volume::Entity::find()
            .filter(volume::Column::Status.is_in(["creating", "deleting"]))
            .all(&self.db)
            .await?;
        for row in &lost {
            if row.status == "deleting" {
                tracing::info!(volume = row.id, "sending a lost delete again");
                self.finish_delete(&context, row).await?;
                continue;
            }
            let from_image = row.image_metadata.is_some()
                && row.snapshot_id.is_none()
                && row.source_volid.is_none();
            if from_image {
                tracing::warn!(
                    volume = row.id,
                    "a create from an image was cut off by a restart; it failed"
                );
                self.set_status(&row.id, "error").await?;
                let what = UserMessage {
                    action_id: "005".into(),
                    detail_id: "001".into(),
                };
                self.record_message(&row.project_id, "", "VOLUME", &row.id, &what)
                    .await;
                continue;
            }
            let Some(kind) = volume_type::Entity::find_by_id(row.volume_type_id.as_str())
                .one(&self.db)
                .await?
            else {
                self.set_status(&row.id, "error").await?;
                continue;
            };
            // To the host it was placed on, when it was.
            let host = match &row.host {
                Some(host) => host.clone(),
                None => self.source_host(row).await?,
            };
            tracing::info!(volume = row.id, "sending a lost create again");
            let create = CreateVolume {
                volume: Some(VolumeSpec {
                    disabled_hosts: self.disabled_backends().await?,
                    ..volume_spec(row, &kind, host)
                }),
            };
            if let Err(e) = self
                .scheduler
                .cast::<rpc::scheduler::CreateVolume>(&context, None, &create)
                .await
            {
                tracing::error!(volume = row.id, "scheduler unreachable: {e}");
                self.set_status(&row.id, "error").await?;
            }
        }
        Ok(lost.len())
    }

    /// The backend of a copy's source (empty for volumes that copy nothing).
    async fn source_host(&self, row: &volume::Model) -> Result<String> {
        let source = match (&row.snapshot_id, &row.source_volid) {
            (Some(snap), _) => match snapshot::Entity::find_by_id(snap.as_str())
                .one(&self.db)
                .await?
            {
                Some(snap) => Some(snap.volume_id),
                None => None,
            },
            (None, Some(volume)) => Some(volume.clone()),
            (None, None) => None,
        };
        let Some(source) = source else {
            return Ok(String::new());
        };
        Ok(volume::Entity::find_by_id(source.as_str())
            .one(&self.db)
            .await?
            .and_then(|v| v.host)
            .unwrap_or_default())
    }
}
