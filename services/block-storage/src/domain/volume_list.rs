//! `GET /volumes[/detail]`: Cinder's filters (name, `name~` from 3.34, status,
//! metadata, bootable, availability_zone, size, ...), `sort` or
//! `sort_key`/`sort_dir`, marker/limit keyset pages and `with_count` (3.45).

use std::collections::BTreeMap;

use ferrostack_api::microversion::ApiVersion;
use sea_orm::sea_query::{Expr, Func, LikeExpr, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};

use super::paging::Pageable;
use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::volume;

/// A page of volumes.
pub struct Listing {
    pub volumes: Vec<volume::Model>,
    pub next_marker: Option<String>,
    /// Matching volumes before paging, when `with_count` asked (3.45).
    pub count: Option<u64>,
}

/// Filters non-admins may use from 3.31 (Cinder's `resource_filters.json`).
const USER_FILTERS: &[&str] = &[
    "name",
    "status",
    "metadata",
    "bootable",
    "migration_status",
    "availability_zone",
    "group_id",
    "size",
    "created_at",
    "updated_at",
    "consumes_quota",
];
/// Query keys that are not filters.
pub(crate) const NOT_FILTERS: &[&str] = &[
    "limit",
    "marker",
    "offset",
    "sort",
    "sort_key",
    "sort_dir",
    "with_count",
    "all_tenants",
    "project_id",
];

/// A LIKE pattern matching text that contains `part`, with an explicit escape
/// character (SQLite has no default one).
fn contains(part: &str) -> LikeExpr {
    let escaped = part
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// A `metadata` filter: a dict literal such as `{'k': 'v'}` (or JSON).
fn metadata_filter(raw: &str) -> BTreeMap<String, String> {
    serde_json::from_str(raw)
        .or_else(|_| serde_json::from_str(&raw.replace('\'', "\"")))
        .unwrap_or_default()
}

pub(crate) fn truthy(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "t" | "on" => Some(true),
        "false" | "0" | "no" | "n" | "f" | "off" => Some(false),
        _ => None,
    }
}

impl Pageable for volume::Entity {
    fn sort_column(key: &str) -> Option<volume::Column> {
        Some(match key {
            "id" => volume::Column::Id,
            "name" | "display_name" => volume::Column::Name,
            "description" | "display_description" => volume::Column::Description,
            "status" => volume::Column::Status,
            "size" => volume::Column::Size,
            "availability_zone" => volume::Column::AvailabilityZone,
            "host" => volume::Column::Host,
            "bootable" => volume::Column::Bootable,
            "volume_type_id" => volume::Column::VolumeTypeId,
            "project_id" => volume::Column::ProjectId,
            "user_id" => volume::Column::UserId,
            "created_at" => volume::Column::CreatedAt,
            "updated_at" => volume::Column::UpdatedAt,
            _ => return None,
        })
    }

    fn sort_expr(column: volume::Column) -> SimpleExpr {
        let col = Expr::col((volume::Entity, column));
        match column {
            volume::Column::Name | volume::Column::Description | volume::Column::Host => {
                Func::coalesce([col.into(), Expr::val("").into()]).into()
            }
            _ => col.into(),
        }
    }

    fn marker_value(row: &volume::Model, column: volume::Column) -> sea_orm::Value {
        let text = |v: &Option<String>| v.clone().unwrap_or_default().into();
        match column {
            volume::Column::Name => text(&row.name),
            volume::Column::Description => text(&row.description),
            volume::Column::Host => text(&row.host),
            volume::Column::Size => row.size.into(),
            volume::Column::Bootable => row.bootable.into(),
            volume::Column::CreatedAt => row.created_at.into(),
            volume::Column::UpdatedAt => row.updated_at.into(),
            volume::Column::Status => row.status.clone().into(),
            volume::Column::AvailabilityZone => row.availability_zone.clone().into(),
            volume::Column::VolumeTypeId => row.volume_type_id.clone().into(),
            volume::Column::ProjectId => row.project_id.clone().into(),
            volume::Column::UserId => row.user_id.clone().into(),
            _ => row.id.clone().into(),
        }
    }

