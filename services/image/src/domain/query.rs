//! The image list query: filters, sort keys and page, parsed from the query string
//! with Glance's names and operators.

use chrono::NaiveDateTime;

use super::error::{ImageError, Result};
use super::model::MemberStatus;
use super::model::Visibility;

/// Core columns a list can filter and sort on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Id,
    Name,
    Status,
    Owner,
    Visibility,
    DiskFormat,
    ContainerFormat,
    Checksum,
    OsHashValue,
    Protected,
    Size,
    VirtualSize,
    MinDisk,
    MinRam,
    CreatedAt,
    UpdatedAt,
}

impl Column {
    pub fn name(self) -> &'static str {
        match self {
            Column::Id => "id",
            Column::Name => "name",
            Column::Status => "status",
            Column::Owner => "owner",
            Column::Visibility => "visibility",
            Column::DiskFormat => "disk_format",
            Column::ContainerFormat => "container_format",
            Column::Checksum => "checksum",
            Column::OsHashValue => "os_hash_value",
            Column::Protected => "protected",
            Column::Size => "size",
            Column::VirtualSize => "virtual_size",
            Column::MinDisk => "min_disk",
            Column::MinRam => "min_ram",
            Column::CreatedAt => "created_at",
            Column::UpdatedAt => "updated_at",
        }
    }

    /// Columns usable as `sort_key` (Glance's `_available_sort_keys`).
    fn sortable(name: &str) -> Option<Column> {
        [
            Column::Name,
            Column::Status,
            Column::ContainerFormat,
            Column::DiskFormat,
            Column::Size,
            Column::Id,
            Column::CreatedAt,
            Column::UpdatedAt,
        ]
        .into_iter()
        .find(|c| c.name() == name)
    }

    fn is_integer(self) -> bool {
        matches!(
            self,
            Column::Size | Column::VirtualSize | Column::MinDisk | Column::MinRam
        )
    }
}

/// A filter value, typed by its column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Bool(bool),
    Time(NaiveDateTime),
}

/// Comparison operators (`gt:`, `gte:`, `lt:`, `lte:`, `eq:`, `neq:`, `in:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
}

/// One condition on a core column.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub column: Column,
    pub op: Op,
    pub values: Vec<Value>,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Asc,
    Desc,
}

/// Which shared images a list includes, by the caller's membership status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberFilter {
    Status(MemberStatus),
    All,
}

/// A parsed list request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub filters: Vec<Filter>,
    pub tags: Vec<String>,
    pub properties: Vec<(String, String)>,
    /// `None`: the default view (no community images but the caller's own).
    pub visibility: Option<Option<Visibility>>,
    pub member_status: MemberFilter,
    /// `None` shows hidden and visible images.
    pub os_hidden: Option<bool>,
    pub sort: Vec<(Column, Dir)>,
    pub limit: usize,
    pub marker: Option<String>,
}

impl ListQuery {
    /// Parses `pairs` (the decoded query string); `limit_default`/`limit_max` come
    /// from configuration.
    pub fn parse(
        pairs: &[(String, String)],
        limit_default: usize,
        limit_max: usize,
    ) -> Result<Self> {
        let mut query = ListQuery {
            filters: Vec::new(),
            tags: Vec::new(),
            properties: Vec::new(),
            visibility: None,
            member_status: MemberFilter::Status(MemberStatus::Accepted),
            os_hidden: Some(false),
            sort: Vec::new(),
            limit: limit_default.min(limit_max),
            marker: None,
        };
        let mut sort_keys = Vec::new();
        let mut sort_dirs = Vec::new();
        let mut sort = None;
        for (key, value) in pairs {
            match key.as_str() {
                "limit" => query.limit = parse_limit(value)?.min(limit_max),
                "marker" => query.marker = Some(value.clone()),
                "sort" => sort = Some(value.clone()),
                "sort_key" => sort_keys.push(value.clone()),
                "sort_dir" => sort_dirs.push(value.clone()),
                "tag" => query.tags.push(value.clone()),
                "visibility" => {
                    query.visibility = Some(match value.as_str() {
                        "all" => None,
                        v => Some(Visibility::parse(v).ok_or_else(|| {
                            ImageError::BadRequest(format!("Invalid visibility value: {v}"))
                        })?),
                    })
                }
                "member_status" => {
                    query.member_status = match value.as_str() {
                        "all" => MemberFilter::All,
                        v => MemberFilter::Status(MemberStatus::parse(v).ok_or_else(|| {
                            ImageError::BadRequest(format!("Invalid status: {v}"))
                        })?),
                    }
                }
                "changes-since" => {
                    return Err(ImageError::BadRequest(
                        "The \"changes-since\" filter is no longer available on v2.".into(),
                    ))
                }
                "os_hidden" => query.os_hidden = Some(parse_bool("os_hidden", value)?),
                "size_min" => query
                    .filters
                    .push(int_filter(Column::Size, Op::Gte, value)?),
                "size_max" => query
                    .filters
                    .push(int_filter(Column::Size, Op::Lte, value)?),
                other => match core_column(other) {
                    Some(column) => query.filters.push(parse_filter(column, value)?),
                    None => query.properties.push((other.to_string(), value.clone())),
                },
            }
        }
        query.sort = parse_sort(sort.as_deref(), &sort_keys, &sort_dirs)?;
        Ok(query)
    }
}

