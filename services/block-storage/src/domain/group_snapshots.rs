//! Group snapshots (3.14+): a snapshot of every volume of a group at once.
//! A group snapshot is `creating` until each of its snapshots is made, then
//! `available` (or `error` when one failed).

use sea_orm::sea_query::{Expr, Func, SimpleExpr};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, Select};

use super::groups::group_not_found;
use super::paging::{self, Page, Pageable};
use super::snapshots::SnapshotCreate;
use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::{group_snapshot, snapshot};

impl Pageable for group_snapshot::Entity {
    fn sort_column(key: &str) -> Option<group_snapshot::Column> {
        Some(match key {
            "id" => group_snapshot::Column::Id,
            "name" => group_snapshot::Column::Name,
            "status" => group_snapshot::Column::Status,
            "group_id" => group_snapshot::Column::GroupId,
            "created_at" => group_snapshot::Column::CreatedAt,
            "updated_at" => group_snapshot::Column::UpdatedAt,
            _ => return None,
        })
    }

    fn sort_expr(column: group_snapshot::Column) -> SimpleExpr {
        let col = Expr::col((group_snapshot::Entity, column));
        match column {
            group_snapshot::Column::Name => {
                Func::coalesce([col.into(), Expr::val("").into()]).into()
            }
            _ => col.into(),
        }
    }

    fn marker_value(row: &group_snapshot::Model, column: group_snapshot::Column) -> sea_orm::Value {
        match column {
            group_snapshot::Column::Name => row.name.clone().unwrap_or_default().into(),
            group_snapshot::Column::Status => row.status.clone().into(),
            group_snapshot::Column::GroupId => row.group_id.clone().into(),
            group_snapshot::Column::CreatedAt => row.created_at.into(),
            group_snapshot::Column::UpdatedAt => row.updated_at.into(),
            _ => row.id.clone().into(),
        }
    }

    fn id_of(row: &group_snapshot::Model) -> String {
        row.id.clone()
    }

    fn marker_row(id: &str) -> Select<group_snapshot::Entity> {
        group_snapshot::Entity::find_by_id(id)
    }
}

fn not_found(id: &str) -> CinderError {
    CinderError::NotFound(format!("GroupSnapshot {id} could not be found."))
}

/// What a creating group snapshot has become, from its snapshots' statuses.
fn settled(statuses: &[String]) -> Option<&'static str> {
    if statuses.iter().any(|s| s.starts_with("error")) {
        Some("error")
    } else if statuses.iter().all(|s| s == "available") {
        Some("available")
    } else {
        None
    }
}

impl Cinder {
    /// After a snapshot of group snapshot `id` changed: once every snapshot
    /// of a creating group snapshot is made (or one failed), it takes its
    /// final status.
    pub(crate) async fn settle_group_snapshot(&self, id: &str) -> Result<()> {
        if let Some(row) = group_snapshot::Entity::find_by_id(id).one(&self.db).await? {
            self.settle(row).await?;
        }
        Ok(())
    }

