//! Backup bodies as Cinder's `backups` schemas take them: create, update,
//! restore, import_record and the admin actions.

use std::collections::BTreeMap;

use ferrostack_api::microversion::ApiVersion;
use serde_json::{Map, Value};

use super::{boolean, python_repr, required_object, schema_error, uuid_of};
use crate::domain::backups::BackupCreate;
use crate::domain::{CinderError, Result};

/// Refuses keys of `fields` outside `allowed`.
fn only(object: &str, args: &Value, fields: &Map<String, Value>, allowed: &[&str]) -> Result<()> {
    match fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(extra) => Err(schema_error(
            object,
            args,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        )),
        None => Ok(()),
    }
}

/// A string or null of at most `max` characters, stripped.
fn text(field: &str, value: Option<&Value>, max: usize) -> Result<Option<String>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() > max => Err(schema_error(
            field,
            &Value::String(s.clone()),
            &format!("'{s}' is too long"),
        )),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(other) => Err(schema_error(
            field,
            other,
            &format!("{} is not of type 'string', 'null'", python_repr(other)),
        )),
    }
}

/// `metadata` (3.43): string keys of 1-255 of Cinder's characters, string
/// values of at most 255.
fn metadata(value: Option<&Value>) -> Result<Option<BTreeMap<String, String>>> {
    let map = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(schema_error(
                "metadata",
                other,
                &format!("{} is not of type 'object', 'null'", python_repr(other)),
            ))
        }
    };
    let key_ok = |k: &str| {
        (1..=255).contains(&k.chars().count())
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_:. /".contains(c))
    };
    let mut out = BTreeMap::new();
    for (key, value) in map {
        if !key_ok(key) {
            return Err(schema_error(
                "metadata",
                &Value::Object(map.clone()),
                &format!(
                    "'{key}' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{{1,255}}$'"
                ),
            ));
        }
        match value {
            Value::String(v) if v.chars().count() <= 255 => {
                out.insert(key.clone(), v.clone());
            }
            other => {
                return Err(schema_error(
                    key,
                    other,
                    &format!(
                        "{} is not a string of at most 255 characters",
                        python_repr(other)
                    ),
                ))
            }
        }
    }
    Ok(Some(out))
}

/// `{"backup": {...}}` of a create.
pub(in crate::api) fn create(body: &Value, version: ApiVersion) -> Result<BackupCreate> {
    let fields = required_object(body, "backup")?;
    let args = &body["backup"];
    let mut allowed = vec![
        "volume_id",
        "container",
        "description",
        "incremental",
        "force",
        "name",
        "snapshot_id",
    ];
    if version >= ApiVersion::new(3, 43) {
        allowed.push("metadata");
    }
    if version >= ApiVersion::new(3, 51) {
        allowed.push("availability_zone");
    }
    only("backup", args, fields, &allowed)?;
    let volume_id = uuid_of("volume_id", fields.get("volume_id"), false)?
        .ok_or_else(|| schema_error("backup", args, "'volume_id' is a required property"))?;
    Ok(BackupCreate {
        volume_id,
        name: text("name", fields.get("name"), 255)?,
        description: text("description", fields.get("description"), 255)?,
        container: text("container", fields.get("container"), 255)?,
        incremental: boolean("incremental", fields.get("incremental"))?,
        force: boolean("force", fields.get("force"))?,
        snapshot_id: uuid_of("snapshot_id", fields.get("snapshot_id"), true)?,
        metadata: metadata(fields.get("metadata"))?.unwrap_or_default(),
        availability_zone: text("availability_zone", fields.get("availability_zone"), 255)?,
    })
}

/// What an update changes: name, description and (3.43) metadata.
pub(in crate::api) type Update = (
    Option<String>,
    Option<String>,
    Option<BTreeMap<String, String>>,
);

/// `{"backup": {...}}` of an update (3.9).
pub(in crate::api) fn update(body: &Value, version: ApiVersion) -> Result<Update> {
    let fields = required_object(body, "backup")?;
    let args = &body["backup"];
    let mut allowed = vec!["name", "description"];
    if version >= ApiVersion::new(3, 43) {
        allowed.push("metadata");
    }
    only("backup", args, fields, &allowed)?;
    Ok((
        text("name", fields.get("name"), 255)?,
        text("description", fields.get("description"), 255)?,
        metadata(fields.get("metadata"))?,
    ))
}

/// `{"restore": {"volume_id", "name"}}`: the volume to restore into, and the
/// name of a new one.
pub(in crate::api) fn restore(body: &Value) -> Result<(Option<String>, Option<String>)> {
    let Some(args) = body.get("restore") else {
        return Err(schema_error(
            "restore",
            body,
            "'restore' is a required property",
        ));
    };
    let empty = Map::new();
    let fields = match args {
        Value::Null => &empty,
        Value::Object(fields) => fields,
        other => {
            return Err(schema_error(
                "restore",
                other,
                &format!("{} is not of type 'object', 'null'", python_repr(other)),
            ))
        }
    };
    only("restore", args, fields, &["name", "volume_id"])?;
    Ok((
        uuid_of("volume_id", fields.get("volume_id"), true)?,
        text("name", fields.get("name"), 255)?,
    ))
}

