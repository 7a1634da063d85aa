//! Request bodies as Cinder's JSON schemas take them, into the domain's typed
//! requests; Cinder's 400 texts for those that do not fit.

use serde_json::Value;

use crate::domain::{CinderError, Result};

pub(super) mod backup;
pub(super) mod encryption;
pub(super) mod group;
pub(super) mod group_type;
pub(super) mod image_action;
pub(super) mod migrate;
pub(super) mod qos;
pub(super) mod quota;
pub(super) mod service;
pub(super) mod snapshot_action;
pub(super) mod transfer;
pub(super) mod volume_action;

const TRUE_WORDS: &[&str] = &[
    "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes", "y", "t",
];
const FALSE_WORDS: &[&str] = &[
    "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no", "n", "f",
];

/// Cinder's 400 for a body that fails its JSON schema at `field`.
pub(crate) fn schema_error(field: &str, value: &Value, why: &str) -> CinderError {
    let shown = match value {
        Value::String(text) => text.clone(),
        Value::Null => "None".into(),
        other => other.to_string(),
    };
    CinderError::BadRequest(format!(
        "Invalid input for field/attribute {field}. Value: {shown}. {why}"
    ))
}

/// The object under `key` of a body, with jsonschema's texts when it is
/// missing or not an object.
pub(crate) fn required_object<'a>(
    body: &'a Value,
    key: &str,
) -> Result<&'a serde_json::Map<String, Value>> {
    let Some(args) = body.get(key) else {
        return Err(schema_error(
            key,
            body,
            &format!("'{key}' is a required property"),
        ));
    };
    args.as_object().ok_or_else(|| {
        schema_error(
            key,
            args,
            &format!("{} is not of type 'object'", python_repr(args)),
        )
    })
}

/// A boolean as Cinder's `boolean` parameter type takes it.
pub(crate) fn boolean(field: &str, value: Option<&Value>) -> Result<bool> {
    match value {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if TRUE_WORDS.contains(&s.as_str()) => Ok(true),
        Some(Value::String(s)) if FALSE_WORDS.contains(&s.as_str()) => Ok(false),
        Some(other) => Err(schema_error(
            field,
            other,
            &format!(
                "{} is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f']",
                python_repr(other)
            ),
        )),
    }
}

/// A uuid (or null, when `nullable`).
pub(crate) fn uuid_of(
    field: &str,
    value: Option<&Value>,
    nullable: bool,
) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(Value::Null) if nullable => Ok(None),
        Some(Value::String(id)) if uuid::Uuid::parse_str(id).is_ok() => Ok(Some(id.clone())),
        Some(other) => Err(schema_error(
            field,
            other,
            &format!("{} is not a 'uuid'", python_repr(other)),
        )),
    }
}

/// How Python shows a JSON value in a jsonschema message.
pub(crate) fn python_repr(value: &Value) -> String {
    match value {
        Value::String(text) => format!("'{text}'"),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

/// One of `allowed` (`default` when absent), as a jsonschema `enum` checks it.
pub(crate) fn one_of(
    field: &str,
    value: Option<&Value>,
    allowed: &[&str],
    default: &str,
) -> Result<String> {
    match value {
        None => Ok(default.to_string()),
        Some(Value::String(text)) if allowed.contains(&text.as_str()) => Ok(text.clone()),
        Some(other) => {
            let list: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
            Err(schema_error(
                field,
                other,
                &format!("{} is not one of [{}]", python_repr(other), list.join(", ")),
            ))
        }
    }
}

/// A size as Cinder's schema takes it: an integer or a string of digits, 1 or more.
pub(super) fn size_of(field: &str, value: Option<&Value>) -> Result<i64> {
    let invalid = |detail: String| {
        CinderError::BadRequest(format!(
            "Invalid input for field/attribute {field}. {detail}"
        ))
    };
    let number = match value {
        None | Some(Value::Null) => {
            return Err(CinderError::BadRequest(format!(
            "Invalid input received: Volume {field} 'None' must be an integer and greater than 0"
        )))
        }
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
            invalid(format!(
                "Value: {n}. {n} is not of type 'integer', 'string', 'null'"
            ))
        })?,
        Some(Value::String(text)) => {
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(format!(
                    "Value: {text}. '{text}' does not match '^[0-9]+$'"
                )));
            }
            text.parse::<i64>().map_err(|_| {
                invalid(format!(
                    "Value: {text}. {text} is greater than the maximum of 2147483647"
                ))
            })?
        }
        Some(other) => {
            return Err(invalid(format!(
                "Value: {other}. {other} is not of type 'integer', 'string', 'null'"
            )))
        }
    };
    if number < 1 {
        return Err(invalid(format!(
            "Value: {number}. {number} is less than the minimum of 1"
        )));
    }
    if number > 2147483647 {
        return Err(invalid(format!(
            "Value: {number}. {number} is greater than the maximum of 2147483647"
        )));
    }
    Ok(number)
}
