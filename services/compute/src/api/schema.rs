//! Nova's JSON-schema error texts, for bodies and query strings the handlers
//! check by hand.

use serde_json::Value;

use crate::domain::NovaError;

/// How Python prints a JSON value inside a jsonschema message (`'x'`, `None`,
/// `True`, `{'a': 1}`).
pub fn python_repr(value: &Value) -> String {
    match value {
        Value::String(text) => format!("'{text}'"),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(python_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("'{k}': {}", python_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Number(n) => n.to_string(),
    }
}

/// `str()` of the failing instance, as the message's `Value:` shows it.
fn python_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => python_repr(other),
    }
}

/// 400 for a body field that fails its schema.
pub fn field_error(field: &str, value: &Value, why: &str) -> NovaError {
    NovaError::BadRequest(format!(
        "Invalid input for field/attribute {field}. Value: {}. {why}",
        python_str(value)
    ))
}

/// 400 for a query parameter that fails its schema.
pub fn query_error(name: &str, value: &str, why: &str) -> NovaError {
    NovaError::BadRequest(format!(
        "Invalid input for query parameters {name}. Value: {value}. {why}"
    ))
}

/// Nova's `format: name`: printable characters, no leading or trailing
/// whitespace (checked before the name's own pattern).
pub fn check_name(value: &str) -> Result<(), NovaError> {
    let printable =
        |c: char| !c.is_control() && (c == ' ' || !c.is_whitespace()) && (c as u32) < 0xFFFF;
    let ends_ok = |c: Option<char>| c.is_some_and(|c| !c.is_whitespace());
    if value.is_empty()
        || (value.chars().all(printable)
            && ends_ok(value.chars().next())
            && ends_ok(value.chars().last()))
    {
        return Ok(());
    }
    Err(NovaError::BadRequest(
        "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.".into(),
    ))
}

/// A `{'type': ['integer', 'string'], 'pattern': '^[0-9]+$', 'minimum': min,
/// 'maximum': 2147483647}` parameter.
pub fn bounded_integer(field: &str, value: &Value, min: i64) -> Result<i64, NovaError> {
    let number = match value {
        Value::Number(n) => match n.as_i64() {
            Some(n) => n,
            None if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                n.as_f64().unwrap_or(0.0) as i64
            }
            None => {
                return Err(field_error(
                    field,
                    value,
                    &format!("{} is not of type 'integer', 'string'", python_repr(value)),
                ))
            }
        },
        Value::String(text) => {
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(field_error(
                    field,
                    value,
                    &format!("{} does not match '^[0-9]+$'", python_repr(value)),
                ));
            }
            text.parse::<i64>().unwrap_or(i64::MAX)
        }
        other => {
            return Err(field_error(
                field,
                other,
                &format!("{} is not of type 'integer', 'string'", python_repr(other)),
            ))
        }
    };
    if number < min {
        return Err(field_error(
            field,
            value,
            &format!("{} is less than the minimum of {min}", python_repr(value)),
        ));
    }
    if number > 2_147_483_647 {
        return Err(field_error(
            field,
            value,
            &format!(
                "{} is greater than the maximum of 2147483647",
                python_repr(value)
            ),
        ));
    }
    Ok(number)
}

/// Nova's `boolean` parameter type.
pub fn boolean(field: &str, value: &Value) -> Result<bool, NovaError> {
    const TRUE: &[&str] = &[
        "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes",
    ];
    const FALSE: &[&str] = &[
        "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no",
    ];
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if TRUE.contains(&s.as_str()) => Ok(true),
        Value::String(s) if FALSE.contains(&s.as_str()) => Ok(false),
        other => Err(field_error(
            field,
            other,
            &format!(
                "{} is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']",
                python_repr(other)
            ),
        )),
    }
}

/// 400 for a value outside its schema's `enum`.
pub fn not_one_of(field: &str, value: &Value, allowed: &[&str]) -> NovaError {
    let list = allowed
        .iter()
        .map(|p| format!("'{p}'"))
        .collect::<Vec<_>>()
        .join(", ");
    field_error(
        field,
        value,
        &format!("{} is not one of [{list}]", python_repr(value)),
    )
}

