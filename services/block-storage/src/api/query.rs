//! Query strings as Cinder reads them.

use crate::domain::{CinderError, Result};

/// The query string's pairs; Cinder's 400 when it cannot be read.
pub(super) fn pairs(raw: Option<&str>) -> Result<Vec<(String, String)>> {
    serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| CinderError::BadRequest("Invalid query string.".into()))
}

/// Cinder's `get_bool_param` of a query parameter (absent is false).
pub(super) fn boolean(name: &str, value: Option<&str>) -> Result<bool> {
    let Some(value) = value else {
        return Ok(false);
    };
    match value.to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "t" | "on" => Ok(true),
        "false" | "no" | "n" | "0" | "f" | "off" => Ok(false),
        _ => Err(CinderError::BadRequest(format!(
            "Value '{value}' for '{name}' is not a boolean."
        ))),
    }
}

/// Takes the boolean parameter `name` out of `pairs` (absent is false).
pub(super) fn take_flag(pairs: &mut Vec<(String, String)>, name: &str) -> Result<bool> {
    let value = pairs
        .iter()
        .position(|(k, _)| k == name)
        .map(|at| pairs.remove(at).1);
    boolean(name, value.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_booleans() {
        assert!(boolean("detail", Some("True")).unwrap());
        assert!(!boolean("detail", Some("off")).unwrap());
        assert!(!boolean("detail", None).unwrap());
        assert_eq!(
            boolean("detail", Some("maybe")).unwrap_err().to_string(),
            "Value 'maybe' for 'detail' is not a boolean."
        );
    }

    #[test]
    fn a_flag_leaves_the_other_pairs() {
        let mut pairs = vec![
            ("detail".to_string(), "yes".to_string()),
            ("name".to_string(), "pool".to_string()),
        ];
        assert!(take_flag(&mut pairs, "detail").unwrap());
        assert_eq!(pairs, vec![("name".to_string(), "pool".to_string())]);
        assert!(!take_flag(&mut pairs, "detail").unwrap());
    }
}
