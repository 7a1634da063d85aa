//! List pages as Cinder's `paginate_query` makes them: `sort` (or the
//! deprecated `sort_key`/`sort_dir`) with `created_at` and `id` tie-breakers,
//! keyset `marker`, `limit` (capped at `osapi_max_limit`) and `offset`.

use ferrostack_db::keyset::SortKey;
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select};

use super::{CinderError, Result};

/// An entity whose rows Cinder lists in pages.
pub(crate) trait Pageable: EntityTrait {
    /// The column a sort key names (`None`: not a sort key of this resource).
    fn sort_column(key: &str) -> Option<Self::Column>;
    /// What rows are ordered by for `column` (nullable text as `''`, so every
    /// database orders and compares markers alike).
    fn sort_expr(column: Self::Column) -> SimpleExpr;
    /// The marker row's value of `column`.
    fn marker_value(row: &Self::Model, column: Self::Column) -> sea_orm::Value;
    /// The row's id, the marker of the next page.
    fn id_of(row: &Self::Model) -> String;
    /// The row a marker names.
    fn marker_row(id: &str) -> Select<Self>;
}

/// A page of rows, and the marker of the next page when it was full.
pub struct Page<M> {
    pub rows: Vec<M>,
    pub next_marker: Option<String>,
}

/// The sort of a request as `(key, descending)`, tie-breakers included.
fn sort_keys(get: &dyn Fn(&str) -> Option<String>) -> Result<Vec<(String, bool)>> {
    let sort = get("sort");
    if sort.is_some() && (get("sort_key").is_some() || get("sort_dir").is_some()) {
        return Err(CinderError::BadRequest("The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.".into()));
    }
    let mut pairs: Vec<(String, String)> = match sort {
        Some(sort) => sort
            .trim()
            .split(',')
            .map(|part| {
                let (key, dir) = part.split_once(':').unwrap_or((part, ""));
                let dir = if dir.trim().is_empty() {
                    "desc"
                } else {
                    dir.trim()
                };
                (key.trim().to_string(), dir.to_string())
            })
            .collect(),
        None => match get("sort_key") {
            Some(key) => vec![(key, get("sort_dir").unwrap_or_else(|| "desc".into()))],
            None => Vec::new(),
        },
    };
    let default_dir = pairs
        .first()
        .map(|(_, d)| d.clone())
        .unwrap_or_else(|| "desc".into());
    for key in ["created_at", "id"] {
        if !pairs.iter().any(|(k, _)| k == key) {
            pairs.push((key.to_string(), default_dir.clone()));
        }
    }
    pairs
        .into_iter()
        .map(|(key, dir)| match dir.to_ascii_lowercase().as_str() {
            "desc" => Ok((key, true)),
            "asc" => Ok((key, false)),
            _ => Err(CinderError::BadRequest(
                "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'".into(),
            )),
        })
        .collect()
}

/// The sort of a request in `E`'s columns.
pub(crate) fn sort_of<E: Pageable>(
    get: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Vec<(E::Column, bool)>> {
    sort_keys(get)?
        .into_iter()
        .map(|(key, descending)| {
            E::sort_column(&key)
                .map(|column| (column, descending))
                .ok_or_else(|| {
                    CinderError::BadRequest("Invalid input received: Invalid sort key".into())
                })
        })
        .collect()
}

/// `limit`: at most `max`, which is also what no limit means.
fn limit_of(raw: Option<String>, max: usize) -> Result<usize> {
    let Some(raw) = raw else {
        return Ok(max);
    };
    match raw.parse::<i64>() {
        Ok(n) if n < 0 => Err(CinderError::BadRequest(
            "limit param must be positive".into(),
        )),
        Ok(n) => Ok((n as usize).min(max)),
        Err(_) => Err(CinderError::BadRequest(
            "limit param must be an integer".into(),
        )),
    }
}

/// `offset`, 0 when absent.
fn offset_of(raw: Option<String>) -> Result<u64> {
    let Some(raw) = raw else {
        return Ok(0);
    };
    let offset: i64 = raw
        .parse()
        .map_err(|_| CinderError::BadRequest("offset must be an integer.".into()))?;
    u64::try_from(offset).map_err(|_| CinderError::BadRequest("offset must be >= 0".into()))
}

/// One page of `query`'s rows as the request's paging parameters ask.
pub(crate) async fn page<E: Pageable>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    get: &(dyn Fn(&str) -> Option<String> + Sync),
    max_limit: usize,
) -> Result<Page<E::Model>> {
    let sort = sort_of::<E>(get)?;
    let limit = limit_of(get("limit"), max_limit)?;
    let offset = offset_of(get("offset"))?;
    let mut query = query;
    if let Some(marker) = get("marker") {
        let row = E::marker_row(&marker)
            .one(db)
            .await?
            .ok_or_else(|| CinderError::NotFound(format!("Marker {marker} could not be found.")))?;
        let keys: Vec<SortKey> = sort
            .iter()
            .map(|(column, descending)| SortKey {
                expr: E::sort_expr(*column),
                marker: E::marker_value(&row, *column),
                descending: *descending,
            })
            .collect();
        query = query.filter(ferrostack_db::keyset::after(&keys));
    }
    for (column, descending) in &sort {
        let order = if *descending { Order::Desc } else { Order::Asc };
        query = query.order_by(E::sort_expr(*column), order);
    }
    let rows = query.offset(offset).limit(limit as u64).all(db).await?;
    let next_marker = (get("limit").is_some() && rows.len() == limit)
        .then(|| rows.last().map(E::id_of))
        .flatten();
    Ok(Page { rows, next_marker })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sort(pairs: &[(&str, &str)]) -> Result<Vec<(String, bool)>> {
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        };
        sort_keys(&get)
    }

    fn keys(list: &[(&str, bool)]) -> Vec<(String, bool)> {
        list.iter().map(|(c, d)| (c.to_string(), *d)).collect()
    }

    #[test]
    fn sorts_as_cinder_parses_them() {
        assert_eq!(
            sort(&[]).unwrap(),
            keys(&[("created_at", true), ("id", true)])
        );
        assert_eq!(
            sort(&[("sort", "size:asc,name")]).unwrap(),
            keys(&[
                ("size", false),
                ("name", true),
                ("created_at", false),
                ("id", false)
            ])
        );
        assert_eq!(
            sort(&[("sort_key", "status"), ("sort_dir", "asc")]).unwrap(),
            keys(&[("status", false), ("created_at", false), ("id", false)])
        );
        assert_eq!(
            sort(&[("sort", "size"), ("sort_key", "name")])
                .unwrap_err()
                .to_string(),
            "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter."
        );
        assert_eq!(
            sort(&[("sort", "size:up")]).unwrap_err().to_string(),
            "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'"
        );
    }

    #[test]
    fn limits_and_offsets() {
        assert_eq!(limit_of(None, 1000).unwrap(), 1000);
        assert_eq!(limit_of(Some("5000".into()), 1000).unwrap(), 1000);
        assert_eq!(limit_of(Some("0".into()), 1000).unwrap(), 0);
        assert_eq!(
            limit_of(Some("-1".into()), 1000).unwrap_err().to_string(),
            "limit param must be positive"
        );
        assert_eq!(
            limit_of(Some("x".into()), 1000).unwrap_err().to_string(),
            "limit param must be an integer"
        );
        assert_eq!(offset_of(Some("2".into())).unwrap(), 2);
        assert_eq!(
            offset_of(Some("-2".into())).unwrap_err().to_string(),
            "offset must be >= 0"
        );
    }
}
