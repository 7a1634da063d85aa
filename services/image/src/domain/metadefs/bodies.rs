//! Request bodies of metadata definitions checked as Glance's JSON schemas
//! check them: unknown keys, missing required ones, wrong types and lengths
//! are 400 naming the schema; read-only keys are 403.

use serde_json::{Map, Value};

use super::model::Contents;
use crate::domain::{ImageError, Result};

/// The types a property may declare.
const PROPERTY_TYPES: [&str; 7] = [
    "array", "boolean", "integer", "number", "object", "string", "null",
];

/// The keys a property body may carry.
const PROPERTY_KEYS: [&str; 20] = [
    "name",
    "title",
    "description",
    "operators",
    "type",
    "required",
    "minimum",
    "maximum",
    "maxLength",
    "minLength",
    "pattern",
    "enum",
    "readonly",
    "default",
    "items",
    "maxItems",
    "minItems",
    "uniqueItems",
    "additionalItems",
    "additionalProperties",
];

fn mismatch(schema: &str, detail: impl std::fmt::Display) -> ImageError {
    ImageError::BadRequest(format!(
        "Provided object does not match schema '{schema}': {detail}"
    ))
}

/// The body as an object.
pub fn object<'a>(schema: &str, body: &'a Value) -> Result<&'a Map<String, Value>> {
    body.as_object()
        .ok_or_else(|| mismatch(schema, format!("{body} is not of type 'object'")))
}

/// Refuses read-only keys (403) and keys the schema does not have (400).
fn keys(
    schema: &str,
    body: &Map<String, Value>,
    allowed: &[&str],
    read_only: &[&str],
) -> Result<()> {
    for key in body.keys() {
        if read_only.contains(&key.as_str()) {
            return Err(ImageError::Forbidden(format!(
                "Attribute '{key}' is read-only."
            )));
        }
        if !allowed.contains(&key.as_str()) {
            return Err(mismatch(
                schema,
                format!("Additional properties are not allowed ('{key}' was unexpected)"),
            ));
        }
    }
    Ok(())
}

/// The string `key`, at most `max` characters; None when absent or null.
fn string(
    schema: &str,
    body: &Map<String, Value>,
    key: &str,
    max: usize,
) -> Result<Option<String>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
        Some(Value::String(s)) => Err(mismatch(schema, format!("'{s}' is too long"))),
        Some(other) => Err(mismatch(schema, format!("{other} is not of type 'string'"))),
    }
}

/// The required string `key`.
fn required(schema: &str, body: &Map<String, Value>, key: &str, max: usize) -> Result<String> {
    string(schema, body, key, max)?
        .ok_or_else(|| mismatch(schema, format!("'{key}' is a required property")))
}

/// A name as the path gives it: 1 to 80 characters.
pub fn name(schema: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > 80 {
        return Err(mismatch(schema, format!("'{name}' is too long")));
    }
    Ok(())
}

/// A namespace body: its own fields, and the contents it is created with.
pub struct NamespaceBody {
    pub namespace: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<String>,
    pub protected: bool,
    pub owner: Option<String>,
    pub contents: Contents,
}

/// Reads a namespace body (create or update).
pub fn namespace(body: &Value) -> Result<NamespaceBody> {
    const SCHEMA: &str = "namespace";
    let body = object(SCHEMA, body)?;
    keys(
        SCHEMA,
        body,
        &[
            "namespace",
            "display_name",
            "description",
            "visibility",
            "protected",
            "owner",
            "resource_type_associations",
            "properties",
            "objects",
            "tags",
        ],
        &["self", "schema", "created_at", "updated_at"],
    )?;
    let visibility = string(SCHEMA, body, "visibility", 32)?;
    if let Some(v) = visibility
        .as_deref()
        .filter(|v| !matches!(*v, "public" | "private"))
    {
        return Err(mismatch(
            SCHEMA,
            format!("'{v}' is not one of ['public', 'private']"),
        ));
    }
    let protected = match body.get("protected") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(mismatch(
                SCHEMA,
                format!("{other} is not of type 'boolean'"),
            ))
        }
    };
    let mut contents = Contents::default();
    for a in array(SCHEMA, body, "resource_type_associations")? {
        let (name, prefix, target) = association(a)?;
        contents.associations.push((name, prefix, target));
    }
    if let Some(properties) = body.get("properties").filter(|p| !p.is_null()) {
        for (name, value) in object(SCHEMA, properties)? {
            contents
                .properties
                .push((name.clone(), property_fields(value, false)?.1));
        }
    }
    for o in array(SCHEMA, body, "objects")? {
        contents.objects.push(object_fields(o)?);
    }
    for t in array(SCHEMA, body, "tags")? {
        contents.tags.push(tag(t)?);
    }
    Ok(NamespaceBody {
        namespace: required(SCHEMA, body, "namespace", 80)?,
        display_name: string(SCHEMA, body, "display_name", 80)?,
        description: string(SCHEMA, body, "description", 500)?,
        visibility,
        protected,
        owner: string(SCHEMA, body, "owner", 255)?,
        contents,
    })
}