/// A string that must be one of `allowed` (a string `enum`).
pub fn one_of<'a>(field: &str, value: &'a Value, allowed: &[&str]) -> Result<&'a str, NovaError> {
    match value.as_str() {
        Some(text) if allowed.contains(&text) => Ok(text),
        Some(_) => Err(not_one_of(field, value, allowed)),
        None => Err(field_error(
            field,
            value,
            &format!("{} is not of type 'string'", python_repr(value)),
        )),
    }
}

/// A string in UUID form (jsonschema's `format: uuid`).
pub fn uuid(field: &str, value: &Value) -> Result<String, NovaError> {
    match value {
        Value::String(id) if ::uuid::Uuid::parse_str(id).is_ok() => Ok(id.clone()),
        Value::String(_) => Err(field_error(
            field,
            value,
            &format!("{} is not a 'uuid'", python_repr(value)),
        )),
        other => Err(field_error(
            field,
            other,
            &format!("{} is not of type 'string'", python_repr(other)),
        )),
    }
}

/// `OS-DCF:diskConfig` of an object, if given: whether it is AUTO.
pub fn disk_config(object: &Value) -> Result<Option<bool>, NovaError> {
    match object.get("OS-DCF:diskConfig") {
        None => Ok(None),
        Some(Value::String(s)) if s == "AUTO" => Ok(Some(true)),
        Some(Value::String(s)) if s == "MANUAL" => Ok(Some(false)),
        Some(other) => Err(field_error(
            "OS-DCF:diskConfig",
            other,
            &format!("{} is not one of ['AUTO', 'MANUAL']", python_repr(other)),
        )),
    }
}

/// A device tag (2.49): 1 to 60 characters without ',' or '/'.
pub fn device_tag(value: &Value) -> Result<String, NovaError> {
    match value {
        Value::String(tag)
            if !tag.is_empty() && tag.chars().count() <= 60 && !tag.contains([',', '/']) =>
        {
            Ok(tag.clone())
        }
        other => Err(field_error(
            "tag",
            other,
            &format!(
                "{} is not a valid tag (1 to 60 characters, no ',' or '/')",
                python_repr(other)
            ),
        )),
    }
}

/// Refuses keys of `object` other than `allowed` (jsonschema's
/// `additionalProperties: False`), reported at `field`.
pub fn only(field: &str, object: &Value, allowed: &[&str]) -> Result<(), NovaError> {
    let Some(map) = object.as_object() else {
        return Err(field_error(
            field,
            object,
            &format!("{} is not of type 'object'", python_repr(object)),
        ));
    };
    let extra: Vec<String> = map
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| format!("'{k}'"))
        .collect();
    if extra.is_empty() {
        return Ok(());
    }
    let verb = if extra.len() == 1 { "was" } else { "were" };
    Err(field_error(
        field,
        object,
        &format!(
            "Additional properties are not allowed ({} {verb} unexpected)",
            extra.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_read_as_novas() {
        assert_eq!(
            bounded_integer("ram", &json!("abc"), 1)
                .unwrap_err()
                .to_string(),
            "Invalid input for field/attribute ram. Value: abc. 'abc' does not match '^[0-9]+$'"
        );
        assert_eq!(
            bounded_integer("ram", &json!(0), 1)
                .unwrap_err()
                .to_string(),
            "Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1"
        );
        assert_eq!(bounded_integer("disk", &json!("10"), 0).unwrap(), 10);
        assert!(check_name(" x").is_err() && check_name("a b").is_ok());
        assert_eq!(
            only("flavor", &json!({"name": "x", "wheels": 4}), &["name"]).unwrap_err().to_string(),
            "Invalid input for field/attribute flavor. Value: {'name': 'x', 'wheels': 4}. Additional properties are not allowed ('wheels' was unexpected)"
        );
    }
}