    async fn settle(&self, row: group_snapshot::Model) -> Result<group_snapshot::Model> {
        if row.status != "creating" {
            return Ok(row);
        }
        let statuses: Vec<String> = snapshot::Entity::find()
            .filter(snapshot::Column::GroupSnapshotId.eq(row.id.as_str()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| s.status)
            .collect();
        let Some(status) = settled(&statuses) else {
            return Ok(row);
        };
        let mut active: group_snapshot::ActiveModel = row.into();
        active.status = Set(status.into());
        active.updated_at = Set(chrono::Utc::now().naive_utc());
        Ok(active.update(&self.db).await?)
    }

    /// The group snapshot `id` as `caller` may see it.
    pub(crate) async fn group_snapshot_row(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<group_snapshot::Model> {
        let row = group_snapshot::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        if !caller.is_admin && row.project_id != caller.project() {
            return Err(not_found(id));
        }
        self.authorize(caller, "group:get_group_snapshot", row.project_id.as_str())?;
        Ok(row)
    }

    /// A page of the caller's group snapshots (every project's with
    /// `all_tenants` as admin).
    pub async fn list_group_snapshots(
        &self,
        caller: &Caller,
        pairs: &[(String, String)],
        all_tenants: bool,
    ) -> Result<Page<group_snapshot::Model>> {
        self.authorize(caller, "group:get_all_group_snapshots", caller.project())?;
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let all = caller.is_admin && all_tenants;
        let mut query = group_snapshot::Entity::find();
        if !all {
            query = query.filter(group_snapshot::Column::ProjectId.eq(caller.project()));
        }
        paging::page(&self.db, query, &get, self.cfg.max_limit).await
    }

    /// Snapshots every volume of an available group together.
    pub async fn create_group_snapshot(
        &self,
        caller: &Caller,
        group_id: &str,
        name: Option<String>,
        description: Option<String>,
    ) -> Result<group_snapshot::Model> {
        let group = self
            .group_row(caller, group_id)
            .await
            .map_err(|_| group_not_found(group_id))?;
        self.authorize(
            caller,
            "group:create_group_snapshot",
            group.project_id.as_str(),
        )?;
        if group.status != "available" {
            return Err(CinderError::BadRequest(format!(
                "Invalid group: Group {group_id} status must be available, but current status is: {}.",
                group.status
            )));
        }
        let members = self.group_volumes(group_id).await?;
        let at = chrono::Utc::now().naive_utc();
        let row = group_snapshot::Model {
            id: uuid::Uuid::new_v4().to_string(),
            group_id: group_id.to_string(),
            project_id: group.project_id.clone(),
            user_id: caller.ctx.user_id.clone(),
            name: name.map(|n| n.trim().to_string()),
            description: description.map(|d| d.trim().to_string()),
            status: "creating".into(),
            group_type_id: group.group_type_id.clone(),
            created_at: at,
            updated_at: at,
        };
        group_snapshot::Entity::insert(group_snapshot::ActiveModel::from(row.clone()))
            .exec(&self.db)
            .await?;
        for member in members {
            let made = self
                .make_snapshot(
                    caller,
                    SnapshotCreate {
                        volume_id: Some(member.id.clone()),
                        name: row.name.clone(),
                        description: None,
                        force: None,
                        metadata: None,
                    },
                    Some(&row.id),
                )
                .await;
            if let Err(e) = made {
                let mut failed: group_snapshot::ActiveModel = row.clone().into();
                failed.status = Set("error".into());
                failed.update(&self.db).await?;
                return Err(e);
            }
        }
        self.settle(row).await
    }

    /// Deletes a group snapshot and its snapshots.
    pub async fn delete_group_snapshot(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self.group_snapshot_row(caller, id).await?;
        self.authorize(
            caller,
            "group:delete_group_snapshot",
            row.project_id.as_str(),
        )?;
        let in_use = crate::db::entity::group::Entity::find()
            .filter(crate::db::entity::group::Column::GroupSnapshotId.eq(id))
            .filter(crate::db::entity::group::Column::Status.eq("creating"))
            .one(&self.db)
            .await?
            .is_some();
        if !matches!(row.status.as_str(), "available" | "error") || in_use {
            return Err(CinderError::BadRequest(
                "Invalid GroupSnapshot: GroupSnapshot status must be available or error, and no Group can be currently using it as source for its creation.".into(),
            ));
        }
        for member in snapshot::Entity::find()
            .filter(snapshot::Column::GroupSnapshotId.eq(id))
            .all(&self.db)
            .await?
        {
            self.remove_snapshot(caller, &member).await?;
        }
        group_snapshot::Entity::delete_by_id(id)
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Sets a group snapshot's status (admin).
    pub async fn reset_group_snapshot_status(
        &self,
        caller: &Caller,
        id: &str,
        status: &str,
    ) -> Result<()> {
        let row = self.group_snapshot_row(caller, id).await?;
        self.authorize(
            caller,
            "group:reset_group_snapshot_status",
            row.project_id.as_str(),
        )?;
        const STATUSES: &[&str] = &[
            "creating",
            "available",
            "deleting",
            "error",
            "error_deleting",
        ];
        if !STATUSES.contains(&status) {
            return Err(CinderError::BadRequest(format!(
                "Invalid input received: Group snapshot status: {status}, Valid group snapshot status are: {}.",
                STATUSES.join(", ")
            )));
        }
        let mut active: group_snapshot::ActiveModel = row.into();
        active.status = Set(status.to_string());
        active.updated_at = Set(chrono::Utc::now().naive_utc());
        active.update(&self.db).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::settled;

    #[test]
    fn a_group_snapshot_settles_when_its_snapshots_do() {
        let of = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(settled(&of(&["available", "available"])), Some("available"));
        assert_eq!(settled(&of(&["available", "creating"])), None);
        assert_eq!(settled(&of(&["creating", "error"])), Some("error"));
        assert_eq!(settled(&of(&[])), Some("available"));
    }
}