fn core_column(name: &str) -> Option<Column> {
    [
        Column::Id,
        Column::Name,
        Column::Status,
        Column::Owner,
        Column::DiskFormat,
        Column::ContainerFormat,
        Column::Checksum,
        Column::OsHashValue,
        Column::Protected,
        Column::VirtualSize,
        Column::MinDisk,
        Column::MinRam,
        Column::CreatedAt,
        Column::UpdatedAt,
    ]
    .into_iter()
    .find(|c| c.name() == name)
}

pub(crate) fn parse_limit(value: &str) -> Result<usize> {
    let limit: i64 = value
        .trim()
        .parse()
        .map_err(|_| ImageError::BadRequest("limit param must be an integer".into()))?;
    usize::try_from(limit)
        .map_err(|_| ImageError::BadRequest("limit param must be positive".into()))
}

fn parse_bool(name: &str, value: &str) -> Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ImageError::BadRequest(format!(
            "Invalid value '{value}' for '{name}' filter. Valid values are 'true' or 'false'."
        ))),
    }
}

fn int_filter(column: Column, op: Op, value: &str) -> Result<Filter> {
    let number: i64 = value.trim().parse().map_err(|_| {
        ImageError::BadRequest("Unable to filter on a range with a non-numeric value.".into())
    })?;
    Ok(Filter {
        column,
        op,
        values: vec![Value::Int(number)],
    })
}

/// `op:value` (or a bare value, meaning `eq`), typed by `column`. Range operators
/// apply to timestamps and numbers; `in:` to every core column.
fn parse_filter(column: Column, raw: &str) -> Result<Filter> {
    let is_time = matches!(column, Column::CreatedAt | Column::UpdatedAt);
    let ranged = is_time || column.is_integer();
    let (op, rest) = match raw.split_once(':') {
        Some(("in", rest)) => (Op::In, rest),
        Some((prefix, rest)) if ranged => match prefix {
            "eq" => (Op::Eq, rest),
            "neq" => (Op::Neq, rest),
            "gt" => (Op::Gt, rest),
            "gte" => (Op::Gte, rest),
            "lt" => (Op::Lt, rest),
            "lte" => (Op::Lte, rest),
            _ if is_time && prefix.chars().all(|c| c.is_ascii_alphabetic()) => {
                return Err(ImageError::BadRequest(
                    "Unable to filter on a unknown operator.".into(),
                ))
            }
            _ => (Op::Eq, raw),
        },
        _ => (Op::Eq, raw),
    };
    let items: Vec<&str> = if op == Op::In {
        rest.split(',')
            .map(|i| i.trim().trim_matches('"'))
            .collect()
    } else {
        vec![rest]
    };
    let values = items
        .into_iter()
        .map(|item| typed(column, item))
        .collect::<Result<Vec<_>>>()?;
    Ok(Filter { column, op, values })
}

fn typed(column: Column, text: &str) -> Result<Value> {
    Ok(match column {
        Column::CreatedAt | Column::UpdatedAt => {
            Value::Time(parse_time(text).ok_or_else(|| {
                ImageError::BadRequest(format!(
                    "Bad \"{}\" query filter format. Use ISO 8601 DateTime notation.",
                    column.name()
                ))
            })?)
        }
        Column::Protected => Value::Bool(parse_bool(column.name(), text)?),
        c if c.is_integer() => Value::Int(text.trim().parse().map_err(|_| {
            ImageError::BadRequest("Unable to filter on a range with a non-numeric value.".into())
        })?),
        _ => Value::Text(text.to_string()),
    })
}

/// ISO 8601 timestamps as clients send them (`2024-01-31T12:00:00Z`, with or
/// without fractions or an offset).
fn parse_time(text: &str) -> Option<NaiveDateTime> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.naive_utc());
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), f).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
}

fn parse_dir(text: &str) -> Result<Dir> {
    match text {
        "asc" => Ok(Dir::Asc),
        "desc" => Ok(Dir::Desc),
        other => Err(ImageError::BadRequest(format!(
            "Invalid sort direction: {other}"
        ))),
    }
}

