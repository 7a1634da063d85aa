//! Input checks Keystone's JSON schemas make, with Keystone's wording.

use super::{Error, Result};

/// A required name: a string of 1..=`max` characters, not only whitespace.
pub fn name(field: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(format!(
            "Invalid input for field '{field}': '{value}' is too short"
        )));
    }
    if value.chars().count() > max {
        return Err(Error::invalid(format!(
            "Invalid input for field '{field}': '{value}' is too long"
        )));
    }
    Ok(())
}

/// A project tag: 1..=255 characters without `/` or `,`.
pub fn tag(value: &str) -> Result<()> {
    name("tags", value, 255)?;
    if value.contains(['/', ',']) {
        return Err(Error::invalid(format!(
            "Invalid input for field 'tags': '{value}' does not match '^[^,/]*$'"
        )));
    }
    Ok(())
}

/// A required field that was absent.
pub fn required(field: &str) -> Error {
    Error::invalid(format!(
        "Invalid input for field '{field}': '{field}' is a required property"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_tags() {
        assert!(name("name", "ok", 64).is_ok());
        assert!(name("name", "  ", 64).is_err());
        assert!(name("name", &"x".repeat(65), 64).is_err());
        assert!(tag("a/b").is_err());
        assert!(tag("a,b").is_err());
        assert!(tag("fine-tag").is_ok());
    }
}
