//! `GET /snapshots[/detail]`: filters (volume_id, status, name), `all_tenants`
//! for admins, and Cinder's sort, marker, limit and offset.

use sea_orm::sea_query::{Expr, Func, SimpleExpr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

use super::paging::{Page, Pageable};
use super::{Caller, Cinder, Result};
use crate::db::entity::snapshot;

impl Pageable for snapshot::Entity {
    fn sort_column(key: &str) -> Option<snapshot::Column> {
        Some(match key {
            "id" => snapshot::Column::Id,
            "name" | "display_name" => snapshot::Column::Name,
            "description" | "display_description" => snapshot::Column::Description,
            "status" => snapshot::Column::Status,
            "size" | "volume_size" => snapshot::Column::Size,
            "volume_id" => snapshot::Column::VolumeId,
            "project_id" => snapshot::Column::ProjectId,
            "user_id" => snapshot::Column::UserId,
            "created_at" => snapshot::Column::CreatedAt,
            "updated_at" => snapshot::Column::UpdatedAt,
            _ => return None,
        })
    }

    fn sort_expr(column: snapshot::Column) -> SimpleExpr {
        let col = Expr::col((snapshot::Entity, column));
        match column {
            snapshot::Column::Name | snapshot::Column::Description => {
                Func::coalesce([col.into(), Expr::val("").into()]).into()
            }
            _ => col.into(),
        }
    }

    fn marker_value(row: &snapshot::Model, column: snapshot::Column) -> sea_orm::Value {
        let text = |v: &Option<String>| v.clone().unwrap_or_default().into();
        match column {
            snapshot::Column::Name => text(&row.name),
            snapshot::Column::Description => text(&row.description),
            snapshot::Column::Status => row.status.clone().into(),
            snapshot::Column::Size => row.size.into(),
            snapshot::Column::VolumeId => row.volume_id.clone().into(),
            snapshot::Column::ProjectId => row.project_id.clone().into(),
            snapshot::Column::UserId => row.user_id.clone().into(),
            snapshot::Column::CreatedAt => row.created_at.into(),
            snapshot::Column::UpdatedAt => row.updated_at.into(),
            _ => row.id.clone().into(),
        }
    }

    fn id_of(row: &snapshot::Model) -> String {
        row.id.clone()
    }

    fn marker_row(id: &str) -> Select<snapshot::Entity> {
        snapshot::Entity::find_by_id(id)
    }
}

impl Cinder {
    /// A page of the caller's snapshots (every project's with `all_tenants`
    /// as admin).
    pub async fn list_snapshots(
        &self,
        caller: &Caller,
        pairs: &[(String, String)],
    ) -> Result<Page<snapshot::Model>> {
        self.authorize(caller, "volume:get_all_snapshots", caller.project())?;
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let mut query = snapshot::Entity::find();
        let all = caller.is_admin
            && get("all_tenants").is_some_and(|v| !matches!(v.as_str(), "0" | "false"));
        if !all {
            query = query.filter(snapshot::Column::ProjectId.eq(caller.project()));
        } else if let Some(project) = get("project_id") {
            query = query.filter(snapshot::Column::ProjectId.eq(project));
        }
        for (key, column) in [
            ("volume_id", snapshot::Column::VolumeId),
            ("status", snapshot::Column::Status),
            ("name", snapshot::Column::Name),
        ] {
            if let Some(value) = get(key) {
                query = query.filter(column.eq(value));
            }
        }
        super::paging::page(&self.db, query, &get, self.cfg.max_limit).await
    }
}
