//! os-migrate_volume: an admin moves a volume to a backend they name. The
//! scheduler checks that the backend passes the filters for the volume as it is
//! (type, zone, room), then the volume's host copies it there as for a retype.

use crate::rpc::messages::{MigrateToHost, VolumeSpec};
use ferrostack_api::microversion::ApiVersion;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};
use serde_json::Value;

use super::schema::{boolean, python_repr, schema_error};
use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::{service, snapshot, volume};
use crate::rpc;

/// The `migration_status` values of a volume no migration is working on.
pub(crate) const MIGRATIONS_OVER: &[&str] = &["deleting", "error", "success"];

/// Whether a volume with `migration_status` is free of migrations.
pub(crate) fn not_migrating(migration_status: Option<&str>) -> bool {
    migration_status.is_none_or(|s| MIGRATIONS_OVER.contains(&s))
}

/// The condition [`not_migrating`] puts on volume rows.
pub(crate) fn not_migrating_condition() -> Condition {
    Condition::any()
        .add(volume::Column::MigrationStatus.is_null())
        .add(volume::Column::MigrationStatus.is_in(MIGRATIONS_OVER.iter().copied()))
}

/// Refuses `action` on a volume a migration is working on: the migration
/// would end by moving the volume from under it (Cinder has compute swap an
/// attached volume; this cloud has no compute).
pub(crate) fn refuse_while_migrating(row: &volume::Model, action: &str) -> Result<()> {
    if not_migrating(row.migration_status.as_deref()) {
        return Ok(());
    }
    Err(CinderError::BadRequest(format!(
        "Invalid volume: Volume {} is migrating; it can {action} when the migration ends.",
        row.id
    )))
}

/// What an os-migrate_volume body asks for.
#[derive(Debug, PartialEq)]
struct MigrateRequest {
    host: Option<String>,
    cluster: Option<String>,
    lock_volume: bool,
}

/// A `['string', 'null']` (or, without `nullable`, `string`) field of at most
/// 255 characters.
fn short_text(field: &str, value: Option<&Value>, nullable: bool) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(Value::Null) if nullable => Ok(None),
        Some(Value::String(text)) if text.chars().count() > 255 => Err(schema_error(
            field,
            &Value::String(text.clone()),
            &format!("'{text}' is too long"),
        )),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(schema_error(
            field,
            other,
            &format!(
                "{} is not of type {}",
                python_repr(other),
                if nullable {
                    "'string', 'null'"
                } else {
                    "'string'"
                }
            ),
        )),
    }
}