fn array<'a>(schema: &str, body: &'a Map<String, Value>, key: &str) -> Result<&'a [Value]> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(mismatch(schema, format!("{other} is not of type 'array'"))),
    }
}

/// A resource type association: name, prefix, properties_target.
pub fn association(body: &Value) -> Result<(String, Option<String>, Option<String>)> {
    const SCHEMA: &str = "resource_type_association";
    let body = object(SCHEMA, body)?;
    keys(
        SCHEMA,
        body,
        &["name", "prefix", "properties_target"],
        &["created_at", "updated_at"],
    )?;
    Ok((
        required(SCHEMA, body, "name", 80)?,
        string(SCHEMA, body, "prefix", 80)?,
        string(SCHEMA, body, "properties_target", 80)?,
    ))
}

/// A tag body's name.
pub fn tag(body: &Value) -> Result<String> {
    const SCHEMA: &str = "tag";
    let body = object(SCHEMA, body)?;
    keys(SCHEMA, body, &["name"], &["created_at", "updated_at"])?;
    required(SCHEMA, body, "name", 80)
}

/// The tags of a `{"tags": [{"name": ...}]}` body.
pub fn tags(body: &Value) -> Result<Vec<String>> {
    const SCHEMA: &str = "tags";
    let body = object(SCHEMA, body)?;
    keys(SCHEMA, body, &["tags"], &[])?;
    array(SCHEMA, body, "tags")?.iter().map(tag).collect()
}

/// An object body: its name and its stored fields (description, required,
/// properties).
pub fn object_fields(body: &Value) -> Result<(String, Map<String, Value>)> {
    const SCHEMA: &str = "object";
    let body = object(SCHEMA, body)?;
    keys(
        SCHEMA,
        body,
        &["name", "description", "required", "properties"],
        &["self", "schema", "created_at", "updated_at"],
    )?;
    let name = required(SCHEMA, body, "name", 80)?;
    let mut fields = Map::new();
    if let Some(description) = string(SCHEMA, body, "description", usize::MAX)? {
        fields.insert("description".into(), Value::String(description));
    }
    let needed = array(SCHEMA, body, "required")?;
    if needed.iter().any(|r| !r.is_string()) {
        return Err(mismatch(SCHEMA, "'required' must be a list of strings"));
    }
    if body.contains_key("required") {
        fields.insert("required".into(), Value::Array(needed.to_vec()));
    }
    if let Some(properties) = body.get("properties").filter(|p| !p.is_null()) {
        let mut checked = Map::new();
        for (key, value) in object(SCHEMA, properties)? {
            checked.insert(key.clone(), Value::Object(property_fields(value, false)?.1));
        }
        fields.insert("properties".into(), Value::Object(checked));
    }
    Ok((name, fields))
}

