//! Query-string helpers: Keystone's filters are plain `key=value` pairs, some with
//! dashes (`tags-any`) or dots (`user.id`).

use axum::extract::{FromRequestParts, RawQuery};
use axum::http::request::Parts;
use ferrostack_api::Failure;

/// The decoded query pairs, in order.
#[derive(Debug, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let RawQuery(raw) = RawQuery::from_request_parts(parts, state)
            .await
            .unwrap_or(RawQuery(None));
        let pairs = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
            .map_err(|e| Failure::bad_request(format!("Invalid query string: {e}")))?;
        Ok(QueryPairs(pairs))
    }
}

impl QueryPairs {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn string(&self, key: &str) -> Option<String> {
        self.get(key).map(str::to_string)
    }

    /// Present, whatever its value (`?nocatalog`, `?effective`).
    pub fn flag(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "0" | "false" | "no"))
    }

    /// Keystone's boolean filters: `0`/`false` are false, anything else true.
    pub fn boolean(&self, key: &str) -> Option<bool> {
        self.get(key).map(|v| {
            !matches!(
                v.to_ascii_lowercase().as_str(),
                "0" | "false" | "no" | "off"
            )
        })
    }

    /// A comma-separated list (`tags=a,b`).
    pub fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .map(|v| {
                v.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
}
