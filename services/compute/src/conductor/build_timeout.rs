//! Builds that never finish — an agent killed mid-build, a cast lost — end in
//! ERROR once older than `[DEFAULT] instance_build_timeout`, with Nova's fault,
//! and give back what they held.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};

use crate::db::entity::{allocation, instance};
use crate::domain::actions;

/// The fault of a build that timed out (Nova's words).
const TIMED_OUT: &str = "Instance build timed out. Set to error state.";

/// Puts every server still building after `timeout` in ERROR; returns how many.
pub async fn fail_stuck_builds(
    db: &DatabaseConnection,
    timeout: std::time::Duration,
) -> crate::domain::Result<usize> {
    let cutoff = crate::domain::now()
        - chrono::Duration::from_std(timeout).unwrap_or_else(|_| chrono::Duration::days(1));
    let stuck = instance::Entity::find()
        .filter(instance::Column::VmState.eq("building"))
        .filter(instance::Column::Deleted.eq(false))
        .filter(instance::Column::CreatedAt.lt(cutoff))
        .all(db)
        .await?;
    let mut failed = 0;
    for row in stuck {
        // The error and its fault land together: no reader sees one alone.
        let txn = db.begin().await?;
        let changed = instance::Entity::update_many()
            .col_expr(instance::Column::VmState, Expr::value("error"))
            .col_expr(
                instance::Column::TaskState,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                instance::Column::UpdatedAt,
                Expr::value(crate::domain::now()),
            )
            .filter(instance::Column::Uuid.eq(&row.uuid))
            .filter(instance::Column::VmState.eq("building"))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 0 {
            continue;
        }
        allocation::Entity::delete_many()
            .filter(allocation::Column::ConsumerUuid.eq(&row.uuid))
            .exec(&txn)
            .await?;
        actions::add_fault(&txn, &row.uuid, 500, TIMED_OUT, row.host.as_deref()).await?;
        txn.commit().await?;
        tracing::warn!(instance = row.uuid, "build timed out");
        failed += 1;
    }
    Ok(failed)
}
