//! The body of `POST /volumes/{id}/action`: which action, and its arguments
//! as Cinder's schemas take them.

use ferrostack_api::microversion::ApiVersion;
use serde_json::Value;

use super::{
    boolean, image_action, migrate, python_repr, required_object, schema_error, size_of, uuid_of,
};
use crate::domain::actions::VolumeAction;
use crate::domain::legacy_attach::LegacyAttach;
use crate::domain::{CinderError, Result};

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

/// The action a body asks for at `version`.
pub(in crate::api) fn parse(body: &Value, version: ApiVersion) -> Result<VolumeAction> {
    let Some((name, args)) = body.as_object().and_then(|o| o.iter().next()) else {
        return Err(CinderError::BadRequest("Malformed request body".into()));
    };
    Ok(match name.as_str() {
        "revert" if version >= ApiVersion::new(3, 40) => VolumeAction::Revert {
            snapshot_id: args
                .get("snapshot_id")
                .and_then(Value::as_str)
                .ok_or_else(|| CinderError::BadRequest("Must specify 'snapshot_id'".into()))?
                .to_string(),
        },
        "os-reimage" if version >= ApiVersion::new(3, 68) => reimage(body)?,
        "os-extend" => VolumeAction::Extend {
            new_size: size_of("new_size", args.get("new_size"))?,
            attached_ok: version >= ApiVersion::new(3, 42),
        },
        "os-retype" => {
            let (new_type, policy) = retype_request(args)?;
            VolumeAction::Retype {
                new_type,
                on_demand: policy == "on-demand",
            }
        }
        "os-migrate_volume" => VolumeAction::Migrate(migrate::migrate_request(
            args,
            version >= ApiVersion::new(3, 16),
        )?),
        "os-volume_upload_image" => {
            VolumeAction::UploadImage(image_action::upload_request(args, version)?)
        }
        "os-show_image_metadata" => VolumeAction::ShowImageMetadata,
        "os-set_image_metadata" => {
            VolumeAction::SetImageMetadata(image_action::image_metadata(args)?)
        }
        "os-unset_image_metadata" => VolumeAction::UnsetImageMetadata {
            key: image_action::unset_key(args)?,
        },
        "os-reset_status" => reset_status(args)?,
        "os-force_delete" => VolumeAction::ForceDelete,
        "os-update_readonly_flag" => VolumeAction::UpdateReadonly {
            readonly: readonly_flag(args)?,
        },
        "os-set_bootable" => VolumeAction::SetBootable {
            bootable: args.get("bootable").and_then(bool_like).ok_or_else(|| {
                CinderError::BadRequest(format!(
                    "Invalid value for 'bootable': '{}'",
                    args.get("bootable").cloned().unwrap_or(Value::Null)
                ))
            })?,
        },
        other => VolumeAction::Legacy(legacy(other, args)?),
    })
}

