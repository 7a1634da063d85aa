//! The os-migrate_volume body.

use serde_json::Value;

use super::{boolean, python_repr, schema_error};
use crate::domain::migrate::MigrateRequest;
use crate::domain::{CinderError, Result};

/// A `['string', 'null']` (or, without `nullable`, `string`) field of at most
/// 255 characters.
fn short_text(field: &str, value: Option<&Value>, nullable: bool) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(Value::Null) if nullable => Ok(None),
        Some(Value::String(text)) if text.chars().count() > 255 => Err(schema_error(
            field,
            &Value::String(text.clone()),
            &format!("'{text}' is too long"),
        )),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(schema_error(
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

/// Cinder's schemas (3.16 adds `cluster` and a nullable `host`), then its
/// rule that exactly one of host and cluster is given.
pub(super) fn migrate_request(args: &Value, clusters: bool) -> Result<MigrateRequest> {
    let Some(fields) = args.as_object() else {
        return Err(schema_error(
            "os-migrate_volume",
            args,
            &format!("{} is not of type 'object'", python_repr(args)),
        ));
    };
    let allowed: &[&str] = if clusters {
        &["host", "force_host_copy", "lock_volume", "cluster"]
    } else {
        &["host", "force_host_copy", "lock_volume"]
    };
    if let Some(extra) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(schema_error(
            "os-migrate_volume",
            args,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    if !clusters && !fields.contains_key("host") {
        return Err(schema_error(
            "os-migrate_volume",
            args,
            "'host' is a required property",
        ));
    }
    let host = short_text("host", fields.get("host"), clusters)?;
    boolean("force_host_copy", fields.get("force_host_copy"))?;
    let lock_volume = boolean("lock_volume", fields.get("lock_volume"))?;
    let cluster = if clusters {
        short_text("cluster", fields.get("cluster"), true)?
    } else {
        None
    };
    let (host, cluster) = (
        host.filter(|h| !h.is_empty()),
        cluster.filter(|c| !c.is_empty()),
    );
    if host.is_some() == cluster.is_some() {
        return Err(CinderError::BadRequest(format!(
            "Invalid input received: {}",
            if clusters {
                "One and only one of cluster and host must be set."
            } else {
                "Host field is missing."
            }
        )));
    }
    Ok(MigrateRequest {
        host,
        cluster,
        lock_volume,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(args: Value, clusters: bool) -> String {
        migrate_request(&args, clusters).unwrap_err().to_string()
    }

    #[test]
    fn migrate_bodies() {
        assert_eq!(
            migrate_request(&json!({"host": "n@b", "lock_volume": "true"}), false).unwrap(),
            MigrateRequest {
                host: Some("n@b".into()),
                cluster: None,
                lock_volume: true
            }
        );
        assert!(message(json!({}), false).ends_with("'host' is a required property"));
        assert_eq!(
            message(json!({"host": ""}), false),
            "Invalid input received: Host field is missing."
        );
        assert_eq!(
            message(json!({"host": null}), false),
            "Invalid input for field/attribute host. Value: None. None is not of type 'string'"
        );
        assert_eq!(
            message(json!({"host": 5}), true),
            "Invalid input for field/attribute host. Value: 5. 5 is not of type 'string', 'null'"
        );
        assert!(message(json!({"host": "h", "cluster": "c"}), false)
            .ends_with("Additional properties are not allowed ('cluster' was unexpected)"));
        assert_eq!(
            message(json!({"host": "h", "cluster": "c"}), true),
            "Invalid input received: One and only one of cluster and host must be set."
        );
        assert_eq!(
            message(json!({"host": null, "cluster": null}), true),
            "Invalid input received: One and only one of cluster and host must be set."
        );
        assert!(message(json!({"host": "x".repeat(256)}), false).ends_with("is too long"));
        assert!(
            message(json!({"host": "h", "force_host_copy": "maybe"}), false)
                .starts_with("Invalid input for field/attribute force_host_copy.")
        );
        assert_eq!(
            migrate_request(&json!({"cluster": "c", "host": null}), true)
                .unwrap()
                .cluster
                .as_deref(),
            Some("c")
        );
    }
}
