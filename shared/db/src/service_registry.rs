//! The service registry every service with roles keeps (`os-services`): one row
//! per role instance — `(host, binary)`, its availability zone, whether an admin
//! disabled it, and its last heartbeat. A role is up while its last heartbeat
//! is younger than `service_down_time`, as Cinder and Nova judge it.

use std::time::Duration;

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, QueryOrder};
use sea_orm_migration::prelude::TableCreateStatement;

use crate::{schema, DbResult};

/// The `services` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "services")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub host: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub binary: String,
        pub zone: String,
        pub disabled: bool,
        /// Why an admin disabled it (`disable-log-reason`).
        pub disabled_reason: Option<String>,
        pub updated_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `services` table, for a service's migrations.
pub fn create_table() -> TableCreateStatement {
    schema::table("services")
        .col(schema::required_string("host", 255))
        .col(schema::required_string("binary", 64))
        .col(schema::required_string("zone", 255))
        .col(schema::flag("disabled"))
        .col(schema::string("disabled_reason", 255))
        .col(schema::timestamp("updated_at"))
        .primary_key(&mut schema::primary_key(&["host", "binary"]))
        .to_owned()
}

/// Records a heartbeat of `binary` on `host` (registering it the first time).
pub async fn heartbeat<C: ConnectionTrait>(
    db: &C,
    host: &str,
    binary: &str,
    zone: &str,
) -> DbResult<()> {
    let row = entity::ActiveModel {
        host: Set(host.to_string()),
        binary: Set(binary.to_string()),
        zone: Set(zone.to_string()),
        disabled: Set(false),
        disabled_reason: Set(None),
        updated_at: Set(chrono::Utc::now().naive_utc()),
    };
    entity::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([entity::Column::Host, entity::Column::Binary])
                .update_columns([entity::Column::Zone, entity::Column::UpdatedAt])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The `disabled_reason` column for a `services` table made before it had one.
pub fn add_disabled_reason() -> sea_orm_migration::prelude::TableAlterStatement {
    sea_orm_migration::prelude::Table::alter()
        .table(entity::Entity)
        .add_column(schema::string("disabled_reason", 255))
        .to_owned()
}

/// Enables `binary` on `host` (clearing the reason) or disables it, with
/// `reason` when given; false when no such service is registered.
pub async fn set_disabled<C: ConnectionTrait>(
    db: &C,
    host: &str,
    binary: &str,
    disabled: bool,
    reason: Option<&str>,
) -> DbResult<bool> {
    let mut change = entity::Entity::update_many()
        .col_expr(
            entity::Column::Disabled,
            sea_orm::sea_query::Expr::value(disabled),
        )
        .filter(entity::Column::Host.eq(host))
        .filter(entity::Column::Binary.eq(binary));
    if !disabled || reason.is_some() {
        change = change.col_expr(
            entity::Column::DisabledReason,
            sea_orm::sea_query::Expr::value(reason.map(str::to_string)),
        );
    }
    Ok(change.exec(db).await?.rows_affected == 1)
}

/// Forgets `binary` on `host` (it registers again with its next heartbeat);
/// false when it was not registered.
pub async fn remove<C: ConnectionTrait>(db: &C, host: &str, binary: &str) -> DbResult<bool> {
    let gone = entity::Entity::delete_many()
        .filter(entity::Column::Host.eq(host))
        .filter(entity::Column::Binary.eq(binary))
        .exec(db)
        .await?;
    Ok(gone.rows_affected == 1)
}

/// A registered role and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceState {
    pub host: String,
    pub binary: String,
    pub zone: String,
    pub disabled: bool,
    pub disabled_reason: Option<String>,
    /// Its last heartbeat is younger than `service_down_time`.
    pub up: bool,
    pub updated_at: chrono::NaiveDateTime,
}

/// Every registered role, by binary then host, judged up or down.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    service_down_time: Duration,
) -> DbResult<Vec<ServiceState>> {
    let now = chrono::Utc::now().naive_utc();
    let down_after = chrono::Duration::from_std(service_down_time).unwrap_or_default();
    Ok(entity::Entity::find()
        .order_by_asc(entity::Column::Binary)
        .order_by_asc(entity::Column::Host)
        .all(db)
        .await?
        .into_iter()
        .map(|s| ServiceState {
            up: now - s.updated_at <= down_after,
            host: s.host,
            binary: s.binary,
            zone: s.zone,
            disabled: s.disabled,
            disabled_reason: s.disabled_reason,
            updated_at: s.updated_at,
        })
        .collect())
}