    fn id_of(row: &volume::Model) -> String {
        row.id.clone()
    }

    fn marker_row(id: &str) -> Select<volume::Entity> {
        volume::Entity::find_by_id(id)
    }
}

impl Cinder {
    /// A page of the caller's volumes (every project's with `all_tenants` as admin).
    pub async fn list_volumes(
        &self,
        caller: &Caller,
        pairs: &[(String, String)],
        version: ApiVersion,
    ) -> Result<Listing> {
        self.authorize(caller, "volume:get_all", caller.project())?;
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        if !caller.is_admin && version >= ApiVersion::new(3, 31) {
            let invalid: Vec<&str> = pairs
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| {
                    let base = k.strip_suffix('~').unwrap_or(k);
                    !NOT_FILTERS.contains(k) && !USER_FILTERS.contains(&base)
                })
                .collect();
            if !invalid.is_empty() {
                return Err(CinderError::invalid_filters(&invalid));
            }
        }
        let mut condition = Condition::all();
        let all = caller.is_admin
            && get("all_tenants").is_some_and(|v| !matches!(v.as_str(), "0" | "false" | "False"));
        if !all {
            condition = condition.add(volume::Column::ProjectId.eq(caller.project()));
        } else if let Some(project) = get("project_id") {
            // An admin's all_tenants list narrowed to one project.
            condition = condition.add(volume::Column::ProjectId.eq(project));
        }
        if let Some(name) = get("name") {
            condition = condition.add(volume::Column::Name.eq(name));
        }
        if version >= ApiVersion::new(3, 34) {
            if let Some(part) = get("name~") {
                condition = condition.add(volume::Column::Name.like(contains(&part)));
            }
        }
        for (key, column) in [
            ("status", volume::Column::Status),
            ("availability_zone", volume::Column::AvailabilityZone),
            ("migration_status", volume::Column::MigrationStatus),
        ] {
            if let Some(value) = get(key) {
                condition = condition.add(column.eq(value));
            }
        }
        if let Some(size) = get("size") {
            let size: i64 = size.parse().map_err(|_| {
                CinderError::BadRequest(format!(
                    "Invalid input received: size {size} is not an integer"
                ))
            })?;
            condition = condition.add(volume::Column::Size.eq(size));
        }
        if let Some(bootable) = get("bootable") {
            let bootable = truthy(&bootable).ok_or_else(|| {
                CinderError::BadRequest(format!(
                    "Invalid input received: Invalid value '{bootable}' for bootable"
                ))
            })?;
            condition = condition.add(volume::Column::Bootable.eq(bootable));
        }
        if let Some(raw) = get("metadata") {
            for (key, value) in metadata_filter(&raw) {
                let pair = format!(
                    "{}:{}",
                    serde_json::Value::String(key),
                    serde_json::Value::String(value)
                );
                condition = condition.add(volume::Column::Metadata.like(contains(&pair)));
            }
        }
        let query = volume::Entity::find().filter(condition);
        let with_count = version >= ApiVersion::new(3, 45)
            && get("with_count").is_some_and(|v| truthy(&v) == Some(true));
        let count = if with_count {
            use sea_orm::PaginatorTrait;
            Some(query.clone().count(&self.db).await?)
        } else {
            None
        };
        let page = super::paging::page(&self.db, query, &get, self.cfg.max_limit).await?;
        Ok(Listing {
            volumes: page.rows,
            next_marker: page.next_marker,
            count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_filters_take_dict_literals() {
        let want: BTreeMap<String, String> = [("k".to_string(), "v".to_string())].into();
        assert_eq!(metadata_filter("{'k': 'v'}"), want);
        assert_eq!(metadata_filter(r#"{"k":"v"}"#), want);
        assert!(metadata_filter("not a dict").is_empty());
    }
}