/// Cinder's schemas (3.16 adds `cluster` and a nullable `host`), then its
/// rule that exactly one of host and cluster is given.
fn migrate_request(args: &Value, clusters: bool) -> Result<MigrateRequest> {
    let Some(fields) = args.as_object() else {
        return Err(schema_error(
            "os-migrate_volume",
            args,
            &format!("{} is not of type 'object'", python_repr(args)),
        ));
    };
    let allowed: &[&str] = if clusters {
        &["host", "force_host_copy", "lock_volume", "cluster"]
    } else {
        &["host", "force_host_copy", "lock_volume"]
    };
    if let Some(extra) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(schema_error(
            "os-migrate_volume",
            args,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    if !clusters && !fields.contains_key("host") {
        return Err(schema_error(
            "os-migrate_volume",
            args,
            "'host' is a required property",
        ));
    }
    let host = short_text("host", fields.get("host"), clusters)?;
    boolean("force_host_copy", fields.get("force_host_copy"))?;
    let lock_volume = boolean("lock_volume", fields.get("lock_volume"))?;
    let cluster = if clusters {
        short_text("cluster", fields.get("cluster"), true)?
    } else {
        None
    };
    let (host, cluster) = (
        host.filter(|h| !h.is_empty()),
        cluster.filter(|c| !c.is_empty()),
    );
    if host.is_some() == cluster.is_some() {
        return Err(CinderError::BadRequest(format!(
            "Invalid input received: {}",
            if clusters {
                "One and only one of cluster and host must be set."
            } else {
                "Host field is missing."
            }
        )));
    }
    Ok(MigrateRequest {
        host,
        cluster,
        lock_volume,
    })
}

/// The `host@backend` part of `host@backend#pool`.
fn backend_of(host: &str) -> &str {
    host.split_once('#').map_or(host, |(backend, _)| backend)
}

impl Cinder {
    /// Starts a migration (202); the scheduler and volume hosts finish it.
    pub(crate) async fn migrate_volume(
        &self,
        caller: &Caller,
        id: &str,
        args: &Value,
        version: ApiVersion,
    ) -> Result<()> {
        let request = migrate_request(args, version >= ApiVersion::new(3, 16))?;
        let row = self.show_volume(caller, id).await?;
        self.authorize(
            caller,
            "volume_extension:volume_admin_actions:migrate_volume",
            &row,
        )?;
        // This cloud has no clusters: a cluster is never an available service.
        let named = request
            .host
            .clone()
            .or(request.cluster.clone())
            .unwrap_or_default();
        let dest = backend_of(&named).to_string();
        if request.cluster.is_some() || !self.volume_service_up(&dest).await? {
            return Err(CinderError::BadRequest(format!(
                "Invalid host: No available service named '{named}'"
            )));
        }
        let status = if request.lock_volume && row.status == "available" {
            "maintenance"
        } else {
            row.status.as_str()
        };
        let claimed = volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value(status))
            .col_expr(volume::Column::MigrationStatus, Expr::value("starting"))
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(id))
            .filter(volume::Column::Status.eq(row.status.as_str()))
            .filter(volume::Column::Status.is_in(["available", "in-use"]))
            .filter(not_migrating_condition())
            .filter(volume::Column::Host.ne(dest.as_str()))
            .filter(
                volume::Column::Id.not_in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(snapshot::Column::VolumeId)
                        .from(snapshot::Entity)
                        .to_owned(),
                ),
            )
            .exec(&self.db)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} status must be available or in-use, must not be migrating, have snapshots, be replicated, be part of a group and destination host/cluster must be different than the current one"
            )));
        }
        let kind = self
            .volume_type(caller, Some(&row.volume_type_id))
            .await
            .ok();
        let order = MigrateToHost {
            volume: Some(VolumeSpec {
                id: id.to_string(),
                size_gb: row.size,
                volume_type_id: row.volume_type_id.clone(),
                extra_specs: kind
                    .as_ref()
                    .map(super::types::extra_specs)
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
                availability_zone: row.availability_zone.clone(),
                host: row.host.clone().unwrap_or_default(),
                ..VolumeSpec::default()
            }),
            dest_host: dest,
            done_status: row.status.clone(),
            attached: row.status == "in-use",
        };
        if let Err(e) = self
            .scheduler
            .cast::<rpc::scheduler::MigrateToHost>(&caller.rpc_context(), None, &order)
            .await
        {
            tracing::error!(volume = id, "scheduler unreachable: {e}");
            self.end_migration(id, &row).await?;
            return Err(CinderError::Unavailable(format!(
                "The scheduler is unreachable: {e}"
            )));
        }
        Ok(())
    }

    /// Whether `backend` is a volume service that is up and enabled.
    async fn volume_service_up(&self, backend: &str) -> Result<bool> {
        let found = service::Entity::find()
            .filter(service::Column::Host.eq(backend))
            .filter(service::Column::Binary.eq(crate::volume::BINARY))
            .filter(service::Column::Disabled.eq(false))
            .one(&self.db)
            .await?;
        let down_after = chrono::Duration::from_std(self.cfg.service_down_time).unwrap_or_default();
        Ok(found.is_some_and(|s| now() - s.updated_at <= down_after))
    }

    /// Puts back the status and migration status a refused migration changed.
    async fn end_migration(&self, id: &str, row: &volume::Model) -> Result<()> {
        volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value(row.status.as_str()))
            .col_expr(
                volume::Column::MigrationStatus,
                Expr::value(row.migration_status.clone()),
            )
            .filter(volume::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(args: Value, clusters: bool) -> String {
        migrate_request(&args, clusters).unwrap_err().to_string()
    }

    #[test]
    fn migrate_bodies() {
        assert_eq!(
            migrate_request(&json!({"host": "n@b", "lock_volume": "true"}), false).unwrap(),
            MigrateRequest {
                host: Some("n@b".into()),
                cluster: None,
                lock_volume: true
            }
        );
        assert!(message(json!({}), false).ends_with("'host' is a required property"));
        assert_eq!(
            message(json!({"host": ""}), false),
            "Invalid input received: Host field is missing."
        );
        assert_eq!(
            message(json!({"host": null}), false),
            "Invalid input for field/attribute host. Value: None. None is not of type 'string'"
        );
        assert_eq!(
            message(json!({"host": 5}), true),
            "Invalid input for field/attribute host. Value: 5. 5 is not of type 'string', 'null'"
        );
        assert!(message(json!({"host": "h", "cluster": "c"}), false)
            .ends_with("Additional properties are not allowed ('cluster' was unexpected)"));
        assert_eq!(
            message(json!({"host": "h", "cluster": "c"}), true),
            "Invalid input received: One and only one of cluster and host must be set."
        );
        assert_eq!(
            message(json!({"host": null, "cluster": null}), true),
            "Invalid input received: One and only one of cluster and host must be set."
        );
        assert!(message(json!({"host": "x".repeat(256)}), false).ends_with("is too long"));
        assert!(
            message(json!({"host": "h", "force_host_copy": "maybe"}), false)
                .starts_with("Invalid input for field/attribute force_host_copy.")
        );
        assert_eq!(
            migrate_request(&json!({"cluster": "c", "host": null}), true)
                .unwrap()
                .cluster
                .as_deref(),
            Some("c")
        );
    }

    #[test]
    fn pools_are_not_part_of_the_backend() {
        assert_eq!(backend_of("node1@gold#pool"), "node1@gold");
        assert_eq!(backend_of("node1@gold"), "node1@gold");
    }

    #[test]
    fn finished_migrations_do_not_block() {
        assert!(not_migrating(None));
        assert!(not_migrating(Some("success")));
        assert!(!not_migrating(Some("starting")));
        assert!(!not_migrating(Some("migrating")));
    }
}
