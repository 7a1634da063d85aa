//! Marker/limit pagination: parsing the parameters and building the `next` link.

use crate::Failure;

/// `limit` and `marker` from a query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: Option<usize>,
    pub marker: Option<String>,
}

impl PageRequest {
    /// Parses `limit` (a non-negative integer; capped at `max_limit`) and `marker`.
    pub fn parse(
        limit: Option<&str>,
        marker: Option<&str>,
        max_limit: usize,
    ) -> Result<Self, Failure> {
        let limit = match limit {
            None => None,
            Some(raw) => {
                let value: i64 = raw.trim().parse().map_err(|_| {
                    Failure::bad_request(format!("limit param must be an integer: {raw}"))
                })?;
                if value < 0 {
                    return Err(Failure::bad_request("limit param must be positive"));
                }
                Some((value as usize).min(max_limit))
            }
        };
        Ok(PageRequest {
            limit,
            marker: marker.map(str::to_string),
        })
    }
}

/// `path?<query with marker replaced>`: the link to the page after `last_id`.
/// `base` is the public base URL (empty for a relative link, as Glance uses).
pub fn next_link(base: &str, path: &str, query: &[(String, String)], last_id: &str) -> String {
    let mut pairs: Vec<(&str, &str)> = query
        .iter()
        .filter(|(k, _)| k != "marker")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.push(("marker", last_id));
    let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{base}{path}?{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_limits() {
        let page = PageRequest::parse(Some("50"), Some("abc"), 1000).unwrap();
        assert_eq!(page.limit, Some(50));
        assert_eq!(page.marker.as_deref(), Some("abc"));
        assert_eq!(
            PageRequest::parse(Some("5000"), None, 1000).unwrap().limit,
            Some(1000)
        );
        assert_eq!(
            PageRequest::parse(Some("x"), None, 10).unwrap_err().status,
            400
        );
        assert_eq!(
            PageRequest::parse(Some("-1"), None, 10).unwrap_err().status,
            400
        );
    }

    #[test]
    fn next_link_replaces_marker() {
        let query = vec![
            ("limit".to_string(), "2".to_string()),
            ("marker".to_string(), "old".to_string()),
            ("name".to_string(), "a b".to_string()),
        ];
        assert_eq!(
            next_link("http://h:8776", "/v3/p/volumes", &query, "new"),
            "http://h:8776/v3/p/volumes?limit=2&name=a+b&marker=new"
        );
    }
}
