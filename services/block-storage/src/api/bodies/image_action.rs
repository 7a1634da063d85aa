//! Bodies of the image volume actions: os-volume_upload_image,
//! os-set_image_metadata, os-unset_image_metadata.

use std::collections::BTreeMap;

use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};

use super::{boolean, one_of, python_repr, schema_error};
use crate::domain::image_actions::UploadRequest;
use crate::domain::Result;

/// `disk_format`s a volume may be uploaded as.
const DISK_FORMATS: &[&str] = &["raw", "vmdk", "vdi", "qcow2", "vhd", "vhdx", "ploop"];
const VISIBILITIES: &[&str] = &["community", "public", "private", "shared"];
/// An os-volume_upload_image body at `version` (3.1 adds visibility and
/// protection).
pub(super) fn upload_request(args: &Value, version: ApiVersion) -> Result<UploadRequest> {
    let v31 = version >= ApiVersion::new(3, 1);
    let Some(fields) = args.as_object() else {
        return Err(schema_error(
            "os-volume_upload_image",
            args,
            &format!("{} is not of type 'object'", python_repr(args)),
        ));
    };
    let known = |key: &str| {
        matches!(
            key,
            "image_name" | "force" | "disk_format" | "container_format"
        ) || (v31 && matches!(key, "visibility" | "protected"))
    };
    if let Some(extra) = fields.keys().find(|k| !known(k)) {
        return Err(schema_error(
            "os-volume_upload_image",
            args,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    let image_name = match fields.get("image_name") {
        None => {
            return Err(schema_error(
                "os-volume_upload_image",
                args,
                "'image_name' is a required property",
            ))
        }
        Some(Value::String(name)) if name.is_empty() => {
            return Err(schema_error(
                "image_name",
                &json!(""),
                "'' should be non-empty",
            ))
        }
        Some(Value::String(name)) if name.chars().count() > 255 => {
            return Err(schema_error("image_name", &json!(name), "is too long"))
        }
        Some(Value::String(name)) => name.clone(),
        Some(other) => {
            return Err(schema_error(
                "image_name",
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            ))
        }
    };
    let container_format = match fields.get("container_format") {
        None | Some(Value::Null) => "bare".to_string(),
        Some(Value::String(text)) if text.chars().count() <= 255 => text.clone(),
        Some(other) => {
            return Err(schema_error(
                "container_format",
                other,
                &format!("{} is not of type 'string', 'null'", python_repr(other)),
            ))
        }
    };
    Ok(UploadRequest {
        image_name,
        force: boolean("force", fields.get("force"))?,
        disk_format: one_of(
            "disk_format",
            fields.get("disk_format"),
            DISK_FORMATS,
            "raw",
        )?,
        container_format,
        visibility: if v31 {
            Some((
                one_of(
                    "visibility",
                    fields.get("visibility"),
                    VISIBILITIES,
                    "private",
                )?,
                boolean("protected", fields.get("protected"))?,
            ))
        } else {
            None
        },
    })
}

/// The metadata of an os-set_image_metadata body.
pub(super) fn image_metadata(args: &Value) -> Result<BTreeMap<String, String>> {
    let Some(given) = args.get("metadata") else {
        return Err(schema_error(
            "os-set_image_metadata",
            args,
            "'metadata' is a required property",
        ));
    };
    let Some(given) = given.as_object() else {
        return Err(schema_error(
            "metadata",
            given,
            &format!("{} is not of type 'object'", python_repr(given)),
        ));
    };
    let mut metadata = BTreeMap::new();
    for (key, value) in given {
        let key_ok = !key.is_empty()
            && key.chars().count() <= 255
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_:. /".contains(c));
        if !key_ok {
            return Err(schema_error(
                "metadata",
                &Value::Object(given.clone()),
                &format!(
                    "'{key}' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{{1,255}}$'"
                ),
            ));
        }
        let Some(text) = value.as_str() else {
            return Err(schema_error(
                key,
                value,
                &format!("{} is not of type 'string'", python_repr(value)),
            ));
        };
        if text.len() > 65535 {
            return Err(schema_error(key, value, "It is not a 'mysql_text'"));
        }
        metadata.insert(key.clone(), text.to_string());
    }
    Ok(metadata)
}

/// The key of an os-unset_image_metadata body.
pub(super) fn unset_key(args: &Value) -> Result<String> {
    let key = match args.get("key") {
        Some(Value::String(key)) if key.is_empty() => {
            return Err(schema_error("key", &json!(""), "'' should be non-empty"))
        }
        Some(Value::String(key)) => key.clone(),
        Some(other) => {
            return Err(schema_error(
                "key",
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            ))
        }
        None => {
            return Err(schema_error(
                "os-unset_image_metadata",
                args,
                "'key' is a required property",
            ))
        }
    };
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_requests_as_cinders_schemas_take_them() {
        let v30 = ApiVersion::new(3, 0);
        let v31 = ApiVersion::new(3, 1);
        let asked = upload_request(&json!({"image_name": "img"}), v31).unwrap();
        assert_eq!(
            (asked.disk_format.as_str(), asked.container_format.as_str()),
            ("raw", "bare")
        );
        assert_eq!(asked.visibility, Some(("private".into(), false)));
        assert!(upload_request(&json!({"image_name": "img"}), v30)
            .unwrap()
            .visibility
            .is_none());
        let err = |body: Value, version| upload_request(&body, version).err().unwrap().to_string();
        assert_eq!(
            err(json!({}), v30),
            "Invalid input for field/attribute os-volume_upload_image. Value: {}. 'image_name' is a required property"
        );
        assert_eq!(
            err(json!({"image_name": ""}), v30),
            "Invalid input for field/attribute image_name. Value: . '' should be non-empty"
        );
        assert_eq!(
            err(json!({"image_name": "i", "disk_format": "iso"}), v30),
            "Invalid input for field/attribute disk_format. Value: iso. 'iso' is not one of ['raw', 'vmdk', 'vdi', 'qcow2', 'vhd', 'vhdx', 'ploop']"
        );
        assert!(
            err(json!({"image_name": "i", "visibility": "private"}), v30)
                .contains("Additional properties are not allowed ('visibility' was unexpected)")
        );
        assert_eq!(
            err(json!({"image_name": "i", "visibility": "everyone"}), v31),
            "Invalid input for field/attribute visibility. Value: everyone. 'everyone' is not one of ['community', 'public', 'private', 'shared']"
        );
        assert!(err(json!({"image_name": "i", "force": "maybe"}), v30)
            .starts_with("Invalid input for field/attribute force. Value: maybe. 'maybe' is not one of [True, 'True'"));
        assert!(
            upload_request(&json!({"image_name": "i", "force": "yes"}), v30)
                .unwrap()
                .force
        );
    }
}
