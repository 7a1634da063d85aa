//! Request bodies as Neutron's API layer reads them: the resource's object (or
//! a bulk list), unknown and read-only attributes refused, the project named
//! in `tenant_id`/`project_id`, and each attribute's converter and validator
//! with Neutron's messages.

use serde_json::{Map, Value};

use crate::domain::{Caller, NeutronError, Result};

/// An attribute's object in a request body.
pub type Object = Map<String, Value>;

fn bad(message: impl Into<String>) -> NeutronError {
    NeutronError::bad_request(message)
}

/// Python's `str()` of a JSON value, as messages quote it.
pub fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

/// 400 for an attribute that fails its validator.
pub fn invalid(attribute: &str, reason: impl std::fmt::Display) -> NeutronError {
    bad(format!("Invalid input for {attribute}. Reason: {reason}."))
}

/// The objects a POST body holds: `{"<resource>": {...}}`, or the bulk form
/// `{"<collection>": [{...}, ...]}`.
pub fn creates(body: &[u8], resource: &str, collection: &str) -> Result<(Vec<Object>, bool)> {
    let value = parse(body)?;
    if let Some(list) = value.get(collection) {
        let Some(list) = list.as_array() else {
            return Err(bad(format!("Object '{collection}' contains invalid data")));
        };
        if list.is_empty() {
            return Err(bad("Resources required"));
        }
        let objects = list
            .iter()
            .map(|item| {
                item.get(resource)
                    .unwrap_or(item)
                    .as_object()
                    .cloned()
                    .ok_or_else(|| bad(format!("Object '{resource}' contains invalid data")))
            })
            .collect::<Result<_>>()?;
        return Ok((objects, true));
    }
    Ok((vec![single(&value, resource)?], false))
}

/// The object of a PUT body.
pub fn update(body: &[u8], resource: &str) -> Result<Object> {
    single(&parse(body)?, resource)
}

fn parse(body: &[u8]) -> Result<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(bad("Resource body required"));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|_| bad("Body contains invalid data"))?;
    if !value.is_object() {
        return Err(bad("Body contains invalid data"));
    }
    Ok(value)
}

fn single(value: &Value, resource: &str) -> Result<Object> {
    let Some(inner) = value.get(resource) else {
        return Err(bad(format!("Unable to find '{resource}' in request body")));
    };
    inner
        .as_object()
        .cloned()
        .ok_or_else(|| bad(format!("Object '{resource}' contains invalid data")))
}

/// Refuses attributes outside `known` (the resource's attribute map).
pub fn only_known(object: &Object, known: &[&str]) -> Result<()> {
    let unknown: Vec<&str> = object
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k) && !matches!(*k, "tenant_id" | "project_id"))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(bad(format!(
        "Unrecognized attribute(s) '{}'",
        unknown.join(", ")
    )))
}

/// Refuses attributes a POST may not set.
pub fn not_in_post(object: &Object, read_only: &[&str]) -> Result<()> {
    match read_only.iter().find(|a| object.contains_key(**a)) {
        Some(attribute) => Err(bad(format!("Attribute '{attribute}' not allowed in POST"))),
        None => Ok(()),
    }
}

/// Refuses attributes a PUT may not change.
pub fn not_in_put(object: &Object, read_only: &[&str]) -> Result<()> {
    match read_only.iter().find(|a| object.contains_key(**a)) {
        Some(attribute) => Err(bad(format!(
            "Cannot update read-only attribute {attribute}"
        ))),
        None => Ok(()),
    }
}

/// A required attribute of a POST.
pub fn required<'a>(object: &'a Object, attribute: &str) -> Result<&'a Value> {
    object.get(attribute).ok_or_else(|| {
        bad(format!(
            "Failed to parse request. Required attribute '{attribute}' not specified"
        ))
    })
}

/// The project a create names (`tenant_id`/`project_id`), refused when they
/// differ or when a non-admin names another project; `None` for the caller's.
pub fn project(caller: &Caller, object: &Object) -> Result<Option<String>> {
    let tenant = object.get("tenant_id").map(python_str);
    let project = object.get("project_id").map(python_str);
    if let (Some(t), Some(p)) = (&tenant, &project) {
        if t != p {
            return Err(bad("'project_id' and 'tenant_id' do not match"));
        }
    }
    let named = project.or(tenant);
    if let Some(named) = &named {
        if named != caller.project() && !caller.is_admin {
            return Err(bad("Specifying 'project_id' other than the authenticated project in request is not allowed for the current user."));
        }
    }
    Ok(named)
}

