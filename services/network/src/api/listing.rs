//! List requests as Neutron serves them, over each resource's views: filters
//! on any filterable attribute (repeated values match any; unknown ones are
//! refused), tag filters, `fields=`, `sort_key`/`sort_dir` pairs, and
//! `limit`/`marker`/`page_reverse` with `<collection>_links`.

use std::cmp::Ordering;

use serde_json::{json, Map, Value};

use super::body::to_bool;
use crate::domain::{NeutronError, Result};

/// Parameters that are not filters.
const CONTROL: &[&str] = &[
    "fields",
    "sort_key",
    "sort_dir",
    "limit",
    "marker",
    "page_reverse",
];
/// Tag filters, on every taggable resource.
const TAG_FILTERS: &[&str] = &["tags", "tags-any", "not-tags", "not-tags-any"];

/// What a resource's list accepts.
pub struct Listable {
    /// Attributes that filter (`id`, `name`...); `tenant_id` and
    /// `project_id` always do.
    pub filters: &'static [&'static str],
    pub sort_keys: &'static [&'static str],
    pub taggable: bool,
}

/// A parsed list request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub filters: Vec<(String, Vec<String>)>,
    pub fields: Vec<String>,
    pub sorts: Vec<(String, bool)>,
    pub limit: Option<usize>,
    pub marker: Option<String>,
    pub page_reverse: bool,
    /// The query as sent, for links.
    pub pairs: Vec<(String, String)>,
}

fn bad(message: impl Into<String>) -> NeutronError {
    NeutronError::bad_request(message)
}

fn python_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("'{i}'")).collect();
    format!("[{}]", quoted.join(", "))
}

impl ListQuery {
    /// Parses `query` for a resource that accepts `listable`, with
    /// `max_limit` capping pages.
    pub fn parse(query: &str, listable: &Listable, max_limit: Option<usize>) -> Result<Self> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        let mut parsed = ListQuery {
            pairs: pairs.clone(),
            ..ListQuery::default()
        };
        let all = |name: &str| -> Vec<String> {
            pairs
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let mut fields: Vec<String> = Vec::new();
        for field in all("fields").iter().flat_map(|f| f.split(',')) {
            if !field.is_empty() && !fields.iter().any(|f| f == field) {
                fields.push(field.to_string());
            }
        }
        parsed.fields = fields;
        let keys = all("sort_key");
        let dirs = all("sort_dir");
        if keys.len() != dirs.len() {
            return Err(bad("The number of sort_keys and sort_dirs must be same"));
        }
        let bad_keys: Vec<String> = keys
            .iter()
            .filter(|k| !listable.sort_keys.contains(&k.as_str()))
            .cloned()
            .collect();
        if !bad_keys.is_empty() {
            return Err(bad(format!(
                "{} is invalid attribute for sort_keys",
                python_list(&bad_keys)
            )));
        }
        let bad_dirs: Vec<String> = dirs
            .iter()
            .filter(|d| !matches!(d.as_str(), "asc" | "desc"))
            .cloned()
            .collect();
        if !bad_dirs.is_empty() {
            return Err(bad(format!(
                "{} is invalid value for sort_dirs, valid value is 'asc' and 'desc'",
                python_list(&bad_dirs)
            )));
        }
        parsed.sorts = keys
            .into_iter()
            .zip(dirs.iter().map(|d| d == "asc"))
            .collect();
        if let Some(raw) = all("limit").into_iter().next() {
            let limit = raw.trim().parse::<i64>().ok().filter(|l| *l >= 0).ok_or_else(|| {
                NeutronError::new(400, "BadRequest", format!("Bad limit request: Limit must be an integer 0 or greater and not '{raw}'."))
            })?;
            let limit = match max_limit {
                Some(max) => (limit as usize).min(max),
                None => limit as usize,
            };
            parsed.limit = (limit > 0).then_some(limit);
        } else {
            parsed.limit = max_limit;
        }
        parsed.marker = all("marker").into_iter().next().filter(|m| !m.is_empty());
        if let Some(reverse) = all("page_reverse").into_iter().next() {
            parsed.page_reverse = to_bool(&Value::String(reverse))?;
        }
        let mut invalid: Vec<String> = Vec::new();
        for (key, value) in &pairs {
            if CONTROL.contains(&key.as_str()) || value.is_empty() {
                continue;
            }
            let known = listable.filters.contains(&key.as_str())
                || matches!(key.as_str(), "tenant_id" | "project_id")
                || (listable.taggable && TAG_FILTERS.contains(&key.as_str()));
            if !known {
                if !invalid.contains(key) {
                    invalid.push(key.clone());
                }
                continue;
            }
            match parsed.filters.iter_mut().find(|(k, _)| k == key) {
                Some((_, values)) => values.push(value.clone()),
                None => parsed.filters.push((key.clone(), vec![value.clone()])),
            }
        }
        if !invalid.is_empty() {
            return Err(bad(format!(
                "{} is invalid attribute for filtering",
                python_list(&invalid)
            )));
        }
        Ok(parsed)
    }
}

