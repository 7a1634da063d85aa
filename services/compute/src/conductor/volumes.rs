//! What agents report about volumes: a mapping's connection info once its
//! volume is attached, the mapping dropped once detached (or never attached),
//! and the event that ends the request's action; for a build, the volume made
//! for a mapping and its attachment.

use ferrostack_rpc::{Context, RemoteError};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{internal, Conductor};
use crate::db::entity::{block_device_mapping as bdm, instance};
use crate::domain::actions::{self, EventEnd};
use crate::rpc::messages::VolumeUpdate;

impl Conductor {
    /// A build's mapping: the volume made for it, its attachment, its
    /// connection — each as soon as the host has it.
    async fn record_build_volume(&self, update: &VolumeUpdate) -> crate::domain::Result<()> {
        let mut query = bdm::Entity::update_many()
            .col_expr(bdm::Column::UpdatedAt, Expr::value(crate::domain::now()));
        let known = [
            (bdm::Column::VolumeId, &update.volume_id),
            (bdm::Column::AttachmentId, &update.attachment_id),
            (bdm::Column::ConnectionInfo, &update.connection_info_json),
        ];
        for (column, value) in known {
            if !value.is_empty() {
                query = query.col_expr(column, Expr::value(value.as_str()));
            }
        }
        query
            .filter(bdm::Column::Uuid.eq(&update.bdm_uuid))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// `volume_update`.
    pub(super) async fn volume_update(
        &self,
        ctx: Context,
        update: VolumeUpdate,
    ) -> Result<(), RemoteError> {
        self.apply_volume(&ctx, &update).await.map_err(internal)
    }

    async fn apply_volume(
        &self,
        ctx: &Context,
        update: &VolumeUpdate,
    ) -> crate::domain::Result<()> {
        let now = crate::domain::now();
        if !update.bdm_uuid.is_empty() {
            return self.record_build_volume(update).await;
        }
        let mapping = bdm::Entity::find()
            .filter(bdm::Column::InstanceUuid.eq(&update.uuid))
            .filter(bdm::Column::VolumeId.eq(&update.volume_id));
        if update.removed {
            bdm::Entity::delete_many()
                .filter(bdm::Column::InstanceUuid.eq(&update.uuid))
                .filter(bdm::Column::VolumeId.eq(&update.volume_id))
                .exec(&self.db)
                .await?;
        } else if !update.connection_info_json.is_empty() {
            if let Some(row) = mapping.one(&self.db).await? {
                bdm::Entity::update_many()
                    .col_expr(
                        bdm::Column::ConnectionInfo,
                        Expr::value(&update.connection_info_json),
                    )
                    .col_expr(bdm::Column::UpdatedAt, Expr::value(now))
                    .filter(bdm::Column::Uuid.eq(row.uuid))
                    .exec(&self.db)
                    .await?;
            }
        }
        let host = instance::Entity::find_by_id(&update.uuid)
            .one(&self.db)
            .await?
            .and_then(|row| row.host);
        let failure = (!update.fault.is_empty()).then_some(update.fault.as_str());
        if let Some(fault) = failure {
            actions::add_fault(&self.db, &update.uuid, 500, fault, host.as_deref()).await?;
        }
        let started =
            chrono::DateTime::from_timestamp(update.started_at, 0).map_or(now, |t| t.naive_utc());
        actions::end_event(
            &self.db,
            &EventEnd {
                instance_uuid: &update.uuid,
                request_id: &ctx.request_id,
                event: &update.event,
                started_at: started,
                failure,
                host: host.as_deref(),
            },
        )
        .await
    }
}