/// A string attribute of at most `max` characters (`None` when absent).
pub fn string(object: &Object, attribute: &str, max: usize) -> Result<Option<String>> {
    match object.get(attribute) {
        None => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
        Some(Value::String(s)) => Err(invalid(
            attribute,
            format!("'{s}' exceeds maximum length of {max}"),
        )),
        Some(other) => Err(invalid(
            attribute,
            format!("'{}' is not a valid string", python_str(other)),
        )),
    }
}

/// A string attribute that may also be null.
pub fn string_or_null(
    object: &Object,
    attribute: &str,
    max: usize,
) -> Result<Option<Option<String>>> {
    match object.get(attribute) {
        Some(Value::Null) => Ok(Some(None)),
        _ => Ok(string(object, attribute, max)?.map(Some)),
    }
}

/// Neutron's boolean converter: true/false in many spellings.
pub fn to_bool(value: &Value) -> Result<bool> {
    let text = match value {
        Value::Bool(b) => return Ok(*b),
        Value::Number(n) if n.as_i64() == Some(0) => return Ok(false),
        Value::Number(n) if n.as_i64() == Some(1) => return Ok(true),
        other => python_str(other),
    };
    match text.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" | "on" | "y" | "yes" => Ok(true),
        "false" | "f" | "0" | "off" | "n" | "no" => Ok(false),
        _ => Err(NeutronError::invalid_input(format!(
            "'{text}' cannot be converted to boolean"
        ))),
    }
}

/// A boolean attribute (`None` when absent).
pub fn boolean(object: &Object, attribute: &str) -> Result<Option<bool>> {
    object.get(attribute).map(to_bool).transpose()
}

/// An integer attribute (numbers or their strings).
pub fn integer(object: &Object, attribute: &str) -> Result<Option<i64>> {
    match object.get(attribute) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
        Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => Ok(s.trim().parse().ok()),
        Some(other) => Err(NeutronError::invalid_input(format!(
            "'{}' is not an integer",
            python_str(other)
        ))),
    }
}

/// A UUID attribute.
pub fn uuid(object: &Object, attribute: &str) -> Result<Option<String>> {
    match object.get(attribute) {
        None => Ok(None),
        Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => Ok(Some(s.clone())),
        Some(other) => Err(invalid(
            attribute,
            format!("'{}' is not a valid UUID", python_str(other)),
        )),
    }
}

/// A UUID attribute that may be null (`Some(None)`).
pub fn uuid_or_null(object: &Object, attribute: &str) -> Result<Option<Option<String>>> {
    match object.get(attribute) {
        Some(Value::Null) => Ok(Some(None)),
        _ => Ok(uuid(object, attribute)?.map(Some)),
    }
}

