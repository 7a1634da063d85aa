//! Reclaiming soft-deleted servers: once a server has been SOFT_DELETED for
//! `reclaim_instance_interval`, its host deletes it — on the service user's
//! token, since no user's request does — ending its volumes' attachments.

use ferrostack_rpc::Context;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::Conductor;
use crate::db::entity::instance;
use crate::domain::volume_attachments;
use crate::rpc::agent;
use crate::rpc::messages::InstanceOp;

impl Conductor {
    /// Has the hosts of servers soft-deleted longer than `interval` delete
    /// them; returns how many were handed over.
    pub(super) async fn reclaim(
        &self,
        interval: std::time::Duration,
    ) -> crate::domain::Result<usize> {
        let cutoff = crate::domain::now()
            - chrono::Duration::from_std(interval).unwrap_or_else(|_| chrono::Duration::days(1));
        let due = instance::Entity::find()
            .filter(instance::Column::VmState.eq("soft-delete"))
            .filter(instance::Column::TaskState.is_null())
            .filter(instance::Column::Deleted.eq(false))
            .filter(instance::Column::UpdatedAt.lt(cutoff))
            .all(&self.db)
            .await?;
        let token = match &self.auth {
            Some(auth) => auth.service_token().await.unwrap_or_else(|e| {
                tracing::warn!("reclaiming without a service token: {e}");
                String::new()
            }),
            None => String::new(),
        };
        let mut reclaimed = 0;
        for row in due {
            let claimed = instance::Entity::update_many()
                .col_expr(instance::Column::TaskState, Expr::value("deleting"))
                .filter(instance::Column::Uuid.eq(&row.uuid))
                .filter(instance::Column::VmState.eq("soft-delete"))
                .filter(instance::Column::TaskState.is_null())
                .exec(&self.db)
                .await?;
            if claimed.rows_affected == 0 {
                continue;
            }
            let context = Context {
                auth_token: token.clone(),
                project_id: row.project_id.clone(),
                ..Context::internal()
            };
            let op = InstanceOp {
                uuid: row.uuid.clone(),
                op: "delete".into(),
                volumes: volume_attachments::to_release(&self.db, &row.uuid).await?,
                vifs_json: crate::domain::servers::networks::stored_json(&self.db, &row.uuid)
                    .await?,
            };
            let host = row.host.clone().unwrap_or_default();
            if let Err(e) = self
                .agents
                .cast::<agent::Operate>(&context, Some(&host), &op)
                .await
            {
                tracing::warn!(instance = row.uuid, host, "not reclaimed yet: {e}");
                instance::Entity::update_many()
                    .col_expr(
                        instance::Column::TaskState,
                        Expr::value(Option::<String>::None),
                    )
                    .filter(instance::Column::Uuid.eq(&row.uuid))
                    .exec(&self.db)
                    .await?;
                continue;
            }
            reclaimed += 1;
        }
        Ok(reclaimed)
    }
}
