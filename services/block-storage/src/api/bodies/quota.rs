//! Quota bodies (`quota_set`, `quota_class_set`): limits as Cinder's quota
//! schemas take them.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::domain::{CinderError, Result};

/// A limit as Cinder's quota-set schema takes it.
fn limit_value(key: &str, value: &Value) -> Result<i64> {
    let bad = |why: String| CinderError::BadRequest(why);
    let number = match value {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| bad(format!("{key} must be an integer")))?,
        Value::String(text) => text
            .trim()
            .parse::<i64>()
            .map_err(|_| bad(format!("{key} must be an integer")))?,
        _ => return Err(bad(format!("{key} must be an integer"))),
    };
    if number < -1 {
        return Err(bad(format!("{key} must be >= -1")));
    }
    if number > i64::from(i32::MAX) {
        return Err(bad(format!("{key} must be <= 2147483647")));
    }
    Ok(number)
}

/// The limits under `key` of a body (`quota_set` or `quota_class_set`); the
/// `id` and `tenant_id` clients echo back are not limits.
pub(in crate::api) fn limits(body: &Value, key: &str) -> Result<BTreeMap<String, i64>> {
    body.get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| {
            CinderError::BadRequest(format!("Missing required element '{key}' in request body."))
        })?
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "id" | "tenant_id"))
        .map(|(name, value)| Ok((name.clone(), limit_value(name, value)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn limits_as_the_schema_takes_them() {
        assert_eq!(limit_value("volumes", &json!(5)).unwrap(), 5);
        assert_eq!(limit_value("volumes", &json!("7")).unwrap(), 7);
        assert_eq!(
            limit_value("volumes", &json!(-2)).unwrap_err().to_string(),
            "volumes must be >= -1"
        );
        assert_eq!(
            limit_value("volumes", &json!("abc"))
                .unwrap_err()
                .to_string(),
            "volumes must be an integer"
        );
        assert_eq!(
            limit_value("volumes", &json!(2147483648u64))
                .unwrap_err()
                .to_string(),
            "volumes must be <= 2147483647"
        );
    }

    #[test]
    fn bodies_without_their_key_or_with_ids() {
        assert_eq!(
            limits(
                &json!({"quota_set": {"id": "p", "volumes": 3}}),
                "quota_set"
            )
            .unwrap(),
            BTreeMap::from([("volumes".to_string(), 3)])
        );
        assert_eq!(
            limits(&json!({}), "quota_class_set")
                .unwrap_err()
                .to_string(),
            "Missing required element 'quota_class_set' in request body."
        );
    }
}
