//! `POST /volumes/{id}/action`: os-extend, os-reset_status, os-force_delete,
//! os-set_bootable.

use crate::rpc::messages::ExtendVolume;
use ferrostack_api::microversion::ApiVersion;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use super::quotas::Claim;
use super::schema::{boolean, python_repr, schema_error};
use super::volumes::size_of;
use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::{volume, volume_type};
use crate::rpc;

/// Statuses `os-reset_status` accepts.
const STATUSES: &[&str] = &[
    "creating",
    "available",
    "deleting",
    "error",
    "error_deleting",
    "error_managing",
    "managing",
    "attaching",
    "in-use",
    "detaching",
    "maintenance",
    "reserved",
    "extending",
    "error_extending",
    "downloading",
    "uploading",
    "retyping",
    "backing-up",
    "restoring-backup",
    "error_restoring",
];

fn bool_like(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "y" | "on" | "t" => Some(true),
            "false" | "0" | "no" | "n" | "off" | "f" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The `readonly` of an os-update_readonly_flag body.
fn readonly_flag(args: &Value) -> Result<bool> {
    let Some(fields) = args.as_object() else {
        return Err(schema_error(
            "os-update_readonly_flag",
            args,
            &format!("{} is not of type 'object'", python_repr(args)),
        ));
    };
    if let Some(extra) = fields.keys().find(|k| k.as_str() != "readonly") {
        return Err(schema_error(
            "os-update_readonly_flag",
            args,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    match fields.get("readonly") {
        None => Err(schema_error(
            "os-update_readonly_flag",
            args,
            "'readonly' is a required property",
        )),
        given => boolean("readonly", given),
    }
}

/// What an action did, for the API to answer.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Under way; it finishes in the background (202), with what it answers now.
    Accepted(Option<Value>),
    /// Done (200), with what it answers, if anything.
    Done(Option<Value>),
}

impl Cinder {
    /// Runs one volume action at `version`.
    pub async fn volume_action(
        &self,
        caller: &Caller,
        id: &str,
        body: &Value,
        version: ApiVersion,
    ) -> Result<Outcome> {
        let Some((name, args)) = body.as_object().and_then(|o| o.iter().next()) else {
            return Err(CinderError::BadRequest("Malformed request body".into()));
        };
        if name == "revert" && version >= ApiVersion::new(3, 40) {
            self.revert(caller, id, args).await?;
            return Ok(Outcome::Accepted(None));
        }
        if name == "os-extend" {
            let attached_ok = version >= ApiVersion::new(3, 42);
            self.extend(caller, id, args, attached_ok).await?;
            return Ok(Outcome::Accepted(None));
        }
        if let Some(answer) = self.legacy_attach(caller, id, name, args).await? {
            return Ok(answer);
        }
        if name == "os-retype" {
            self.retype(caller, id, args).await?;
            return Ok(Outcome::Accepted(None));
        }
        if name == "os-migrate_volume" {
            self.migrate_volume(caller, id, args, version).await?;
            return Ok(Outcome::Accepted(None));
        }
        if let Some(answer) = self.image_action(caller, id, name, args, version).await? {
            return Ok(answer);
        }
        self.simple_action(caller, id, name, args).await
    }

    async fn simple_action(
        &self,
        caller: &Caller,
        id: &str,
        name: &str,
        args: &Value,
    ) -> Result<Outcome> {
        match name {
            "os-reset_status" => self.reset_status(caller, id, args).await.map(|()| Outcome::Accepted(None)),
            "os-force_delete" => {
                self.authorize(caller, "volume_extension:volume_admin_actions:force_delete", caller.project())?;
                self.force_delete(caller, id).await.map(|()| Outcome::Accepted(None))
            }
            "os-update_readonly_flag" => {
                let readonly = readonly_flag(args)?;
                let row = self.show_volume(caller, id).await?;
                self.authorize(caller, "volume:update_readonly_flag", &row)?;
                if row.status != "available" {
                    return Err(CinderError::BadRequest(format!(
                        "Invalid volume: Volume {id} status must be available to update readonly flag, but current status is: {}.",
                        row.status
                    )));
                }
                let flag = if readonly { "True" } else { "False" };
                self.write(id, volume::Column::Readonly, flag).await?;
                Ok(Outcome::Accepted(None))
            }
            "os-set_bootable" => {
                let bootable = args
                    .get("bootable")
                    .and_then(bool_like)
                    .ok_or_else(|| {
                        CinderError::BadRequest(format!(
                            "Invalid value for 'bootable': '{}'",
                            args.get("bootable").cloned().unwrap_or(Value::Null)
                        ))
                    })?;
                let row = self.show_volume(caller, id).await?;
                self.authorize(caller, "volume:update", &row)?;
                self.write(id, volume::Column::Bootable, bootable).await?;
                Ok(Outcome::Done(None))
            }
            other => Err(CinderError::BadRequest(format!(
                "There is no such action: {other}. Verify the request body and Content-Type header and try again."
            ))),
        }
    }

    async fn write(
        &self,
        id: &str,
        column: volume::Column,
        value: impl Into<sea_orm::Value>,
    ) -> Result<()> {
        volume::Entity::update_many()
            .col_expr(column, Expr::value(value.into()))
            .col_expr(
                volume::Column::UpdatedAt,
                Expr::value(chrono::Utc::now().naive_utc()),
            )
            .filter(volume::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// os-extend; attached (in-use) volumes too from 3.42.
    async fn extend(
        &self,
        caller: &Caller,
        id: &str,
        args: &Value,
        attached_ok: bool,
    ) -> Result<()> {
        let new_size = size_of("new_size", args.get("new_size"))?;
        let row = self.show_volume(caller, id).await?;
        let rule = if row.status == "in-use" {
            "volume:extend_attached_volume"
        } else {
            "volume:extend"
        };
        self.authorize(caller, rule, &row)?;
        let expected = if attached_ok && row.status == "in-use" {
            "in-use"
        } else {
            "available"
        };
        super::migrate::refuse_while_migrating(&row, "be extended")?;
        if row.status != expected {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} status must be '{{'status': '{expected}'}}' to extend, currently {}.",
                row.status
            )));
        }
        if new_size <= row.size {
            return Err(CinderError::BadRequest(format!(
                "Invalid input received: New size for extend must be greater than current size. (current: {}, extended: {new_size}).",
                row.size
            )));
        }
        let kind = volume_type::Entity::find_by_id(row.volume_type_id.as_str())
            .one(&self.db)
            .await?
            .map(|t| t.name)
            .unwrap_or_default();
        let quota = self
            .claim_quota(
                &row.project_id,
                Claim::Extend {
                    size: new_size,
                    grow: new_size - row.size,
                    kind: &kind,
                },
            )
            .await?;
        // The new size counts in usage while the extend works; `updated_at` marks
        // when it started.
        let claimed = volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value("extending"))
            .col_expr(volume::Column::PendingSize, Expr::value(new_size))
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(id))
            .filter(volume::Column::Status.eq(expected))
            .filter(volume::Column::Size.eq(row.size))
            .exec(&quota)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} changed state during the request."
            )));
        }
        quota.commit().await?;
        let host = row.host.clone().unwrap_or_default();
        let request = ExtendVolume {
            id: id.to_string(),
            host: host.clone(),
            new_size_gb: new_size,
            size_gb: row.size,
            provider_location: row.provider_location.unwrap_or_default(),
            done_status: expected.to_string(),
        };
        if let Err(e) = self
            .volume
            .cast::<rpc::volume::ExtendVolume>(&caller.rpc_context(), Some(&host), &request)
            .await
        {
            tracing::error!(volume = id, "volume host unreachable: {e}");
            self.write(id, volume::Column::Status, "error_extending")
                .await?;
        }
        Ok(())
    }

    async fn reset_status(&self, caller: &Caller, id: &str, args: &Value) -> Result<()> {
        self.authorize(
            caller,
            "volume_extension:volume_admin_actions:reset_status",
            caller.project(),
        )?;
        self.show_volume(caller, id).await?;
        if let Some(status) = args.get("status") {
            let status = status
                .as_str()
                .filter(|s| STATUSES.contains(s))
                .ok_or_else(|| {
                    CinderError::BadRequest(format!(
                        "Invalid input received: Must specify a valid status: {status}"
                    ))
                })?;
            self.write(id, volume::Column::Status, status).await?;
        }
        if let Some(value) = args.get("migration_status") {
            const VALID: &[&str] = &[
                "migrating",
                "error",
                "success",
                "completing",
                "none",
                "starting",
            ];
            let migration = match value {
                Value::Null => None,
                Value::String(text) if VALID.contains(&text.to_lowercase().as_str()) => {
                    Some(text.to_lowercase()).filter(|t| t != "none")
                }
                other => {
                    return Err(CinderError::BadRequest(format!(
                        "Volume migration status: {} is invalid, valid statuses are: ('migrating', 'error', 'success', 'completing', 'none', 'starting').",
                        other.as_str().map_or_else(|| other.to_string(), str::to_string)
                    )))
                }
            };
            volume::Entity::update_many()
                .col_expr(volume::Column::MigrationStatus, Expr::value(migration))
                .filter(volume::Column::Id.eq(id))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Deletes whatever the status (admin).
    async fn force_delete(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self.show_volume(caller, id).await?;
        self.write(id, volume::Column::Status, "deleting").await?;
        self.finish_delete(&caller.rpc_context(), &row).await
    }
}