/// A property body: its name (required when `named`) and the fields stored,
/// `default` as a string, `required` dropped as Glance drops it.
pub fn property_fields(body: &Value, named: bool) -> Result<(String, Map<String, Value>)> {
    const SCHEMA: &str = "property";
    let body = object(SCHEMA, body)?;
    keys(SCHEMA, body, &PROPERTY_KEYS, &["created_at", "updated_at"])?;
    let name = if named {
        required(SCHEMA, body, "name", 80)?
    } else {
        String::new()
    };
    required(SCHEMA, body, "title", usize::MAX)?;
    let kind = match body.get("type") {
        Some(Value::String(t)) if PROPERTY_TYPES.contains(&t.as_str()) => t.clone(),
        Some(other) => {
            return Err(mismatch(
                SCHEMA,
                format!("{other} is not one of ['array', 'boolean', 'integer', 'number', 'object', 'string', None]"),
            ))
        }
        None => return Err(mismatch(SCHEMA, "'type' is a required property")),
    };
    for key in ["minLength", "maxLength", "minItems", "maxItems"] {
        if let Some(v) = body.get(key).filter(|v| !v.is_null()) {
            if v.as_u64().is_none() {
                return Err(mismatch(SCHEMA, format!("{v} is not a valid '{key}'")));
            }
        }
    }
    let mut fields = Map::new();
    for (key, value) in body {
        match key.as_str() {
            "name" | "required" => {}
            "type" => {
                fields.insert(key.clone(), Value::String(kind.clone()));
            }
            "default" => {
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                fields.insert(key.clone(), Value::String(text));
            }
            _ => {
                fields.insert(key.clone(), value.clone());
            }
        }
    }
    Ok((name, fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn namespaces_are_checked_as_glance_checks_them() {
        let ns = namespace(
            &json!({"namespace": "n", "visibility": "public", "protected": true,
            "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "hw_"}],
            "properties": {"p": {"title": "P", "type": "string"}}, "tags": [{"name": "t"}]}),
        )
        .unwrap();
        assert_eq!(ns.namespace, "n");
        assert!(ns.protected);
        assert_eq!(ns.contents.associations[0].1.as_deref(), Some("hw_"));
        assert_eq!(ns.contents.tags, ["t"]);
        let refused = |body: Value| namespace(&body).err().unwrap();
        assert!(matches!(
            refused(json!({"namespace": "n", "self": "x"})),
            ImageError::Forbidden(_)
        ));
        assert_eq!(
            refused(json!({"visibility": "public"})).to_string(),
            "Provided object does not match schema 'namespace': 'namespace' is a required property"
        );
        assert!(refused(json!({"namespace": "n", "visibility": "shared"}))
            .to_string()
            .contains("'shared' is not one of"));
        assert!(refused(json!({"namespace": "n", "x": 1}))
            .to_string()
            .contains("('x' was unexpected)"));
        assert!(refused(json!({"namespace": "n".repeat(81)}))
            .to_string()
            .contains("too long"));
    }

    #[test]
    fn properties_need_a_title_and_a_known_type_and_keep_defaults_as_strings() {
        let (name, fields) = property_fields(
            &json!({"name": "p", "title": "P", "type": "integer", "default": 100, "required": ["x"]}),
            true,
        )
        .unwrap();
        assert_eq!(name, "p");
        assert_eq!(fields["default"], "100");
        assert!(!fields.contains_key("required") && !fields.contains_key("name"));
        for bad in [
            json!({"name": "p", "type": "string"}),
            json!({"name": "p", "title": "P", "type": "text"}),
            json!({"name": "p", "title": "P", "type": "string", "confidential": true}),
            json!({"title": "P", "type": "string"}),
        ] {
            assert!(
                matches!(property_fields(&bad, true), Err(ImageError::BadRequest(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn objects_tags_and_associations() {
        let (name, fields) = object_fields(&json!({"name": "o", "required": ["a"],
            "properties": {"a": {"title": "A", "type": "string"}}}))
        .unwrap();
        assert_eq!(name, "o");
        assert_eq!(fields["required"], json!(["a"]));
        assert!(
            object_fields(&json!({"name": "o", "properties": {"a": {"type": "string"}}})).is_err()
        );
        assert_eq!(
            tags(&json!({"tags": [{"name": "a"}, {"name": "b"}]})).unwrap(),
            ["a", "b"]
        );
        assert!(tags(&json!({"tags": [{"name": "a", "x": 1}]})).is_err());
        assert!(matches!(
            association(&json!({"name": "r", "created_at": "x"})),
            Err(ImageError::Forbidden(_))
        ));
    }
}
