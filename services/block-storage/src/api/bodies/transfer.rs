//! Volume transfer bodies: create and accept.

use serde_json::Value;

use super::{boolean, python_repr, required_object, schema_error};
use crate::domain::transfers::TransferRequest;
use crate::domain::Result;

/// Cinder's `create` schema (and `create_v355`, which adds `no_snapshots`).
pub(in crate::api) fn transfer_request(
    body: &Value,
    with_snapshots_flag: bool,
) -> Result<TransferRequest> {
    let fields = required_object(body, "transfer")?;
    let args = &body["transfer"];
    let allowed: &[&str] = if with_snapshots_flag {
        &["volume_id", "name", "no_snapshots"]
    } else {
        &["volume_id", "name"]
    };
    if let Some(extra) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(schema_error(
            "transfer",
            args,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    let volume_id = match fields.get("volume_id") {
        Some(Value::String(id)) if uuid::Uuid::parse_str(id).is_ok() => id.clone(),
        Some(other) => {
            return Err(schema_error(
                "volume_id",
                other,
                &format!("{} is not a 'uuid'", python_repr(other)),
            ))
        }
        None => {
            return Err(schema_error(
                "transfer",
                args,
                "'volume_id' is a required property",
            ))
        }
    };
    let name = match fields.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) if name.chars().count() > 255 => {
            return Err(schema_error(
                "name",
                &Value::String(name.clone()),
                &format!("'{name}' is too long"),
            ))
        }
        Some(Value::String(name)) => Some(name.trim().to_string()),
        Some(other) => {
            return Err(schema_error(
                "name",
                other,
                &format!(
                    "{} is not valid under any of the given schemas",
                    python_repr(other)
                ),
            ))
        }
    };
    let no_snapshots = boolean("no_snapshots", fields.get("no_snapshots"))?;
    Ok(TransferRequest {
        volume_id,
        name,
        no_snapshots,
    })
}

/// The auth key of an accept body (a string or an integer).
pub(in crate::api) fn accept_key(body: &Value) -> Result<String> {
    let fields = required_object(body, "accept")?;
    let args = &body["accept"];
    if let Some(extra) = fields.keys().find(|k| k.as_str() != "auth_key") {
        return Err(schema_error(
            "accept",
            args,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    match fields.get("auth_key") {
        Some(Value::String(key)) => Ok(key.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        Some(other) => Err(schema_error(
            "auth_key",
            other,
            &format!("{} is not of type 'string', 'integer'", python_repr(other)),
        )),
        None => Err(schema_error(
            "accept",
            args,
            "'auth_key' is a required property",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "5f3d2f3e-7c55-4c8e-9a55-0c1d2e3f4a5b";

    #[test]
    fn create_and_accept_bodies() {
        assert_eq!(
            transfer_request(
                &json!({"transfer": {"volume_id": ID, "name": " t "}}),
                false
            )
            .unwrap(),
            TransferRequest {
                volume_id: ID.into(),
                name: Some("t".into()),
                no_snapshots: false
            }
        );
        assert!(
            transfer_request(
                &json!({"transfer": {"volume_id": ID, "no_snapshots": true}}),
                true
            )
            .unwrap()
            .no_snapshots
        );
        let err = |body: Value, flag: bool| transfer_request(&body, flag).unwrap_err().to_string();
        assert!(err(
            json!({"transfer": {"volume_id": ID, "no_snapshots": true}}),
            false
        )
        .ends_with("Additional properties are not allowed ('no_snapshots' was unexpected)"));
        assert!(err(json!({"transfer": {}}), true).ends_with("'volume_id' is a required property"));
        assert_eq!(
            err(json!({"transfer": {"volume_id": "x"}}), true),
            "Invalid input for field/attribute volume_id. Value: x. 'x' is not a 'uuid'"
        );
        assert_eq!(
            accept_key(&json!({"accept": {"auth_key": 1234}})).unwrap(),
            "1234"
        );
        assert!(accept_key(&json!({"accept": {}}))
            .unwrap_err()
            .to_string()
            .ends_with("'auth_key' is a required property"));
    }
}
