//! Group type bodies (`{"group_type": {...}}`, `{"group_specs": {...}}`) as
//! Cinder's `group_types` and `group_specs` schemas check them.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{boolean, python_repr, required_object, schema_error};
use crate::domain::group_types::GroupTypeRequest;
use crate::domain::Result;

/// An optional string of at most `max` characters (null allowed when `nullable`).
fn text(field: &str, value: Option<&Value>, max: usize, nullable: bool) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(Value::Null) if nullable => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
        Some(Value::String(s)) => Err(schema_error(
            field,
            &Value::String(s.clone()),
            &format!("'{s}' is too long"),
        )),
        Some(other) => Err(schema_error(
            field,
            other,
            &format!("{} is not of type 'string'", python_repr(other)),
        )),
    }
}

/// Keys of 1 to 255 characters with string values of at most 255.
pub(in crate::api) fn specs(field: &str, value: &Value) -> Result<BTreeMap<String, String>> {
    let map = value.as_object().ok_or_else(|| {
        schema_error(
            field,
            value,
            &format!("{} is not of type 'object'", python_repr(value)),
        )
    })?;
    let mut specs = BTreeMap::new();
    for (key, v) in map {
        if key.is_empty() || key.chars().count() > 255 {
            return Err(schema_error(
                field,
                value,
                &format!("'{key}' does not match any of the regexes"),
            ));
        }
        let v = text(field, Some(v), 255, false)?.unwrap_or_default();
        specs.insert(key.clone(), v);
    }
    Ok(specs)
}

/// A create (`name` required) or update body.
pub(in crate::api) fn group_type(body: &Value, create: bool) -> Result<GroupTypeRequest> {
    let fields: &Map<String, Value> = required_object(body, "group_type")?;
    let allowed: &[&str] = if create {
        &["name", "description", "is_public", "group_specs"]
    } else {
        &["name", "description", "is_public"]
    };
    if let Some(extra) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(schema_error(
            "group_type",
            &body["group_type"],
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    let name = text("name", fields.get("name"), 255, !create)?;
    if create && name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(schema_error(
            "name",
            fields.get("name").unwrap_or(&Value::Null),
            "'name' is a required property",
        ));
    }
    Ok(GroupTypeRequest {
        name,
        description: text("description", fields.get("description"), 255, true)?,
        is_public: fields
            .get("is_public")
            .filter(|v| !v.is_null())
            .map(|v| boolean("is_public", Some(v)))
            .transpose()?,
        group_specs: match fields.get("group_specs") {
            Some(value) => specs("group_specs", value)?,
            None => BTreeMap::new(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_as_cinder_checks_them() {
        let made = group_type(
            &json!({"group_type": {"name": "g", "is_public": "false", "group_specs": {"k": "v"}}}),
            true,
        )
        .unwrap();
        assert_eq!(made.is_public, Some(false));
        assert_eq!(made.group_specs["k"], "v");
        assert!(group_type(&json!({"group_type": {"description": "d"}}), true).is_err());
        assert!(group_type(&json!({"group_type": {"name": "g", "x": 1}}), true).is_err());
        assert!(group_type(
            &json!({"group_type": {"name": "g", "group_specs": {"k": 1}}}),
            true
        )
        .is_err());
        let update = group_type(&json!({"group_type": {"description": "d"}}), false).unwrap();
        assert_eq!(update.name, None);
        assert!(group_type(&json!({"group_type": {"group_specs": {}}}), false).is_err());
    }
}
