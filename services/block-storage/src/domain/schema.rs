//! How Cinder's JSON schemas take request values, and its 400 texts for those
//! that do not fit.

use serde_json::Value;

use super::{CinderError, Result};

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

/// Cinder's 400 for query filters the resource does not take.
pub(crate) fn invalid_filters(keys: &[&str]) -> CinderError {
    CinderError::BadRequest(format!(
        "Invalid filters {} are found in query options.",
        keys.join(",")
    ))
}

/// Cinder's `get_bool_param` of a query parameter (absent is false).
pub(crate) fn bool_param(name: &str, value: Option<&str>) -> Result<bool> {
    let Some(value) = value else {
        return Ok(false);
    };
    match value.to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "t" | "on" => Ok(true),
        "false" | "no" | "n" | "0" | "f" | "off" => Ok(false),
        _ => Err(CinderError::BadRequest(format!(
            "Value '{value}' for '{name}' is not a boolean."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_booleans() {
        assert!(bool_param("detail", Some("True")).unwrap());
        assert!(!bool_param("detail", Some("off")).unwrap());
        assert!(!bool_param("detail", None).unwrap());
        assert_eq!(
            bool_param("detail", Some("maybe")).unwrap_err().to_string(),
            "Value 'maybe' for 'detail' is not a boolean."
        );
    }
}
