//! Server groups (`os-server-groups`): a project's servers placed together
//! (affinity) or apart (anti-affinity, with `max_server_per_host` from 2.64),
//! hard or soft, within the `server_groups` and `server_group_members` quotas.
//! Members are the group's servers that still exist.

use std::collections::BTreeMap;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde_json::{json, Value};

use super::{now, Caller, Nova, NovaError, Result};
use crate::db::entity::{instance, server_group, server_group_member};

/// A group with its members.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerGroup {
    pub row: server_group::Model,
    pub members: Vec<String>,
}

impl ServerGroup {
    pub fn rules(&self) -> Value {
        serde_json::from_str(&self.row.rules).unwrap_or_else(|_| json!({}))
    }
}

/// What a create asks for, validated by the API.
#[derive(Debug, Clone, PartialEq)]
pub struct NewServerGroup {
    pub name: String,
    pub policy: String,
    /// `max_server_per_host` (anti-affinity, 2.64).
    pub max_server_per_host: Option<i64>,
}

/// Where a group's members are, for the scheduler.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPlacement {
    pub policy: String,
    pub hosts: Vec<String>,
    pub max_server_per_host: i64,
}

fn not_found(id: &str) -> NovaError {
    NovaError::NotFound(format!("Instance group {id} could not be found."))
}

/// The live members of each of `groups`.
async fn members<C: ConnectionTrait>(
    db: &C,
    groups: &[String],
) -> Result<BTreeMap<String, Vec<String>>> {
    let rows = server_group_member::Entity::find()
        .filter(server_group_member::Column::GroupUuid.is_in(groups.iter().cloned()))
        .all(db)
        .await?;
    let alive: std::collections::BTreeSet<String> = instance::Entity::find()
        .filter(instance::Column::Uuid.is_in(rows.iter().map(|r| r.instance_uuid.clone())))
        .filter(instance::Column::Deleted.eq(false))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.uuid)
        .collect();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        if alive.contains(&row.instance_uuid) {
            out.entry(row.group_uuid)
                .or_default()
                .push(row.instance_uuid);
        }
    }
    Ok(out)
}

impl Nova {
    async fn with_members(&self, rows: Vec<server_group::Model>) -> Result<Vec<ServerGroup>> {
        let ids: Vec<String> = rows.iter().map(|r| r.uuid.clone()).collect();
        let mut members = members(&self.db, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|row| ServerGroup {
                members: members.remove(&row.uuid).unwrap_or_default(),
                row,
            })
            .collect())
    }

    /// The caller's project's groups (every project's with `all_projects`).
    pub async fn list_server_groups(
        &self,
        caller: &Caller,
        all_projects: bool,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<ServerGroup>> {
        let target = json!({"project_id": caller.project()});
        self.authorize(caller, "os_compute_api:os-server-groups:index", &target)?;
        let all = all_projects
            && self
                .authorize(
                    caller,
                    "os_compute_api:os-server-groups:index:all_projects",
                    &target,
                )
                .is_ok();
        let mut query = server_group::Entity::find().order_by_asc(server_group::Column::CreatedAt);
        if !all {
            query = query.filter(server_group::Column::ProjectId.eq(caller.project()));
        }
        let rows: Vec<_> = query
            .all(&self.db)
            .await?
            .into_iter()
            .skip(offset)
            .take(limit)
            .collect();
        self.with_members(rows).await
    }

    /// Group `id` as `caller` may see it.
    pub async fn server_group(&self, caller: &Caller, id: &str, rule: &str) -> Result<ServerGroup> {
        let row = server_group::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|g| caller.is_admin || g.project_id == caller.project())
            .ok_or_else(|| not_found(id))?;
        self.authorize(
            caller,
            rule,
            &json!({"project_id": row.project_id, "user_id": row.user_id}),
        )?;
        Ok(self.with_members(vec![row]).await?.remove(0))
    }

    /// Creates a group, within the `server_groups` quota.
    pub async fn create_server_group(
        &self,
        caller: &Caller,
        new: NewServerGroup,
    ) -> Result<ServerGroup> {
        let project = caller.project().to_string();
        self.authorize(
            caller,
            "os_compute_api:os-server-groups:create",
            &json!({"project_id": project, "user_id": caller.ctx.user_id}),
        )?;
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &project).await?;
        let limit = self.project_limits(&txn, &project).await?["server_groups"];
        if limit >= 0 {
            let count = server_group::Entity::find()
                .filter(server_group::Column::ProjectId.eq(project.as_str()))
                .count(&txn)
                .await?;
            if count as i64 >= limit {
                return Err(NovaError::OverQuota(
                    "Quota exceeded, too many server groups.".into(),
                ));
            }
        }
        let rules = match new.max_server_per_host {
            Some(max) => json!({"max_server_per_host": max}),
            None => json!({}),
        };
        let row = server_group::Model {
            uuid: uuid::Uuid::new_v4().to_string(),
            name: new.name,
            project_id: project,
            user_id: caller.ctx.user_id.clone(),
            policy: new.policy,
            rules: rules.to_string(),
            created_at: now(),
        };
        server_group::Entity::insert(server_group::ActiveModel::from(row.clone()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(ServerGroup {
            row,
            members: Vec::new(),
        })
    }

    /// Deletes a group (its servers stay).
    pub async fn delete_server_group(&self, caller: &Caller, id: &str) -> Result<()> {
        self.server_group(caller, id, "os_compute_api:os-server-groups:delete")
            .await?;
        server_group_member::Entity::delete_many()
            .filter(server_group_member::Column::GroupUuid.eq(id))
            .exec(&self.db)
            .await?;
        server_group::Entity::delete_by_id(id)
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The group a new server joins (`os:scheduler_hints` group): it must be
    /// the caller's, and have room for `count` more members.
    pub(crate) async fn group_for_boot<C: ConnectionTrait>(
        &self,
        txn: &C,
        caller: &Caller,
        id: &str,
        count: i64,
    ) -> Result<GroupPlacement> {
        let group = server_group::Entity::find_by_id(id)
            .one(txn)
            .await?
            .filter(|g| g.project_id == caller.project())
            .ok_or_else(|| NovaError::BadRequest(format!("Invalid server group {id}")))?;
        let members = members(txn, &[id.to_string()])
            .await?
            .remove(id)
            .unwrap_or_default();
        let limit = self.project_limits(txn, &group.project_id).await?["server_group_members"];
        if limit >= 0 && members.len() as i64 + count > limit {
            return Err(NovaError::OverQuota(
                "Quota exceeded, too many servers in group".into(),
            ));
        }
        let hosts = instance::Entity::find()
            .filter(instance::Column::Uuid.is_in(members))
            .all(txn)
            .await?
            .into_iter()
            .filter_map(|i| i.host)
            .collect();
        let rules: Value = serde_json::from_str(&group.rules).unwrap_or_else(|_| json!({}));
        Ok(GroupPlacement {
            policy: group.policy,
            hosts,
            max_server_per_host: rules["max_server_per_host"].as_i64().unwrap_or(1),
        })
    }

    /// Records new servers as members of group `id`.
    pub(crate) async fn add_group_members<C: ConnectionTrait>(
        txn: &C,
        id: &str,
        servers: &[String],
    ) -> Result<()> {
        if servers.is_empty() {
            return Ok(());
        }
        server_group_member::Entity::insert_many(servers.iter().map(|s| {
            server_group_member::ActiveModel {
                group_uuid: Set(id.to_string()),
                instance_uuid: Set(s.clone()),
            }
        }))
        .exec(txn)
        .await?;
        Ok(())
    }
}
