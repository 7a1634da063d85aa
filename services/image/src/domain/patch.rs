//! Glance's JSON-patch dialects: `application/openstack-images-v2.1-json-patch`
//! (RFC 6902 style `{"op", "path", "value"}`) and the older v2.0 form
//! (`{"replace": "/path", "value"}`), limited to one-level paths.

use serde_json::Value;

use super::error::{ImageError, Result};

/// The v2.1 media type.
pub const MEDIA_TYPE_V21: &str = "application/openstack-images-v2.1-json-patch";
/// The v2.0 media type.
pub const MEDIA_TYPE_V20: &str = "application/openstack-images-v2.0-json-patch";

/// A patch operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Remove,
    Replace,
}

/// One change to an image attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub op: Op,
    /// The attribute name, unescaped (`/a~1b` → `a/b`).
    pub attribute: String,
    pub value: Option<Value>,
    /// v2.0 `add` refuses an existing property; v2.1 `add` replaces it.
    pub strict_add: bool,
}

const OPS: &str = "add, remove, replace";

fn bad(message: impl Into<String>) -> ImageError {
    ImageError::BadRequest(message.into())
}

fn parse_op(name: &str) -> Option<Op> {
    match name {
        "add" => Some(Op::Add),
        "remove" => Some(Op::Remove),
        "replace" => Some(Op::Replace),
        _ => None,
    }
}

/// Parses a patch body of media type `media_type` (one of the two above).
pub fn parse(body: &[u8], media_type: &str) -> Result<Vec<Change>> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| bad("Malformed JSON in request body."))?;
    let Value::Array(items) = value else {
        return Err(bad(
            "Request body must be a JSON array of operation objects.",
        ));
    };
    items
        .iter()
        .map(|item| {
            let Value::Object(object) = item else {
                return Err(bad("Operations must be JSON objects."));
            };
            if media_type == MEDIA_TYPE_V20 {
                parse_v20(object)
            } else {
                parse_v21(object)
            }
        })
        .collect()
}

fn parse_v21(object: &serde_json::Map<String, Value>) -> Result<Change> {
    let name = object.get("op").and_then(Value::as_str).ok_or_else(|| {
        bad(format!(
            "Unable to find `op` in JSON Schema change. It must be one of the following: {OPS}."
        ))
    })?;
    let op = parse_op(name).ok_or_else(|| {
        bad(format!(
            "Invalid operation: `{name}`. It must be one of the following: {OPS}."
        ))
    })?;
    let path = object
        .get("path")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("Unable to find 'path' in JSON Schema change"))?;
    change(op, path, object, false)
}

fn parse_v20(object: &serde_json::Map<String, Value>) -> Result<Change> {
    let present: Vec<(&str, Op)> = ["add", "remove", "replace"]
        .into_iter()
        .filter(|k| object.contains_key(*k))
        .filter_map(|k| parse_op(k).map(|op| (k, op)))
        .collect();
    match present.as_slice() {
        [] => Err(bad(
            "Operation objects must contain exactly one member named \"add\", \"remove\", or \"replace\".",
        )),
        [(key, op)] => {
            let path = object[*key]
                .as_str()
                .ok_or_else(|| bad("Unable to find 'path' in JSON Schema change"))?;
            change(*op, path, object, true)
        }
        _ => Err(bad(
            "Operation objects must contain only one member named \"add\", \"remove\", or \"replace\".",
        )),
    }
}

fn change(
    op: Op,
    path: &str,
    object: &serde_json::Map<String, Value>,
    strict_add: bool,
) -> Result<Change> {
    let value = object.get("value").cloned();
    if op != Op::Remove && value.is_none() {
        let name = match op {
            Op::Add => "add",
            _ => "replace",
        };
        return Err(bad(format!(
            "Operation \"{name}\" requires a member named \"value\"."
        )));
    }
    Ok(Change {
        op,
        attribute: attribute(path)?,
        value: if op == Op::Remove { None } else { value },
        strict_add,
    })
}

/// Validates a JSON pointer as Glance does and returns its single segment.
fn attribute(pointer: &str) -> Result<String> {
    if !pointer.starts_with('/') {
        return Err(bad(format!(
            "Pointer `{pointer}` does not start with \"/\"."
        )));
    }
    if pointer.ends_with('/') {
        return Err(bad(format!("Pointer `{pointer}` end with \"/\".")));
    }
    if pointer.contains("//") {
        return Err(bad(format!("Pointer `{pointer}` contains adjacent \"/\".")));
    }
    let body = &pointer[1..];
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(bad(format!(
                "Pointer `{pointer}` contains \"~\" not part of a recognized escape sequence."
            )));
        }
    }
    if body.contains('/') {
        return Err(bad(format!(
            "Invalid JSON pointer for this resource: '{pointer}'"
        )));
    }
    Ok(body.replace("~1", "/").replace("~0", "~"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str, media: &str) -> String {
        parse(body.as_bytes(), media).unwrap_err().to_string()
    }

    #[test]
    fn v21_operations() {
        let changes = parse(
            br#"[{"op":"replace","path":"/name","value":"n"},{"op":"remove","path":"/a~1b"},{"op":"add","path":"/k","value":"v"}]"#,
            MEDIA_TYPE_V21,
        )
        .unwrap();
        assert_eq!(changes[0].op, Op::Replace);
        assert_eq!(changes[1].attribute, "a/b");
        assert_eq!(changes[1].value, None);
        assert!(!changes[2].strict_add);
    }

    #[test]
    fn v20_operations() {
        let changes = parse(br#"[{"add":"/k","value":"v"}]"#, MEDIA_TYPE_V20).unwrap();
        assert_eq!(changes[0].op, Op::Add);
        assert!(changes[0].strict_add);
        assert!(err(r#"[{"add":"/k","remove":"/k"}]"#, MEDIA_TYPE_V20).contains("only one member"));
        assert!(err(r#"[{"value":1}]"#, MEDIA_TYPE_V20).contains("exactly one member"));
    }

    #[test]
    fn upstream_error_texts() {
        let v21 = MEDIA_TYPE_V21;
        assert_eq!(
            err("{}", v21),
            "Request body must be a JSON array of operation objects."
        );
        assert_eq!(err("[1]", v21), "Operations must be JSON objects.");
        assert!(err(r#"[{"path":"/x"}]"#, v21).starts_with("Unable to find `op`"));
        assert_eq!(
            err(r#"[{"op":"test","path":"/x"}]"#, v21),
            "Invalid operation: `test`. It must be one of the following: add, remove, replace."
        );
        assert_eq!(
            err(r#"[{"op":"add"}]"#, v21),
            "Unable to find 'path' in JSON Schema change"
        );
        assert_eq!(
            err(r#"[{"op":"replace","path":"/name"}]"#, v21),
            "Operation \"replace\" requires a member named \"value\"."
        );
        assert_eq!(
            err(r#"[{"op":"remove","path":"name"}]"#, v21),
            "Pointer `name` does not start with \"/\"."
        );
        assert!(err(r#"[{"op":"remove","path":"/a//b"}]"#, v21).contains("adjacent"));
        assert!(err(r#"[{"op":"remove","path":"/name/"}]"#, v21).contains("end with"));
        assert!(err(r#"[{"op":"remove","path":"/a~2"}]"#, v21).contains("escape"));
        assert_eq!(
            err(r#"[{"op":"remove","path":"/tags/-"}]"#, v21),
            "Invalid JSON pointer for this resource: '/tags/-'"
        );
        assert_eq!(err("not json", v21), "Malformed JSON in request body.");
    }
}