/// A list of strings (each at most `max` characters).
pub fn strings(object: &Object, attribute: &str, max: usize) -> Result<Option<Vec<String>>> {
    let Some(value) = object.get(attribute) else {
        return Ok(None);
    };
    let Some(items) = value.as_array() else {
        return Err(invalid(
            attribute,
            format!("'{}' is not a list", python_str(value)),
        ));
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) if s.chars().count() <= max => Ok(s.clone()),
            Value::String(s) => Err(invalid(
                attribute,
                format!("'{s}' exceeds maximum length of {max}"),
            )),
            other => Err(invalid(
                attribute,
                format!("'{}' is not a valid string", python_str(other)),
            )),
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// A list without repeats (Neutron's `type:list_of_unique_strings`).
pub fn unique_strings(object: &Object, attribute: &str, max: usize) -> Result<Option<Vec<String>>> {
    let list = strings(object, attribute, max)?;
    if let Some(list) = &list {
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = list.iter().find(|s| !seen.insert(s.as_str())) {
            return Err(invalid(
                attribute,
                format!("Duplicate items in the list: '{dup}'"),
            ));
        }
    }
    Ok(list)
}

/// The attributes of `object` among `watched` (for attribute policies).
pub fn set_among(object: &Object, watched: &[&'static str]) -> Vec<&'static str> {
    watched
        .iter()
        .copied()
        .filter(|a| object.contains_key(*a))
        .collect()
}

/// `If-Match: revision_number=N`, if the request has one.
pub fn if_match(headers: &axum::http::HeaderMap) -> Result<Option<i64>> {
    let mut wanted = None;
    for value in headers.get_all(axum::http::header::IF_MATCH) {
        let text = value.to_str().unwrap_or_default();
        for tag in text.split(',').map(|t| t.trim().trim_matches('"')) {
            let Some(number) = tag.strip_prefix("revision_number=") else {
                continue;
            };
            if wanted.is_some() {
                return Err(NeutronError::new(
                    400,
                    "BadRequest",
                    "Bad if-match request: Multiple revision_number etags are not supported.",
                ));
            }
            wanted = Some(number.parse::<i64>().map_err(|_| {
                NeutronError::new(
                    400,
                    "BadRequest",
                    "Bad if-match request: Revision number etag must be in the format of revision_number=<int>.",
                )
            })?);
        }
    }
    Ok(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Object {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn bodies_hold_their_resource() {
        assert_eq!(
            creates(b"", "network", "networks").unwrap_err().message,
            "Resource body required"
        );
        assert_eq!(
            creates(b"[1]", "network", "networks").unwrap_err().message,
            "Body contains invalid data"
        );
        assert_eq!(
            creates(br#"{"net": {}}"#, "network", "networks")
                .unwrap_err()
                .message,
            "Unable to find 'network' in request body"
        );
        assert_eq!(
            creates(br#"{"network": 3}"#, "network", "networks")
                .unwrap_err()
                .message,
            "Object 'network' contains invalid data"
        );
        let (bulk, is_bulk) = creates(
            br#"{"networks": [{"name": "a"}, {"name": "b"}]}"#,
            "network",
            "networks",
        )
        .unwrap();
        assert!(is_bulk);
        assert_eq!(bulk.len(), 2);
        assert_eq!(
            creates(br#"{"networks": []}"#, "network", "networks")
                .unwrap_err()
                .message,
            "Resources required"
        );
    }

    #[test]
    fn attributes_are_checked_as_neutron_does() {
        let o = object(json!({"name": 5, "admin_state_up": "maybe", "id": "x", "bogus": 1}));
        assert_eq!(
            only_known(&o, &["name", "admin_state_up", "id"])
                .unwrap_err()
                .message,
            "Unrecognized attribute(s) 'bogus'"
        );
        assert_eq!(
            not_in_post(&o, &["id"]).unwrap_err().message,
            "Attribute 'id' not allowed in POST"
        );
        assert_eq!(
            not_in_put(&o, &["id"]).unwrap_err().message,
            "Cannot update read-only attribute id"
        );
        assert_eq!(
            string(&o, "name", 255).unwrap_err().message,
            "Invalid input for name. Reason: '5' is not a valid string."
        );
        let e = boolean(&o, "admin_state_up").unwrap_err();
        assert_eq!(
            (e.kind.as_ref(), e.message.as_str()),
            (
                "InvalidInput",
                "Invalid input for operation: 'maybe' cannot be converted to boolean."
            )
        );
        assert!(to_bool(&json!("Yes")).unwrap());
        assert!(!to_bool(&json!(0)).unwrap());
        let long = object(json!({"name": "x".repeat(256)}));
        assert!(string(&long, "name", 255)
            .unwrap_err()
            .message
            .ends_with("exceeds maximum length of 255."));
        assert!(uuid(&object(json!({"network_id": "abc"})), "network_id")
            .unwrap_err()
            .message
            .contains("'abc' is not a valid UUID"));
    }

    #[test]
    fn if_match_names_one_revision() {
        let mut headers = axum::http::HeaderMap::new();
        assert_eq!(if_match(&headers).unwrap(), None);
        headers.insert("if-match", "\"revision_number=3\"".parse().unwrap());
        assert_eq!(if_match(&headers).unwrap(), Some(3));
        headers.insert("if-match", "revision_number=x".parse().unwrap());
        assert!(if_match(&headers).is_err());
        headers.insert(
            "if-match",
            "revision_number=1, revision_number=2".parse().unwrap(),
        );
        assert!(if_match(&headers).is_err());
        headers.insert("if-match", "some-etag".parse().unwrap());
        assert_eq!(if_match(&headers).unwrap(), None);
    }
}