/// Whether `item`'s `attribute` matches one of `wanted`.
fn matches(item: &Value, attribute: &str, wanted: &[String]) -> Result<bool> {
    let attribute = if attribute == "tenant_id" {
        "project_id"
    } else {
        attribute
    };
    if attribute == "fixed_ips" {
        return Ok(wanted.iter().any(|w| {
            let Some((key, value)) = w.split_once('=') else {
                return false;
            };
            item["fixed_ips"]
                .as_array()
                .is_some_and(|ips| ips.iter().any(|ip| ip[key].as_str() == Some(value)))
        }));
    }
    if attribute == "changed_since" {
        let since = chrono::DateTime::parse_from_rfc3339(&wanted[0])
            .or_else(|_| chrono::DateTime::parse_from_rfc3339(&format!("{}Z", wanted[0])))
            .map_err(|_| {
                bad(format!(
                    "Invalid input for changed_since. Reason: '{}' is not a valid timestamp.",
                    wanted[0]
                ))
            })?;
        let updated = item["updated_at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        return Ok(updated.is_some_and(|u| u >= since));
    }
    let value = &item[attribute];
    for w in wanted {
        let hit = match value {
            Value::Bool(b) => to_bool(&Value::String(w.clone()))? == *b,
            Value::Number(n) => n.to_string() == *w,
            Value::String(s) => s == w,
            Value::Array(list) => list.iter().any(|v| v.as_str() == Some(w.as_str())),
            Value::Null => w.is_empty() || w == "None",
            Value::Object(_) => false,
        };
        if hit {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether `item`'s tags pass the tag filter `kind` with `wanted` (comma
/// lists and repeats unioned).
fn tags_match(item: &Value, kind: &str, wanted: &[String]) -> bool {
    let tags: Vec<&str> = item["tags"]
        .as_array()
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let wanted: Vec<&str> = wanted
        .iter()
        .flat_map(|w| w.split(','))
        .filter(|w| !w.is_empty())
        .collect();
    let all = wanted.iter().all(|w| tags.contains(w));
    let any = wanted.iter().any(|w| tags.contains(w));
    match kind {
        "tags" => all,
        "tags-any" => any,
        "not-tags" => !all,
        _ => !any,
    }
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (x, y) => x.to_string().cmp(&y.to_string()),
    }
}

/// The page of `items` (the caller's views) a list request asks for, and its
/// links when paged. `missing_marker` is the resource's 404.
pub fn page(
    mut items: Vec<Value>,
    query: &ListQuery,
    base: &str,
    path: &str,
    collection: &str,
    missing_marker: impl Fn(&str) -> NeutronError,
) -> Result<Value> {
    let mut kept = Vec::with_capacity(items.len());
    'items: for item in items.drain(..) {
        for (key, wanted) in &query.filters {
            let pass = if TAG_FILTERS.contains(&key.as_str()) {
                tags_match(&item, key, wanted)
            } else {
                matches(&item, key, wanted)?
            };
            if !pass {
                continue 'items;
            }
        }
        kept.push(item);
    }
    let mut items = kept;
    let paged = query.limit.is_some() || query.marker.is_some();
    if !query.sorts.is_empty() || paged {
        let mut keys = query.sorts.clone();
        if !keys.iter().any(|(k, _)| k == "id") {
            keys.push(("id".into(), true));
        }
        items.sort_by(|a, b| {
            keys.iter()
                .map(|(k, asc)| {
                    let order = compare(&a[k.as_str()], &b[k.as_str()]);
                    if *asc {
                        order
                    } else {
                        order.reverse()
                    }
                })
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        });
    }
    let mut links = Vec::new();
    if paged {
        if let Some(marker) = &query.marker {
            let at = items
                .iter()
                .position(|i| i["id"].as_str() == Some(marker.as_str()))
                .ok_or_else(|| missing_marker(marker))?;
            items = if query.page_reverse {
                items[..at].to_vec()
            } else {
                items[at + 1..].to_vec()
            };
        }
        if let Some(limit) = query.limit {
            let full = items.len() > limit;
            if query.page_reverse {
                let from = items.len().saturating_sub(limit);
                items = items[from..].to_vec();
            } else {
                items.truncate(limit);
            }
            let link = |rel: &str, marker: &str, reverse: bool| {
                let mut pairs: Vec<(String, String)> = query
                    .pairs
                    .iter()
                    .filter(|(k, _)| k != "marker" && k != "page_reverse")
                    .cloned()
                    .collect();
                pairs.push(("marker".into(), marker.to_string()));
                if reverse {
                    pairs.push(("page_reverse".into(), "True".into()));
                }
                let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
                json!({"rel": rel, "href": format!("{base}{path}?{query}")})
            };
            let first = items
                .first()
                .and_then(|i| i["id"].as_str())
                .map(str::to_string);
            let last = items
                .last()
                .and_then(|i| i["id"].as_str())
                .map(str::to_string);
            let has_next = full || query.page_reverse;
            let has_previous = full || !query.page_reverse;
            if let (true, Some(last)) = (has_next, &last) {
                links.push(link("next", last, false));
            }
            if let (true, Some(first)) = (has_previous, &first) {
                links.push(link("previous", first, true));
            }
        }
    }
    if !query.fields.is_empty() {
        items = items
            .into_iter()
            .map(|item| {
                let map: Map<String, Value> = query
                    .fields
                    .iter()
                    .filter_map(|f| item.get(f).map(|v| (f.clone(), v.clone())))
                    .collect();
                Value::Object(map)
            })
            .collect();
    }
    let mut body = json!({collection: items});
    if !links.is_empty() {
        body[format!("{collection}_links")] = json!(links);
    }
    Ok(body)
}

/// Keeps only `fields` of one item (`GET /{collection}/{id}?fields=...`).
pub fn select(item: Value, query: &str) -> Value {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let fields: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "fields")
        .flat_map(|(_, v)| v.split(','))
        .filter(|f| !f.is_empty())
        .collect();
    if fields.is_empty() {
        return item;
    }
    Value::Object(
        fields
            .iter()
            .filter_map(|f| item.get(*f).map(|v| (f.to_string(), v.clone())))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NETWORKS: Listable = Listable {
        filters: &["id", "name", "shared", "admin_state_up", "mtu"],
        sort_keys: &["id", "name"],
        taggable: true,
    };

    fn items() -> Vec<Value> {
        vec![
            json!({"id": "a", "name": "x", "shared": true, "mtu": 1450, "tags": ["red", "blue"], "project_id": "p"}),
            json!({"id": "b", "name": "y", "shared": false, "mtu": 1500, "tags": ["red"], "project_id": "p"}),
            json!({"id": "c", "name": "x", "shared": false, "mtu": 1500, "tags": [], "project_id": "q"}),
        ]
    }

    fn list(query: &str) -> Result<Value> {
        let q = ListQuery::parse(query, &NETWORKS, None)?;
        page(items(), &q, "http://h", "/v2.0/networks", "networks", |m| {
            NeutronError::not_found(
                "NetworkNotFound",
                format!("Network {m} could not be found."),
            )
        })
    }

    fn ids(body: &Value) -> Vec<&str> {
        body["networks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn filters_match_any_of_their_values() {
        assert_eq!(ids(&list("name=x").unwrap()), ["a", "c"]);
        assert_eq!(
            ids(&list("name=x&name=y&shared=False").unwrap()),
            ["b", "c"]
        );
        assert_eq!(ids(&list("mtu=1450").unwrap()), ["a"]);
        assert_eq!(ids(&list("tenant_id=q").unwrap()), ["c"]);
        assert_eq!(ids(&list("name=").unwrap()).len(), 3);
        assert_eq!(
            list("bogus=1&name=x").unwrap_err().message,
            "['bogus'] is invalid attribute for filtering"
        );
        assert_eq!(list("shared=maybe").unwrap_err().kind, "InvalidInput");
    }

    #[test]
    fn tag_filters() {
        assert_eq!(ids(&list("tags=red,blue").unwrap()), ["a"]);
        assert_eq!(
            ids(&list("tags-any=blue&tags-any=red").unwrap()),
            ["a", "b"]
        );
        assert_eq!(ids(&list("not-tags=red,blue").unwrap()), ["b", "c"]);
        assert_eq!(ids(&list("not-tags-any=red").unwrap()), ["c"]);
    }

    #[test]
    fn sorting_and_fields() {
        assert_eq!(
            ids(&list("sort_key=name&sort_dir=desc").unwrap()),
            ["b", "a", "c"]
        );
        assert!(list("sort_key=name").is_err());
        assert_eq!(
            list("sort_key=mtu&sort_dir=asc").unwrap_err().message,
            "['mtu'] is invalid attribute for sort_keys"
        );
        assert!(list("sort_key=name&sort_dir=up")
            .unwrap_err()
            .message
            .contains("is invalid value for sort_dirs"));
        assert_eq!(
            list("fields=name&fields=id").unwrap()["networks"][0],
            json!({"name": "x", "id": "a"})
        );
    }

    #[test]
    fn pages_link_forward_and_back() {
        let first = list("limit=2").unwrap();
        assert_eq!(ids(&first), ["a", "b"]);
        let links = first["networks_links"].as_array().unwrap();
        assert_eq!(links[0]["rel"], "next");
        assert_eq!(links[0]["href"], "http://h/v2.0/networks?limit=2&marker=b");
        assert_eq!(
            links[1]["href"],
            "http://h/v2.0/networks?limit=2&marker=a&page_reverse=True"
        );
        let last = list("limit=2&marker=b").unwrap();
        assert_eq!(ids(&last), ["c"]);
        let rels: Vec<&str> = last["networks_links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["rel"].as_str().unwrap())
            .collect();
        assert_eq!(rels, ["previous"]);
        assert_eq!(
            ids(&list("limit=1&marker=c&page_reverse=True").unwrap()),
            ["b"]
        );
        assert_eq!(
            list("limit=2&marker=zz").unwrap_err().kind,
            "NetworkNotFound"
        );
        assert_eq!(
            list("limit=x").unwrap_err().message,
            "Bad limit request: Limit must be an integer 0 or greater and not 'x'."
        );
        assert!(list("limit=0").unwrap().get("networks_links").is_none());
    }
}
