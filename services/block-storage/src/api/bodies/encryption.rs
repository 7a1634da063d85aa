//! Volume type encryption bodies (create and update), as Cinder's
//! `volume_type_encryption` schemas take them.

use serde_json::{Map, Value};

use super::{one_of, python_repr, required_object, schema_error};
use crate::domain::encryption::EncryptionSpecs;
use crate::domain::Result;

/// A string of at most 255 characters (`nullable`: or null, which is `None`).
fn text(field: &str, value: &Value, nullable: bool) -> Result<Option<String>> {
    match value {
        Value::Null if nullable => Ok(None),
        Value::String(text) if text.chars().count() > 255 => {
            Err(schema_error(field, value, &format!("'{text}' is too long")))
        }
        Value::String(text) => Ok(Some(text.clone())),
        other => Err(schema_error(
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

/// `key_size`: an integer, a string of one, or null; not below 0.
fn key_size(value: &Value) -> Result<Option<i64>> {
    let not_int = || {
        schema_error(
            "key_size",
            value,
            &format!("{} is not a 'key_size'", python_repr(value)),
        )
    };
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => match n.as_i64() {
            Some(size) if size < 0 => Err(schema_error(
                "key_size",
                value,
                &format!("{size} is less than the minimum of 0"),
            )),
            Some(size) if size > i64::from(i32::MAX) => Err(schema_error(
                "key_size",
                value,
                &format!("{size} is greater than the maximum of 2147483647"),
            )),
            Some(size) => Ok(Some(size)),
            None => Err(schema_error(
                "key_size",
                value,
                &format!("{n} is not of type 'string', 'integer', 'null'"),
            )),
        },
        Value::String(text) => text.trim().parse::<i64>().map(Some).map_err(|_| not_int()),
        other => Err(schema_error(
            "key_size",
            other,
            &format!(
                "{} is not of type 'string', 'integer', 'null'",
                python_repr(other)
            ),
        )),
    }
}

/// The specs of a body; on `create`, provider and control location are required.
pub(in crate::api) fn specs(body: &Value, create: bool) -> Result<EncryptionSpecs> {
    let fields: &Map<String, Value> = required_object(body, "encryption")?;
    if let Some(extra) = body
        .as_object()
        .and_then(|top| top.keys().find(|k| k.as_str() != "encryption"))
    {
        return Err(schema_error(
            "encryption",
            body,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    let args = &body["encryption"];
    if create {
        for required in ["provider", "control_location"] {
            if !fields.contains_key(required) {
                return Err(schema_error(
                    "encryption",
                    args,
                    &format!("'{required}' is a required property"),
                ));
            }
        }
    }
    Ok(EncryptionSpecs {
        provider: match fields.get("provider") {
            Some(value) => text("provider", value, false)?,
            None => None,
        },
        cipher: fields
            .get("cipher")
            .map(|value| text("cipher", value, true))
            .transpose()?,
        key_size: fields.get("key_size").map(key_size).transpose()?,
        control_location: match fields.get("control_location") {
            Some(value) => Some(one_of(
                "control_location",
                Some(value),
                &["front-end", "back-end"],
                "",
            )?),
            None => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_and_update_bodies() {
        let made = specs(
            &json!({"encryption": {"provider": "luks", "control_location": "front-end", "key_size": "256", "cipher": null}}),
            true,
        )
        .unwrap();
        assert_eq!(made.key_size, Some(Some(256)));
        assert_eq!(made.cipher, Some(None));
        let err = |body: Value, create| specs(&body, create).unwrap_err().to_string();
        assert_eq!(
            err(json!({"encryption": {"provider": "luks"}}), true),
            "Invalid input for field/attribute encryption. Value: {\"provider\":\"luks\"}. 'control_location' is a required property"
        );
        assert_eq!(
            err(json!({"encryption": {"control_location": "middle"}}), false),
            "Invalid input for field/attribute control_location. Value: middle. 'middle' is not one of ['front-end', 'back-end']"
        );
        assert_eq!(
            err(json!({"encryption": {"key_size": "big"}}), false),
            "Invalid input for field/attribute key_size. Value: big. 'big' is not a 'key_size'"
        );
        assert!(err(json!({"encryption": {"key_size": -1}}), false)
            .ends_with("-1 is less than the minimum of 0"));
        assert!(err(json!({}), false).ends_with("'encryption' is a required property"));
        assert_eq!(
            specs(&json!({"encryption": {}}), false).unwrap(),
            EncryptionSpecs::default()
        );
    }
}
