//! Setting image attributes from client JSON, validated as Glance's image schema
//! does, with Glance's read-only and reserved attribute rules and messages.

use serde_json::Value;

use super::error::{ImageError, Result};
use super::model::{Image, Visibility};

/// Attributes only the server sets.
pub const READ_ONLY: &[&str] = &[
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "created_at",
    "size",
    "virtual_size",
    "status",
    "updated_at",
    "direct_url",
    "self",
    "file",
    "schema",
    "id",
    "stores",
];

/// Attributes no client may set.
pub const RESERVED: &[&str] = &["location", "deleted", "deleted_at"];

/// Core attributes: present on every image, removable by no one.
pub const CORE: &[&str] = &[
    "name",
    "visibility",
    "protected",
    "os_hidden",
    "owner",
    "container_format",
    "disk_format",
    "min_ram",
    "min_disk",
    "tags",
];

/// Attributes that describe the data: changeable only while the image is queued.
pub const FROZEN_AFTER_UPLOAD: &[&str] = &["disk_format", "container_format"];

/// The prefix of the properties the import flow keeps for itself.
pub const RESERVED_PREFIX: &str = "os_glance_";

/// Whether `name` is reserved for the service.
pub fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name) || name.starts_with(RESERVED_PREFIX)
}

/// Formats lists the schema accepts.
pub struct Formats<'a> {
    pub disk: &'a [String],
    pub container: &'a [String],
}

/// A value as Python's `repr` shows it, as in Glance's schema errors.
fn py_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => format!("'{s}'"),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(py_repr).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

fn schema_error(detail: String) -> ImageError {
    ImageError::BadRequest(format!(
        "Provided object does not match schema 'image': {detail}"
    ))
}

fn not_type(value: &Value, kind: &str) -> ImageError {
    schema_error(format!("{} is not of type '{kind}'", py_repr(value)))
}

fn not_one_of(value: &Value, allowed: &[Value]) -> ImageError {
    schema_error(format!(
        "{} is not one of {}",
        py_repr(value),
        py_repr(&Value::Array(allowed.to_vec()))
    ))
}

fn string(value: &Value, max: usize) -> Result<String> {
    let s = value.as_str().ok_or_else(|| not_type(value, "string"))?;
    if s.chars().count() > max {
        return Err(schema_error(format!("{} is too long", py_repr(value))));
    }
    Ok(s.to_string())
}

fn nullable_string(value: &Value, max: usize) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        v => string(v, max).map(Some),
    }
}

fn boolean(value: &Value) -> Result<bool> {
    value.as_bool().ok_or_else(|| not_type(value, "boolean"))
}

fn integer(value: &Value) -> Result<i32> {
    value
        .as_i64()
        .and_then(|i| i32::try_from(i).ok())
        .ok_or_else(|| not_type(value, "integer"))
}

fn format(value: &Value, allowed: &[String]) -> Result<Option<String>> {
    let choices: Vec<Value> = std::iter::once(Value::Null)
        .chain(allowed.iter().map(|f| Value::String(f.clone())))
        .collect();
    match value {
        Value::Null => Ok(None),
        Value::String(s) if allowed.contains(s) => Ok(Some(s.clone())),
        Value::String(_) => Err(not_one_of(value, &choices)),
        other => Err(not_type(other, "string")),
    }
}

/// Checks that `value` is a valid image id (a UUID in 8-4-4-4-12 form).
pub fn image_id(value: &Value) -> Result<String> {
    let id = value.as_str().ok_or_else(|| not_type(value, "string"))?;
    let groups: Vec<&str> = id.split('-').collect();
    let shape_ok = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()));
    if !shape_ok {
        return Err(schema_error(format!(
            "{} does not match '^([0-9a-fA-F]){{8}}-([0-9a-fA-F]){{4}}-([0-9a-fA-F]){{4}}-([0-9a-fA-F]){{4}}-([0-9a-fA-F]){{12}}$'",
            py_repr(value)
        )));
    }
    Ok(id.to_string())
}

/// The requested visibility.
pub fn visibility(value: &Value) -> Result<Visibility> {
    let allowed: Vec<Value> = Visibility::ALL
        .iter()
        .map(|v| Value::String(v.as_str().into()))
        .collect();
    match value {
        Value::String(s) => Visibility::parse(s).ok_or_else(|| not_one_of(value, &allowed)),
        other => Err(not_type(other, "string")),
    }
}

/// The tags of a `tags` value.
pub fn tags(value: &Value) -> Result<Vec<String>> {
    let items = value.as_array().ok_or_else(|| not_type(value, "array"))?;
    items.iter().map(|t| string(t, 255)).collect()
}

/// Sets attribute `name` of `image` to `value`, after schema validation. The
/// caller has already refused read-only and reserved names and checked policy for
/// `visibility` and `owner`.
pub fn set(image: &mut Image, name: &str, value: &Value, formats: &Formats) -> Result<()> {
    match name {
        "name" => image.name = nullable_string(value, 255)?,
        "visibility" => image.visibility = visibility(value)?,
        "protected" => image.protected = boolean(value)?,
        "os_hidden" => image.os_hidden = boolean(value)?,
        "owner" => image.owner = nullable_string(value, 255)?,
        "container_format" => image.container_format = format(value, formats.container)?,
        "disk_format" => image.disk_format = format(value, formats.disk)?,
        "min_ram" => image.min_ram = integer(value)?,
        "min_disk" => image.min_disk = integer(value)?,
        "tags" => image.tags = tags(value)?.into_iter().collect(),
        extra => {
            if extra.chars().count() > 255 {
                return Err(ImageError::BadRequest(
                    "Custom property should not be greater than 255 characters.".into(),
                ));
            }
            let text = value.as_str().ok_or_else(|| not_type(value, "string"))?;
            image.properties.insert(extra.to_string(), text.to_string());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn formats() -> (Vec<String>, Vec<String>) {
        (vec!["raw".into(), "qcow2".into()], vec!["bare".into()])
    }

    #[test]
    fn validates_like_the_schema() {
        let (disk, container) = formats();
        let f = Formats {
            disk: &disk,
            container: &container,
        };
        let mut image = Image::new("i".into(), None);
        set(&mut image, "disk_format", &json!("qcow2"), &f).unwrap();
        assert_eq!(image.disk_format.as_deref(), Some("qcow2"));
        let err = set(&mut image, "disk_format", &json!("foo"), &f).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Provided object does not match schema 'image': 'foo' is not one of [None, 'raw', 'qcow2']"
        );
        let err = set(&mut image, "min_ram", &json!("5"), &f).unwrap_err();
        assert!(err.to_string().ends_with("'5' is not of type 'integer'"));
        let err = set(&mut image, "protected", &json!("true"), &f).unwrap_err();
        assert!(err.to_string().ends_with("'true' is not of type 'boolean'"));
        let err = set(&mut image, "foo", &json!(1), &f).unwrap_err();
        assert!(err.to_string().ends_with("1 is not of type 'string'"));
        assert!(set(&mut image, &"k".repeat(256), &json!("v"), &f).is_err());
        assert!(set(&mut image, "name", &json!("x".repeat(256)), &f).is_err());
        set(&mut image, "tags", &json!(["a", "b", "a"]), &f).unwrap();
        assert_eq!(image.tags.len(), 2);
        assert!(image_id(&json!("not-a-uuid")).is_err());
        assert!(image_id(&json!("09eb3fda-f0cc-4d39-9616-07e947445a50")).is_ok());
        assert!(visibility(&json!("foo")).is_err());
        assert!(is_reserved("os_glance_import_task"));
        assert!(!is_reserved("os_distro"));
    }
}
