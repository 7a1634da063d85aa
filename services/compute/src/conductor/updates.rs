//! What agents report about their servers: a server's new state after an
//! operation (ACTIVE after a build, SHUTOFF after a stop...), the fault of a
//! failed one, the event that ends the request's action, and a deleted
//! server's resources given back.

use ferrostack_rpc::{Context, RemoteError};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

use super::{internal, Conductor};
use crate::db::entity::instance;
use crate::domain::actions::{self, EventEnd};
use crate::domain::servers::networks;
use crate::rpc::messages::InstanceUpdate;

/// The event of a build's outcome.
const BUILD_EVENT: &str = "compute__do_build_and_run_instance";

impl Conductor {
    /// `instance_update`.
    pub(super) async fn instance_update(
        &self,
        ctx: Context,
        update: InstanceUpdate,
    ) -> Result<(), RemoteError> {
        self.apply(&ctx, &update).await.map_err(internal)
    }

    async fn apply(&self, ctx: &Context, update: &InstanceUpdate) -> crate::domain::Result<()> {
        let now = crate::domain::now();
        let Some(row) = instance::Entity::find_by_id(&update.uuid)
            .one(&self.db)
            .await?
        else {
            return Ok(());
        };
        let mut columns: Vec<(instance::Column, SimpleExpr)> = vec![
            (
                instance::Column::TaskState,
                Expr::value(Option::<String>::None),
            ),
            (instance::Column::UpdatedAt, Expr::value(now)),
        ];
        if update.deleted {
            self.release(&update.uuid).await?;
            crate::domain::volume_attachments::forget(&self.db, &update.uuid).await?;
            crate::domain::consoles::forget_tokens(&self.db, &update.uuid).await?;
            columns.extend([
                (instance::Column::VmState, Expr::value("deleted")),
                (instance::Column::PowerState, Expr::value(0)),
                (instance::Column::Deleted, Expr::value(true)),
                (instance::Column::DeletedAt, Expr::value(now)),
                (instance::Column::TerminatedAt, Expr::value(now)),
            ]);
        } else {
            columns.extend([
                (instance::Column::VmState, Expr::value(&update.vm_state)),
                (
                    instance::Column::PowerState,
                    Expr::value(update.power_state),
                ),
            ]);
            if update.launched {
                columns.push((instance::Column::LaunchedAt, Expr::value(now)));
            }
            if update.offloaded {
                self.release(&update.uuid).await?;
                crate::domain::consoles::forget_tokens(&self.db, &update.uuid).await?;
                columns.extend([
                    (instance::Column::Host, Expr::value(Option::<String>::None)),
                    (instance::Column::Node, Expr::value(Option::<String>::None)),
                ]);
            }
        }
        let mut query = instance::Entity::update_many();
        for (column, value) in columns {
            query = query.col_expr(column, value);
        }
        // A server deleted meanwhile stays deleted; a build's outcome only
        // lands while the server is still building (not after its timeout).
        let mut query = query
            .filter(instance::Column::Uuid.eq(&update.uuid))
            .filter(instance::Column::Deleted.eq(false));
        if update.event == BUILD_EVENT {
            query = query.filter(instance::Column::VmState.eq("building"));
        }
        if update.event == crate::agent::UNSHELVE_EVENT && update.launched {
            query = query.filter(instance::Column::TaskState.eq("spawning"));
        }
        // The new state and its fault land together: no reader sees an
        // ERROR server without its fault.
        let txn = self.db.begin().await?;
        let changed = query.exec(&txn).await?;
        let failure = (!update.fault.is_empty()).then_some(update.fault.as_str());
        let failed = failure.is_some() && update.vm_state == "error" && changed.rows_affected == 1;
        if let (true, Some(fault)) = (failed, failure) {
            actions::add_fault(&txn, &update.uuid, 500, fault, row.host.as_deref()).await?;
        }
        let vifs = networks::parse_vifs(Some(&update.vifs_json));
        if !vifs.is_empty() && changed.rows_affected == 1 {
            networks::store(&txn, &update.uuid, &vifs).await?;
        }
        txn.commit().await?;
        if !vifs.is_empty() && changed.rows_affected == 0 {
            // Deleted (or timed out) while its ports were made: they go too.
            let gone = instance::Entity::find_by_id(&update.uuid)
                .one(&self.db)
                .await?
                .is_none_or(|r| r.deleted);
            if gone || update.event == BUILD_EVENT {
                networks::deallocate(&self.networks, &ctx.auth_token, &vifs).await;
            }
        }
        // A build (or an unshelve) that failed holds nothing on its host.
        if failed && (row.launched_at.is_none() || update.event == crate::agent::UNSHELVE_EVENT) {
            self.release(&update.uuid).await?;
        }
        if !update.event.is_empty() {
            let started = chrono::DateTime::from_timestamp(update.started_at, 0)
                .map_or(now, |t| t.naive_utc());
            actions::end_event(
                &self.db,
                &EventEnd {
                    instance_uuid: &update.uuid,
                    request_id: &ctx.request_id,
                    event: &update.event,
                    started_at: started,
                    failure,
                    host: row.host.as_deref(),
                },
            )
            .await?;
        }
        Ok(())
    }
}