fn sort_column(name: &str) -> Result<Column> {
    Column::sortable(name).ok_or_else(|| {
        ImageError::BadRequest(format!(
            "Invalid sort key: {name}. It must be one of the following: name, status, \
             container_format, disk_format, size, id, created_at, updated_at."
        ))
    })
}

/// `sort=k1:dir,k2` or `sort_key`/`sort_dir` (not both); `created_at` and `id`
/// are appended as tie-breakers as Glance does.
fn parse_sort(sort: Option<&str>, keys: &[String], dirs: &[String]) -> Result<Vec<(Column, Dir)>> {
    let mut out = Vec::new();
    if let Some(sort) = sort {
        if !keys.is_empty() || !dirs.is_empty() {
            return Err(ImageError::BadRequest(
                "Old and new sorting syntax cannot be combined".into(),
            ));
        }
        for item in sort.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, dir) = match item.split_once(':') {
                Some((k, d)) => (k, parse_dir(d)?),
                None => (item, Dir::Desc),
            };
            out.push((sort_column(key)?, dir));
        }
    } else {
        if dirs.len() > 1 && dirs.len() != keys.len() {
            return Err(ImageError::BadRequest(
                "Number of sort dirs does not match the number of sort keys".into(),
            ));
        }
        let default_dir = match dirs.first() {
            Some(d) => parse_dir(d)?,
            None => Dir::Desc,
        };
        for (i, key) in keys.iter().enumerate() {
            let dir = match dirs.get(i) {
                Some(d) if dirs.len() > 1 => parse_dir(d)?,
                _ => default_dir,
            };
            out.push((sort_column(key)?, dir));
        }
        if keys.is_empty() {
            out.push((Column::CreatedAt, default_dir));
        }
    }
    let last_dir = out.last().map(|(_, d)| *d).unwrap_or(Dir::Desc);
    for column in [Column::CreatedAt, Column::Id] {
        if !out.iter().any(|(c, _)| *c == column) {
            out.push((column, last_dir));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Result<ListQuery> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text).unwrap();
        ListQuery::parse(&pairs, 25, 1000)
    }

    #[test]
    fn defaults() {
        let query = q("").unwrap();
        assert_eq!(query.limit, 25);
        assert_eq!(query.os_hidden, Some(false));
        assert_eq!(
            query.sort,
            vec![(Column::CreatedAt, Dir::Desc), (Column::Id, Dir::Desc)]
        );
        assert_eq!(
            query.member_status,
            MemberFilter::Status(MemberStatus::Accepted)
        );
    }

    #[test]
    fn filters_and_operators() {
        let query =
            q("name=in:a,b&size_min=10&created_at=gte:2024-01-01T00:00:00Z&tag=x&tag=y&hw_arch=x86_64&limit=5000")
                .unwrap();
        assert_eq!(query.limit, 1000);
        assert_eq!(query.filters[0].op, Op::In);
        assert_eq!(query.filters[0].values.len(), 2);
        assert_eq!(query.filters[1].values, vec![Value::Int(10)]);
        assert_eq!(query.filters[2].op, Op::Gte);
        assert_eq!(query.tags, vec!["x", "y"]);
        assert_eq!(query.properties, vec![("hw_arch".into(), "x86_64".into())]);
        assert!(q("created_at=gte:yesterday").is_err());
        assert_eq!(
            q("name=gt:a").unwrap().filters[0].values,
            vec![Value::Text("gt:a".into())]
        );
        assert_eq!(
            q(r#"name=in:"a","b""#).unwrap().filters[0].values,
            vec![Value::Text("a".into()), Value::Text("b".into())]
        );
        assert!(q("created_at=foo:2024-01-01T00:00:00Z").is_err());
        assert!(q("size_min=big").is_err());
        assert!(q("visibility=everyone").is_err());
        assert!(q("os_hidden=yes").is_err());
        assert!(q("changes-since=2020-01-01").is_err());
        assert!(q("status=flying").is_ok());
        assert!(q("limit=-1").is_err());
    }

    #[test]
    fn sorting() {
        let query = q("sort=name:asc,size").unwrap();
        assert_eq!(
            query.sort,
            vec![
                (Column::Name, Dir::Asc),
                (Column::Size, Dir::Desc),
                (Column::CreatedAt, Dir::Desc),
                (Column::Id, Dir::Desc)
            ]
        );
        let query = q("sort_key=name&sort_dir=asc").unwrap();
        assert_eq!(query.sort[0], (Column::Name, Dir::Asc));
        assert_eq!(query.sort[1], (Column::CreatedAt, Dir::Asc));
        assert!(q("sort=owner:asc").is_err());
        assert!(q("sort=name:up").is_err());
        assert!(q("sort=name&sort_key=size").is_err());
    }
}
