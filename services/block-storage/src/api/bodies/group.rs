//! Group and group snapshot bodies, as Cinder's `groups` and
//! `group_snapshots` schemas check them.

use serde_json::{Map, Value};

use super::{boolean, python_repr, required_object, schema_error};
use crate::domain::groups::GroupCreate;
use crate::domain::Result;

/// Refuses keys outside `allowed`.
fn only(field: &str, fields: &Map<String, Value>, allowed: &[&str]) -> Result<()> {
    match fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(extra) => Err(schema_error(
            field,
            &Value::Object(fields.clone()),
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        )),
        None => Ok(()),
    }
}

/// An optional string (null allowed) of at most 255 characters.
fn text(field: &str, value: Option<&Value>) -> Result<Option<String>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= 255 => Ok(Some(s.clone())),
        Some(other) => Err(schema_error(
            field,
            other,
            &format!("{} is not of type 'string' or too long", python_repr(other)),
        )),
    }
}

/// A required non-empty string.
fn required(field: &str, fields: &Map<String, Value>) -> Result<String> {
    match text(field, fields.get(field))? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(schema_error(
            field,
            fields.get(field).unwrap_or(&Value::Null),
            &format!("'{field}' is a required property"),
        )),
    }
}

/// `{"group": {"group_type", "volume_types", ...}}`.
pub(in crate::api) fn create(body: &Value) -> Result<GroupCreate> {
    let fields = required_object(body, "group")?;
    only(
        "group",
        fields,
        &[
            "name",
            "description",
            "group_type",
            "volume_types",
            "availability_zone",
        ],
    )?;
    let volume_types = match fields.get("volume_types") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|t| {
                t.as_str().map(str::to_string).ok_or_else(|| {
                    schema_error(
                        "volume_types",
                        t,
                        &format!("{} is not of type 'string'", python_repr(t)),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?,
        other => {
            return Err(schema_error(
                "volume_types",
                other.unwrap_or(&Value::Null),
                "'volume_types' is a required property and must be a non-empty list",
            ))
        }
    };
    Ok(GroupCreate {
        name: text("name", fields.get("name"))?,
        description: text("description", fields.get("description"))?,
        group_type: required("group_type", fields)?,
        volume_types,
        availability_zone: text("availability_zone", fields.get("availability_zone"))?,
    })
}

/// The fields of `{"group": {"name", "description", "add_volumes", "remove_volumes"}}`.
pub(in crate::api) type GroupUpdate = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// An update body.
pub(in crate::api) fn update(body: &Value) -> Result<GroupUpdate> {
    let fields = required_object(body, "group")?;
    only(
        "group",
        fields,
        &["name", "description", "add_volumes", "remove_volumes"],
    )?;
    Ok((
        text("name", fields.get("name"))?,
        text("description", fields.get("description"))?,
        text("add_volumes", fields.get("add_volumes"))?,
        text("remove_volumes", fields.get("remove_volumes"))?,
    ))
}

/// `{"create-from-src": {...}}`: name, description, group snapshot, source group.
pub(in crate::api) type FromSource = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// A create-from-src body.
pub(in crate::api) fn from_source(body: &Value) -> Result<FromSource> {
    let fields = required_object(body, "create-from-src")?;
    only(
        "create-from-src",
        fields,
        &[
            "name",
            "description",
            "group_snapshot_id",
            "source_group_id",
        ],
    )?;
    Ok((
        text("name", fields.get("name"))?,
        text("description", fields.get("description"))?,
        text("group_snapshot_id", fields.get("group_snapshot_id"))?,
        text("source_group_id", fields.get("source_group_id"))?,
    ))
}

/// `{"delete": {"delete-volumes": bool}}`.
pub(in crate::api) fn delete(body: &Value) -> Result<bool> {
    let fields = required_object(body, "delete")?;
    only("delete", fields, &["delete-volumes"])?;
    boolean("delete-volumes", fields.get("delete-volumes"))
}

/// `{"reset_status": {"status": ...}}`.
pub(in crate::api) fn reset_status(body: &Value) -> Result<String> {
    let fields = required_object(body, "reset_status")?;
    only("reset_status", fields, &["status"])?;
    required("status", fields)
}

/// `{"group_snapshot": {"group_id", "name", "description"}}`.
pub(in crate::api) fn snapshot(body: &Value) -> Result<(String, Option<String>, Option<String>)> {
    let fields = required_object(body, "group_snapshot")?;
    only(
        "group_snapshot",
        fields,
        &["group_id", "name", "description"],
    )?;
    Ok((
        required("group_id", fields)?,
        text("name", fields.get("name"))?,
        text("description", fields.get("description"))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn group_bodies_as_cinder_checks_them() {
        let made =
            create(&json!({"group": {"group_type": "g", "volume_types": ["a", "b"]}})).unwrap();
        assert_eq!(made.volume_types, ["a", "b"]);
        assert!(create(&json!({"group": {"group_type": "g"}})).is_err());
        assert!(create(&json!({"group": {"volume_types": ["a"]}})).is_err());
        assert!(
            create(&json!({"group": {"group_type": "g", "volume_types": [], "x": 1}})).is_err()
        );
        assert!(delete(&json!({"delete": {"delete-volumes": "yes"}})).unwrap());
        assert!(!delete(&json!({"delete": {}})).unwrap());
        assert!(delete(&json!({"delete": {"delete-volumes": "maybe"}})).is_err());
        assert_eq!(
            reset_status(&json!({"reset_status": {"status": "error"}})).unwrap(),
            "error"
        );
        assert!(snapshot(&json!({"group_snapshot": {"name": "n"}})).is_err());
        let (_, _, add, remove) =
            update(&json!({"group": {"add_volumes": "a,b", "remove_volumes": null}})).unwrap();
        assert_eq!((add.as_deref(), remove), (Some("a,b"), None));
    }
}
