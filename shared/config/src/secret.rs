//! Values that must never be printed: a secret shows as `***` in `Debug`, a URL
//! with its password replaced by `***` (as [`redact_url`](crate::redact_url)
//! does for logs). Reading the value is explicit: [`Secret::expose`],
//! [`SecretUrl::expose`].

use std::fmt;

/// A password or key.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// A URL that may carry a password (`mysql://user:pw@db/x`, `rabbit://...`).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(value: impl Into<String>) -> Self {
        SecretUrl(value.into())
    }

    /// The URL with its password, to connect with.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", crate::redact_url(&self.0))
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::redact_url(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Options {
            password: Secret,
            url: SecretUrl,
        }
        let options = Options {
            password: Secret::new("hunter2"),
            url: SecretUrl::new("mysql://keystone:hunter3@db/keystone"),
        };
        let shown = format!("{options:?} {}", options.url);
        assert!(!shown.contains("hunter"), "{shown}");
        assert!(
            shown.contains("keystone@db") || shown.contains("keystone:***@db"),
            "{shown}"
        );
        assert_eq!(options.password.expose(), "hunter2");
        assert_eq!(options.url.expose(), "mysql://keystone:hunter3@db/keystone");
    }
}
