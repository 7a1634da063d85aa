//! Query strings as Nova reads them: the last value of a repeated parameter,
//! and unknown parameters refused from the microversion a resource says.

use std::collections::BTreeMap;

use crate::domain::{NovaError, Result};

/// A request's query parameters.
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses the raw query; 400 when it cannot be read.
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        let pairs = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|_| NovaError::BadRequest("Query string is not UTF-8 encoded".into()))?;
        Ok(Query { pairs })
    }

    /// The last value of `name` (webob's `params.get`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name` (webob's `getall(name)[0]`).
    pub fn first(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Refuses a parameter not in `known` (`additionalProperties: False`).
    pub fn only(&self, known: &[&str]) -> Result<()> {
        let extra: Vec<String> = self
            .pairs
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !known.contains(k))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|k| format!("'{k}'"))
            .collect();
        if extra.is_empty() {
            return Ok(());
        }
        let verb = if extra.len() == 1 { "was" } else { "were" };
        Err(NovaError::BadRequest(format!(
            "Additional properties are not allowed ({} {verb} unexpected)",
            extra.join(", ")
        )))
    }

    /// `limit` as Nova's `non_negative_integer`, capped at `max`.
    pub fn limit(&self, max: usize) -> Result<usize> {
        match self.get("limit") {
            None => Ok(max),
            Some(raw) if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) => {
                Err(super::schema::query_error(
                    "limit",
                    raw,
                    &format!("'{raw}' does not match '^[0-9]*$'"),
                ))
            }
            Some(raw) => Ok(raw.parse::<usize>().unwrap_or(usize::MAX).min(max)),
        }
    }

    /// `offset` as Nova's `non_negative_integer` (0 when absent).
    pub fn offset(&self) -> Result<usize> {
        match self.get("offset") {
            None => Ok(0),
            Some(raw) => raw.parse::<usize>().map_err(|_| {
                super::schema::query_error(
                    "offset",
                    raw,
                    &format!("'{raw}' does not match '^[0-9]*$'"),
                )
            }),
        }
    }

    /// Every pair but `marker`, sorted, for a next link.
    pub fn without_marker(&self) -> Vec<(String, String)> {
        let sorted: BTreeMap<&str, &str> = self
            .pairs
            .iter()
            .filter(|(k, _)| k != "marker")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        sorted
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}