/// An os-reimage body (3.68): `image_id`, and `reimage_reserved` for a
/// reserved volume.
fn reimage(body: &Value) -> Result<VolumeAction> {
    let args = required_object(body, "os-reimage")?;
    if let Some(extra) = args
        .keys()
        .find(|k| !matches!(k.as_str(), "image_id" | "reimage_reserved"))
    {
        return Err(schema_error(
            "os-reimage",
            &Value::Object(args.clone()),
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    let image_id = uuid_of("image_id", args.get("image_id"), false)?.ok_or_else(|| {
        schema_error(
            "os-reimage",
            &Value::Object(args.clone()),
            "'image_id' is a required property",
        )
    })?;
    Ok(VolumeAction::Reimage {
        image_id,
        reserved: boolean("reimage_reserved", args.get("reimage_reserved"))?,
    })
}

/// A legacy attach action, or Cinder's 400 for an action it does not know.
fn legacy(name: &str, args: &Value) -> Result<LegacyAttach> {
    let connector = || {
        args.get("connector")
            .filter(|c| c.is_object())
            .cloned()
            .ok_or_else(|| CinderError::BadRequest("Must specify 'connector'".into()))
    };
    let text = |key: &str| args.get(key).and_then(Value::as_str).map(str::to_string);
    Ok(match name {
        "os-reserve" => LegacyAttach::Reserve,
        "os-unreserve" => LegacyAttach::Unreserve,
        "os-begin_detaching" => LegacyAttach::BeginDetaching,
        "os-roll_detaching" => LegacyAttach::RollDetaching,
        "os-initialize_connection" => LegacyAttach::InitializeConnection {
            connector: connector()?,
        },
        "os-terminate_connection" => LegacyAttach::TerminateConnection {
            connector: connector()?,
        },
        "os-attach" => LegacyAttach::Attach {
            instance_uuid: text("instance_uuid"),
            mode: text("mode").unwrap_or_else(|| "rw".into()),
            mountpoint: text("mountpoint"),
        },
        "os-detach" => LegacyAttach::Detach {
            attachment_id: text("attachment_id"),
        },
        "os-force_detach" => LegacyAttach::ForceDetach {
            connector: args.get("connector").filter(|c| c.is_object()).cloned(),
            attachment_id: text("attachment_id"),
        },
        other => {
            return Err(CinderError::BadRequest(format!(
                "There is no such action: {other}. Verify the request body and Content-Type header and try again."
            )))
        }
    })
}

/// An os-reset_status body: a status, a migration status, or both.
fn reset_status(args: &Value) -> Result<VolumeAction> {
    let status = match args.get("status") {
        None => None,
        Some(status) => Some(
            status
                .as_str()
                .filter(|s| STATUSES.contains(s))
                .ok_or_else(|| {
                    CinderError::BadRequest(format!(
                        "Invalid input received: Must specify a valid status: {status}"
                    ))
                })?
                .to_string(),
        ),
    };
    const MIGRATION_STATUSES: &[&str] = &[
        "migrating",
        "error",
        "success",
        "completing",
        "none",
        "starting",
    ];
    let migration_status = match args.get("migration_status") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(text)) if MIGRATION_STATUSES.contains(&text.to_lowercase().as_str()) => {
            Some(Some(text.to_lowercase()).filter(|t| t != "none"))
        }
        Some(other) => {
            return Err(CinderError::BadRequest(format!(
                "Volume migration status: {} is invalid, valid statuses are: ('migrating', 'error', 'success', 'completing', 'none', 'starting').",
                other.as_str().map_or_else(|| other.to_string(), str::to_string)
            )))
        }
    };
    Ok(VolumeAction::ResetStatus {
        status,
        migration_status,
    })
}

/// A boolean as os-set_bootable takes it: `true`/`false`, or a word for one.
fn bool_like(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(text) => crate::api::query::boolean("bootable", Some(text)).ok(),
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

/// `(new_type, migration_policy)` of an os-retype body.
fn retype_request(args: &Value) -> Result<(String, String)> {
    let Some(fields) = args.as_object() else {
        return Err(schema_error(
            "os-retype",
            args,
            "It is not of type 'object'",
        ));
    };
    if let Some(extra) = fields
        .keys()
        .find(|k| !matches!(k.as_str(), "new_type" | "migration_policy"))
    {
        return Err(schema_error(
            "os-retype",
            args,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    let new_type = match fields.get("new_type") {
        Some(Value::String(name)) => name.clone(),
        Some(other) => {
            return Err(schema_error(
                "new_type",
                other,
                &format!("{other} is not of type 'string'"),
            ))
        }
        None => {
            return Err(schema_error(
                "os-retype",
                args,
                "'new_type' is a required property",
            ))
        }
    };
    let policy = match fields.get("migration_policy") {
        None => "never".to_string(),
        Some(Value::String(p)) if matches!(p.as_str(), "never" | "on-demand") => p.clone(),
        Some(other) => {
            return Err(schema_error(
                "migration_policy",
                other,
                &format!(
                    "{} is not one of ['on-demand', 'never']",
                    python_repr(other)
                ),
            ));
        }
    };
    Ok((new_type, policy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn retype_bodies() {
        assert_eq!(
            retype_request(&json!({"new_type": "gold"})).unwrap(),
            ("gold".to_string(), "never".to_string())
        );
        assert_eq!(
            retype_request(&json!({"new_type": "gold", "migration_policy": "on-demand"}))
                .unwrap()
                .1,
            "on-demand"
        );
        assert_eq!(
            retype_request(&json!({"new_type": "gold", "migration_policy": null}))
                .unwrap_err()
                .to_string(),
            "Invalid input for field/attribute migration_policy. Value: None. None is not one of ['on-demand', 'never']"
        );
        assert!(retype_request(&json!({}))
            .unwrap_err()
            .to_string()
            .ends_with("'new_type' is a required property"));
        assert!(retype_request(&json!({"new_type": "g", "x": 1}))
            .unwrap_err()
            .to_string()
            .ends_with("Additional properties are not allowed ('x' was unexpected)"));
    }
}
