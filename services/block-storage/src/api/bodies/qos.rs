//! QoS specs bodies: create, set keys, unset keys.

use serde_json::{Map, Value};

use super::{python_repr, required_object, schema_error};
use crate::domain::{CinderError, Result};

/// A key of `extra_specs_with_null`: `^[a-zA-Z0-9-_:. /]{1,255}$`.
fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.chars().count())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_:. /".contains(c))
}

/// The name and the other keys (`consumer` among them) of a create body.
pub(in crate::api) fn create(body: &Value) -> Result<(String, Map<String, Value>)> {
    let fields = required_object(body, "qos_specs")?;
    let args = &body["qos_specs"];
    let name = match fields.get("name") {
        Some(Value::String(name)) => {
            let name = name.trim();
            let why = if name.is_empty() {
                "The 'name' can not be empty."
            } else if name.chars().count() > 255 {
                "The 'name' can not be greater than 255 characters."
            } else {
                ""
            };
            if !why.is_empty() {
                return Err(CinderError::BadRequest(format!(
                    "An invalid 'name' value was provided. {why}"
                )));
            }
            name.to_string()
        }
        Some(other) => {
            return Err(schema_error(
                "name",
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            ))
        }
        None => {
            return Err(schema_error(
                "qos_specs",
                args,
                "'name' is a required property",
            ))
        }
    };
    let specs: Map<String, Value> = fields
        .iter()
        .filter(|(k, _)| k.as_str() != "name")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok((name, specs))
}

/// The keys to set of an update body.
pub(in crate::api) fn update(body: &Value) -> Result<Map<String, Value>> {
    let fields = required_object(body, "qos_specs")?;
    let args = &body["qos_specs"];
    if let Some(bad) = fields.keys().find(|k| !valid_key(k)) {
        return Err(schema_error(
            "qos_specs",
            args,
            &format!("Additional properties are not allowed ('{bad}' was unexpected)"),
        ));
    }
    if let Some((key, value)) = fields
        .iter()
        .find(|(_, v)| !matches!(v, Value::String(_) | Value::Null))
    {
        return Err(schema_error(
            key,
            value,
            &format!("{} is not of type 'string', 'null'", python_repr(value)),
        ));
    }
    Ok(fields.clone())
}

/// The keys of a delete_keys body.
pub(in crate::api) fn keys(body: &Value) -> Result<Vec<String>> {
    let keys = match body.get("keys") {
        Some(Value::Array(keys)) => keys,
        Some(other) => {
            return Err(schema_error(
                "keys",
                other,
                &format!("{} is not of type 'array'", python_repr(other)),
            ))
        }
        None => return Err(schema_error("keys", body, "'keys' is a required property")),
    };
    let keys: Vec<String> = keys
        .iter()
        .map(|k| match k {
            Value::String(k) if (1..=255).contains(&k.chars().count()) => Ok(k.clone()),
            other => Err(schema_error(
                "keys",
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            )),
        })
        .collect::<Result<_>>()?;
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_as_extra_specs_take_them() {
        assert!(valid_key("total_iops_sec"));
        assert!(valid_key("a:b c/d.e-f"));
        assert!(!valid_key(""));
        assert!(!valid_key("ünïcode"));
    }

    #[test]
    fn create_update_and_unset_bodies() {
        let (name, specs) =
            create(&json!({"qos_specs": {"name": " fast ", "consumer": "both"}})).unwrap();
        assert_eq!(
            (name.as_str(), specs),
            (
                "fast",
                json!({"consumer": "both"}).as_object().unwrap().clone()
            )
        );
        assert_eq!(
            create(&json!({"qos_specs": {}})).unwrap_err().to_string(),
            "Invalid input for field/attribute qos_specs. Value: {}. 'name' is a required property"
        );
        assert!(update(&json!({"qos_specs": {"k": 5}}))
            .unwrap_err()
            .to_string()
            .ends_with("5 is not of type 'string', 'null'"));
        assert_eq!(keys(&json!({"keys": ["a", "b"]})).unwrap(), vec!["a", "b"]);
        assert!(keys(&json!({"keys": "a"})).is_err());
    }
}
