//! Serializes the quota claims of one project, so that counting what a project
//! uses, checking it against its limits and inserting the new resource happen as
//! one step: 50 concurrent creates at the limit make exactly as many resources
//! as the limit allows. Each claim takes the project's row of `quota_locks` for
//! update (a row lock on MariaDB and PostgreSQL, the write lock on SQLite) as the
//! first statement of its transaction, and holds it until commit — Cinder and
//! Nova serialize on locked usage rows the same way.

use sea_orm::sea_query::{Alias, Expr, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use sea_orm_migration::prelude::{ColumnDef, TableCreateStatement};

use crate::{schema, DbResult};

const TABLE: &str = "quota_locks";

/// The `quota_locks` table, for a service's migrations.
pub fn create_table() -> TableCreateStatement {
    schema::table(TABLE)
        .col(schema::id("project_id").primary_key())
        .col(
            ColumnDef::new(Alias::new("claims"))
                .big_integer()
                .not_null()
                .default(0),
        )
        .to_owned()
}

/// Begins a transaction holding `project_id`'s quota lock until it ends.
pub async fn begin_claim<C>(db: &C, project_id: &str) -> DbResult<DatabaseTransaction>
where
    C: ConnectionTrait + TransactionTrait,
{
    // The row is made outside the transaction: two transactions inserting the
    // same missing row would each hold a shared lock on it and deadlock on MariaDB.
    let insert = Query::insert()
        .into_table(Alias::new(TABLE))
        .columns([Alias::new("project_id"), Alias::new("claims")])
        .values_panic([project_id.into(), 0i64.into()])
        .on_conflict(
            OnConflict::column(Alias::new("project_id"))
                .do_nothing_on([Alias::new("project_id")])
                .to_owned(),
        )
        .to_owned();
    let backend = db.get_database_backend();
    db.execute(backend.build(&insert)).await?;
    let txn = db.begin().await?;
    let lock = Query::update()
        .table(Alias::new(TABLE))
        .value(Alias::new("claims"), Expr::col(Alias::new("claims")).add(1))
        .and_where(Expr::col(Alias::new("project_id")).eq(project_id))
        .to_owned();
    txn.execute(backend.build(&lock)).await?;
    Ok(txn)
}
