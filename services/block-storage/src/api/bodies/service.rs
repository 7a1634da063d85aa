//! `PUT /os-services/{enable,disable,disable-log-reason}` bodies, as Cinder's
//! `services` schemas and `get_cluster_host` take them.

use serde_json::{Map, Value};

use super::{python_repr, schema_error};
use crate::domain::{CinderError, Result};

/// Which service a body names, and the reason it gives.
#[derive(Debug, PartialEq)]
pub(in crate::api) struct ServiceChange {
    pub host: String,
    /// `binary`, or the deprecated `service` when no binary is given.
    pub binary: String,
    /// What the body called the binary: `(binary, service)` as given.
    pub named: (String, String),
    pub reason: Option<String>,
}

/// A string of 1 to 255 characters.
fn name(field: &str, value: &Value) -> Result<String> {
    match value {
        Value::String(text) if text.is_empty() => {
            Err(schema_error(field, value, "'' should be non-empty"))
        }
        Value::String(text) if text.chars().count() > 255 => {
            Err(schema_error(field, value, &format!("'{text}' is too long")))
        }
        Value::String(text) => Ok(text.clone()),
        other => Err(schema_error(
            field,
            other,
            &format!("{} is not of type 'string'", python_repr(other)),
        )),
    }
}

/// The body of an enable or disable (`with_reason`: disable-log-reason).
pub(in crate::api) fn change(body: &Value, with_reason: bool) -> Result<ServiceChange> {
    let empty = Map::new();
    let fields = body.as_object().unwrap_or(&empty);
    let allowed: &[&str] = if with_reason {
        &["binary", "host", "cluster", "service", "disabled_reason"]
    } else {
        &["binary", "host", "cluster", "service"]
    };
    if let Some(extra) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(schema_error(
            "",
            body,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    let binary = fields
        .get("binary")
        .map(|v| name("binary", v))
        .transpose()?;
    let service = fields
        .get("service")
        .map(|v| name("service", v))
        .transpose()?;
    if binary.is_none() && service.is_none() {
        return Err(schema_error(
            "",
            body,
            &format!(
                "{} is not valid under any of the given schemas",
                python_repr(body)
            ),
        ));
    }
    let reason = match fields.get("disabled_reason") {
        Some(value) if with_reason => {
            let reason = name("disabled_reason", value)?;
            if reason.trim().is_empty() {
                return Err(schema_error(
                    "disabled_reason",
                    value,
                    "Disabled reason contains invalid characters or is too long",
                ));
            }
            Some(reason)
        }
        _ => None,
    };
    let host = match fields.get("host") {
        Some(Value::String(host)) if !host.is_empty() => host.clone(),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            return Err(CinderError::BadRequest(
                "Invalid input received: Host field is missing.".into(),
            ))
        }
        Some(other) => {
            return Err(schema_error(
                "host",
                other,
                &format!("{} is not of type 'string', 'null'", python_repr(other)),
            ))
        }
    };
    let named = (
        binary.clone().unwrap_or_default(),
        service.clone().unwrap_or_default(),
    );
    Ok(ServiceChange {
        host,
        binary: binary.or(service).unwrap_or_default(),
        named,
        reason,
    })
}

/// The host a freeze or thaw body names (Cinder's `freeze_and_thaw` schema).
pub(in crate::api) fn frozen_host(body: &Value) -> Result<String> {
    let empty = Map::new();
    let fields = body.as_object().unwrap_or(&empty);
    if let Some(extra) = fields
        .keys()
        .find(|k| !["host", "cluster"].contains(&k.as_str()))
    {
        return Err(schema_error(
            "",
            body,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    match fields.get("host") {
        Some(host) => name("host", host),
        None => Err(CinderError::BadRequest(
            "Missing required element 'host' in request body.".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn enable_disable_and_reason_bodies() {
        let made = change(
            &json!({"host": "vm@file", "binary": "cinder-volume"}),
            false,
        )
        .unwrap();
        assert_eq!(
            (made.host.as_str(), made.binary.as_str()),
            ("vm@file", "cinder-volume")
        );
        let old = change(
            &json!({"host": "vm@file", "service": "cinder-volume"}),
            false,
        )
        .unwrap();
        assert_eq!(old.binary, "cinder-volume");
        assert_eq!(old.named, (String::new(), "cinder-volume".to_string()));
        assert!(change(&json!({"host": "h"}), false)
            .unwrap_err()
            .to_string()
            .ends_with("is not valid under any of the given schemas"));
        assert_eq!(
            change(&json!({"binary": "b"}), false)
                .unwrap_err()
                .to_string(),
            "Invalid input received: Host field is missing."
        );
        assert!(change(
            &json!({"host": "h", "binary": "b", "disabled_reason": null}),
            true
        )
        .is_err());
        assert!(change(
            &json!({"host": "h", "binary": "b", "disabled_reason": "   "}),
            true
        )
        .is_err());
        assert_eq!(
            change(
                &json!({"host": "h", "binary": "b", "disabled_reason": "maintenance"}),
                true
            )
            .unwrap()
            .reason
            .as_deref(),
            Some("maintenance")
        );
        assert!(change(
            &json!({"host": "h", "binary": "b", "disabled_reason": "x"}),
            false
        )
        .unwrap_err()
        .to_string()
        .contains("'disabled_reason' was unexpected"));
    }
}