/// `{"backup-record": {"backup_service", "backup_url"}}`.
pub(in crate::api) fn import_record(body: &Value) -> Result<(String, String)> {
    let fields = required_object(body, "backup-record")?;
    let args = &body["backup-record"];
    only(
        "backup-record",
        args,
        fields,
        &["backup_service", "backup_url"],
    )?;
    let required = |key: &str| -> Result<String> {
        match fields.get(key) {
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 65535 => Ok(s.clone()),
            Some(other) => Err(schema_error(
                key,
                other,
                &format!("{} is not a non-empty string", python_repr(other)),
            )),
            None => Err(schema_error(
                "backup-record",
                args,
                &format!("'{key}' is a required property"),
            )),
        }
    };
    let service = required("backup_service")?;
    if service.len() > 255 {
        return Err(schema_error(
            "backup_service",
            &Value::String(service.clone()),
            &format!("'{service}' is too long"),
        ));
    }
    Ok((service, required("backup_url")?))
}

/// An admin action on a backup.
#[derive(Debug, PartialEq)]
pub(in crate::api) enum Action {
    ResetStatus(String),
    ForceDelete,
}

/// `{"os-reset_status": {"status"}}` or `{"os-force_delete": ...}`.
pub(in crate::api) fn action(body: &Value) -> Result<Action> {
    let Some((name, args)) = body.as_object().and_then(|o| o.iter().next()) else {
        return Err(CinderError::BadRequest("Malformed request body".into()));
    };
    match name.as_str() {
        "os-force_delete" => Ok(Action::ForceDelete),
        "os-reset_status" => {
            let fields = required_object(body, "os-reset_status")?;
            only("os-reset_status", args, fields, &["status"])?;
            match fields.get("status") {
                Some(Value::String(status)) => Ok(Action::ResetStatus(status.clone())),
                Some(other) => Err(schema_error(
                    "status",
                    other,
                    &format!("{} is not of type 'string'", python_repr(other)),
                )),
                None => Err(schema_error(
                    "os-reset_status",
                    args,
                    "'status' is a required property",
                )),
            }
        }
        other => Err(CinderError::BadRequest(format!(
            "There is no such action: {other}. Verify the request body and Content-Type header and try again."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V3_0: ApiVersion = ApiVersion::new(3, 0);
    const LATEST: ApiVersion = ApiVersion::new(3, 70);

    #[test]
    fn creates_follow_the_schema_of_their_microversion() {
        let id = "0b6e2e4c-4d57-4b8a-9b5b-2a8f0a3c9d11";
        let made = create(
            &json!({"backup": {"volume_id": id, "name": " n ", "incremental": "yes", "force": true}}),
            V3_0,
        )
        .unwrap();
        assert_eq!(made.name.as_deref(), Some("n"));
        assert!(made.incremental && made.force);
        let err = create(&json!({"backup": {"volume_id": id, "metadata": {}}}), V3_0).unwrap_err();
        assert!(
            err.to_string().contains("'metadata' was unexpected"),
            "{err}"
        );
        let made = create(
            &json!({"backup": {"volume_id": id, "metadata": {"k": "v"}}}),
            LATEST,
        )
        .unwrap();
        assert_eq!(made.metadata["k"], "v");
        for bad in [
            json!({"backup": {}}),
            json!({"backup": {"volume_id": "nope"}}),
            json!({"backup": {"volume_id": id, "incremental": "maybe"}}),
            json!({"backup": {"volume_id": id, "name": "x".repeat(256)}}),
            json!({"backup": {"volume_id": id, "snapshot_id": 5}}),
            json!({"backup": null}),
            json!({}),
        ] {
            assert!(create(&bad, LATEST).is_err(), "{bad}");
        }
    }

    #[test]
    fn restores_imports_and_actions() {
        assert_eq!(restore(&json!({"restore": null})).unwrap(), (None, None));
        assert_eq!(
            restore(&json!({"restore": {"name": "r"}})).unwrap(),
            (None, Some("r".into()))
        );
        assert!(restore(&json!({"restore": {"volume_id": "x"}})).is_err());
        assert!(restore(&json!({})).is_err());
        assert!(import_record(&json!({"backup-record": {"backup_service": "s"}})).is_err());
        assert!(import_record(
            &json!({"backup-record": {"backup_service": "s", "backup_url": ""}})
        )
        .is_err());
        assert_eq!(
            action(&json!({"os-reset_status": {"status": "error"}})).unwrap(),
            Action::ResetStatus("error".into())
        );
        assert_eq!(
            action(&json!({"os-force_delete": {}})).unwrap(),
            Action::ForceDelete
        );
        let err = action(&json!({"os-frobnicate": {}})).unwrap_err();
        assert!(
            err.to_string()
                .contains("There is no such action: os-frobnicate"),
            "{err}"
        );
        assert!(action(&json!({"os-reset_status": {}})).is_err());
    }
}
