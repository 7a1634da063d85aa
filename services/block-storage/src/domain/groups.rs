//! Generic volume groups (3.13+): volumes of the group's volume types kept
//! on one backend, so that they can be snapshotted together (group
//! snapshots) and copied together (a group made from a group or from a group
//! snapshot). The backend is chosen when the group is made, among those whose
//! capabilities suit every one of its volume types.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Func, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Select,
};

use super::paging::{self, Page, Pageable};
use super::volumes::CreateRequest;
use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::{group, group_snapshot, group_volume_type, snapshot, volume, volume_type};
use crate::rpc;

/// Statuses a volume may join a group in, and leave it in.
const JOINABLE: &[&str] = &["available", "in-use"];
const LEAVABLE: &[&str] = &["available", "in-use", "error", "error_deleting"];

/// A new group.
#[derive(Debug, Clone, Default)]
pub struct GroupCreate {
    pub name: Option<String>,
    pub description: Option<String>,
    /// An id or a name.
    pub group_type: String,
    /// Ids or names.
    pub volume_types: Vec<String>,
    pub availability_zone: Option<String>,
}

/// A group's own fields, before its backend is chosen.
struct NewGroup {
    name: Option<String>,
    description: Option<String>,
    group_type: String,
    zone: String,
    group_snapshot_id: Option<String>,
    source_group_id: Option<String>,
}

/// A group with the ids of its volume types.
#[derive(Debug, Clone)]
pub struct GroupView {
    pub group: group::Model,
    pub volume_types: Vec<String>,
}

impl Pageable for group::Entity {
    fn sort_column(key: &str) -> Option<group::Column> {
        Some(match key {
            "id" => group::Column::Id,
            "name" => group::Column::Name,
            "status" => group::Column::Status,
            "created_at" => group::Column::CreatedAt,
            "updated_at" => group::Column::UpdatedAt,
            "project_id" => group::Column::ProjectId,
            _ => return None,
        })
    }

    fn sort_expr(column: group::Column) -> SimpleExpr {
        let col = Expr::col((group::Entity, column));
        match column {
            group::Column::Name => Func::coalesce([col.into(), Expr::val("").into()]).into(),
            _ => col.into(),
        }
    }

    fn marker_value(row: &group::Model, column: group::Column) -> sea_orm::Value {
        match column {
            group::Column::Name => row.name.clone().unwrap_or_default().into(),
            group::Column::Status => row.status.clone().into(),
            group::Column::CreatedAt => row.created_at.into(),
            group::Column::UpdatedAt => row.updated_at.into(),
            group::Column::ProjectId => row.project_id.clone().into(),
            _ => row.id.clone().into(),
        }
    }

    fn id_of(row: &group::Model) -> String {
        row.id.clone()
    }

    fn marker_row(id: &str) -> Select<group::Entity> {
        group::Entity::find_by_id(id)
    }
}

pub(crate) fn group_not_found(id: &str) -> CinderError {
    CinderError::NotFound(format!("Group {id} could not be found."))
}

fn invalid_group(reason: impl std::fmt::Display) -> CinderError {
    CinderError::BadRequest(format!("Invalid group: {reason}"))
}

fn invalid_volume(reason: impl std::fmt::Display) -> CinderError {
    CinderError::BadRequest(format!("Invalid volume: {reason}"))
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

impl Cinder {
    /// The volume type ids of `groups`, by group.
    async fn types_of(&self, groups: &[String]) -> Result<HashMap<String, Vec<String>>> {
        let mut by_group: HashMap<String, Vec<String>> = HashMap::new();
        for row in group_volume_type::Entity::find()
            .filter(group_volume_type::Column::GroupId.is_in(groups.to_vec()))
            .order_by_asc(group_volume_type::Column::VolumeTypeId)
            .all(&self.db)
            .await?
        {
            by_group
                .entry(row.group_id)
                .or_default()
                .push(row.volume_type_id);
        }
        Ok(by_group)
    }

    /// The group `id` as `caller` may see it.
    pub(crate) async fn group_row(&self, caller: &Caller, id: &str) -> Result<group::Model> {
        let row = group::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| group_not_found(id))?;
        if !caller.is_admin && row.project_id != caller.project() {
            return Err(group_not_found(id));
        }
        self.authorize(caller, "group:get", row.project_id.as_str())?;
        Ok(row)
    }

    /// A group with its volume types.
    pub async fn show_group(&self, caller: &Caller, id: &str) -> Result<GroupView> {
        let group = self.group_row(caller, id).await?;
        let mut types = self.types_of(std::slice::from_ref(&group.id)).await?;
        Ok(GroupView {
            volume_types: types.remove(&group.id).unwrap_or_default(),
            group,
        })
    }

    /// A page of the caller's groups (every project's with `all_tenants` as
    /// admin).
    pub async fn list_groups(
        &self,
        caller: &Caller,
        pairs: &[(String, String)],
        all_tenants: bool,
    ) -> Result<(Vec<GroupView>, Option<String>)> {
        self.authorize(caller, "group:get_all", caller.project())?;
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let all = caller.is_admin && all_tenants;
        let mut query = group::Entity::find();
        if !all {
            query = query.filter(group::Column::ProjectId.eq(caller.project()));
        }
        let Page { rows, next_marker } =
            paging::page(&self.db, query, &get, self.cfg.max_limit).await?;
        let ids: Vec<String> = rows.iter().map(|g| g.id.clone()).collect();
        let mut types = self.types_of(&ids).await?;
        let views = rows
            .into_iter()
            .map(|group| GroupView {
                volume_types: types.remove(&group.id).unwrap_or_default(),
                group,
            })
            .collect();
        Ok((views, next_marker))
    }

    /// The backend for a group of `kinds`: one the scheduler knows is up,
    /// enabled, in `zone` and suiting every type; None when none does.
    async fn place_group(
        &self,
        caller: &Caller,
        kinds: &[volume_type::Model],
        zone: &str,
    ) -> Result<Option<String>> {
        let pools = match self
            .scheduler
            .call::<rpc::scheduler::GetPools>(&caller.rpc_context(), None, &())
            .await
        {
            Ok(reply) => reply.pools,
            Err(e) => {
                tracing::warn!("the scheduler did not answer: {e}");
                return Ok(None);
            }
        };
        let disabled = self.disabled_backends().await?;
        let suits = |c: &rpc::messages::Capabilities| {
            !disabled.contains(&c.host)
                && c.availability_zone == zone
                && kinds.iter().all(|k| {
                    let specs: HashMap<String, String> =
                        super::types::extra_specs(k).into_iter().collect();
                    crate::scheduler::satisfied(c, &specs)
                })
        };
        Ok(pools
            .iter()
            .filter(|c| suits(c))
            .max_by(|a, b| a.free_capacity_gb.total_cmp(&b.free_capacity_gb))
            .map(|c| c.host.clone()))
    }

    /// Stores a new group (available on its backend, or error without one).
    async fn insert_group(
        &self,
        caller: &Caller,
        new: NewGroup,
        kinds: &[volume_type::Model],
    ) -> Result<group::Model> {
        let zone = new.zone;
        let host = self.place_group(caller, kinds, &zone).await?;
        let at = now();
        let row = group::Model {
            id: uuid::Uuid::new_v4().to_string(),
            project_id: caller.project().to_string(),
            user_id: caller.ctx.user_id.clone(),
            name: new.name,
            description: new.description,
            status: if host.is_some() { "available" } else { "error" }.into(),
            availability_zone: zone,
            group_type_id: new.group_type,
            host,
            group_snapshot_id: new.group_snapshot_id,
            source_group_id: new.source_group_id,
            created_at: at,
            updated_at: at,
        };
        group::Entity::insert(group::ActiveModel::from(row.clone()))
            .exec(&self.db)
            .await?;
        for kind in kinds {
            group_volume_type::Entity::insert(group_volume_type::ActiveModel {
                group_id: Set(row.id.clone()),
                volume_type_id: Set(kind.id.clone()),
            })
            .exec(&self.db)
            .await?;
        }
        Ok(row)
    }

    /// Creates a group of a group type and volume types.
    pub async fn create_group(
        &self,
        caller: &Caller,
        request: GroupCreate,
    ) -> Result<group::Model> {
        self.authorize(caller, "group:create", caller.project())?;
        let kind = if uuid::Uuid::parse_str(&request.group_type).is_ok() {
            self.group_type(caller, &request.group_type).await?
        } else {
            self.group_type_by_name(caller, &request.group_type).await?
        };
        let mut kinds = Vec::new();
        for wanted in &request.volume_types {
            kinds.push(self.volume_type(caller, Some(wanted)).await?);
        }
        let zone = request
            .availability_zone
            .clone()
            .unwrap_or_else(|| self.cfg.default_zone.clone());
        if !self.availability_zones().await?.contains_key(&zone) {
            return Err(CinderError::BadRequest(format!(
                "Invalid input received: Availability zone '{zone}' is invalid."
            )));
        }
        let new = NewGroup {
            name: request.name.map(|n| n.trim().to_string()),
            description: request.description.map(|d| d.trim().to_string()),
            group_type: kind.id,
            zone,
            group_snapshot_id: None,
            source_group_id: None,
        };
        self.insert_group(caller, new, &kinds).await
    }

    /// A group type by name.
    async fn group_type_by_name(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<crate::db::entity::group_type::Model> {
        use crate::db::entity::group_type;
        match group_type::Entity::find()
            .filter(group_type::Column::Name.eq(name))
            .one(&self.db)
            .await?
        {
            Some(kind) if kind.is_public || caller.is_admin => Ok(kind),
            _ => Err(CinderError::NotFound(format!(
                "Group type with name {name} could not be found."
            ))),
        }
    }

    /// Creates a group like `source_group_id` with a copy of each of its
    /// volumes, or from `group_snapshot_id` with a volume from each snapshot.
    pub async fn create_group_from_source(
        &self,
        caller: &Caller,
        name: Option<String>,
        description: Option<String>,
        group_snapshot_id: Option<String>,
        source_group_id: Option<String>,
    ) -> Result<group::Model> {
        self.authorize(caller, "group:create", caller.project())?;
        let (source, copies): (GroupView, Vec<CreateRequest>) =
            match (&group_snapshot_id, &source_group_id) {
                (Some(id), None) => {
                    let snap = self.group_snapshot_row(caller, id).await?;
                    let source = self.show_group(caller, &snap.group_id).await?;
                    let members = snapshot::Entity::find()
                        .filter(snapshot::Column::GroupSnapshotId.eq(id.as_str()))
                        .all(&self.db)
                        .await?;
                    if members.is_empty() {
                        return Err(invalid_group("Group snapshot is empty. No group will be created."));
                    }
                    let copies = members
                        .into_iter()
                        .map(|s| CreateRequest {
                            snapshot_id: Some(s.id),
                            ..CreateRequest::default()
                        })
                        .collect();
                    (source, copies)
                }
                (None, Some(id)) => {
                    let source = self.show_group(caller, id).await?;
                    let members = self.group_volumes(id).await?;
                    if members.is_empty() {
                        return Err(invalid_group(
                            "Source Group is empty. No group will be created.",
                        ));
                    }
                    let copies = members
                        .into_iter()
                        .map(|v| CreateRequest {
                            source_volid: Some(v.id),
                            ..CreateRequest::default()
                        })
                        .collect();
                    (source, copies)
                }
                _ => {
                    return Err(CinderError::BadRequest(
                        "Invalid input received: Either 'group_snapshot_id' or 'source_group_id' must be provided to create group from source.".into(),
                    ))
                }
            };
        let mut kinds = Vec::new();
        for id in &source.volume_types {
            kinds.push(self.volume_type(caller, Some(id)).await?);
        }
        let new = NewGroup {
            name: name.map(|n| n.trim().to_string()),
            description: description.map(|d| d.trim().to_string()),
            group_type: source.group.group_type_id.clone(),
            zone: source.group.availability_zone.clone(),
            group_snapshot_id,
            source_group_id,
        };
        let made = self.insert_group(caller, new, &kinds).await?;
        for copy in copies {
            self.create_volume(
                caller,
                CreateRequest {
                    group_id: Some(made.id.clone()),
                    ..copy
                },
            )
            .await?;
        }
        Ok(made)
    }

    /// The volumes in group `id`.
    pub(crate) async fn group_volumes(&self, id: &str) -> Result<Vec<volume::Model>> {
        Ok(volume::Entity::find()
            .filter(volume::Column::GroupId.eq(id))
            .order_by_asc(volume::Column::CreatedAt)
            .all(&self.db)
            .await?)
    }

    /// The group a new volume of `kind` joins, checked: available, and of
    /// that volume type.
    pub(crate) async fn group_for_volume(
        &self,
        caller: &Caller,
        id: &str,
        kind: &volume_type::Model,
    ) -> Result<group::Model> {
        let view = self.show_group(caller, id).await?;
        if view.group.status != "available" {
            return Err(invalid_group(format!(
                "Group {id} status must be available, but current status is: {}.",
                view.group.status
            )));
        }
        if !view.volume_types.contains(&kind.id) {
            return Err(CinderError::BadRequest(format!(
                "Invalid input received: Invalid volume_type provided: {} requested volume type is not compatible with the group {id}.",
                kind.id
            )));
        }
        Ok(view.group)
    }

    /// Renames or describes a group, or moves volumes in or out of it.
    pub async fn update_group(
        &self,
        caller: &Caller,
        id: &str,
        name: Option<String>,
        description: Option<String>,
        add: Option<String>,
        remove: Option<String>,
    ) -> Result<()> {
        let view = self.show_group(caller, id).await?;
        let group = &view.group;
        self.authorize(caller, "group:update", group.project_id.as_str())?;
        let list = |text: &Option<String>| -> Vec<String> {
            text.as_deref()
                .map(|t| {
                    t.trim_matches(',')
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let (mut adding, removing) = (list(&add), list(&remove));
        let both: Vec<&String> = adding.iter().filter(|a| removing.contains(a)).collect();
        if !both.is_empty() {
            let quoted: Vec<String> = both.iter().map(|u| format!("'{u}'")).collect();
            return Err(invalid_volume(format!(
                "UUIDs [{}] are in both add and remove volume list.",
                quoted.join(", ")
            )));
        }
        let members = self.group_volumes(id).await?;
        adding.retain(|a| !members.iter().any(|m| &m.id == a));
        let mut to_remove = Vec::new();
        for volume_id in &removing {
            let Some(member) = members.iter().find(|m| &m.id == volume_id) else {
                return Err(invalid_volume(format!(
                    "Cannot remove volume {volume_id} from group {id} because it is not in the group."
                )));
            };
            if !LEAVABLE.contains(&member.status.as_str()) {
                return Err(invalid_volume(format!(
                    "Cannot remove volume {volume_id} from group {id} because volume is in an invalid state: {}. Valid states are: {LEAVABLE:?}.",
                    member.status
                )));
            }
            to_remove.push(volume_id.clone());
        }
        for volume_id in &adding {
            let found = volume::Entity::find_by_id(volume_id.as_str())
                .one(&self.db)
                .await?;
            let Some(found) = found else {
                return Err(invalid_volume(format!(
                    "Cannot add volume {volume_id} to group {id} because volume cannot be found."
                )));
            };
            let refuse = |why: String| {
                invalid_volume(format!("Cannot add volume {volume_id} to group {id} {why}"))
            };
            if let Some(other) = &found.group_id {
                return Err(refuse(format!("because it is already in group {other}.")));
            }
            if found.project_id != group.project_id {
                return Err(refuse("as they belong to different projects.".into()));
            }
            if !view.volume_types.contains(&found.volume_type_id) {
                return Err(refuse(format!(
                    "because volume type {} is not supported by the group.",
                    found.volume_type_id
                )));
            }
            if !JOINABLE.contains(&found.status.as_str()) {
                return Err(refuse(format!(
                    "because volume is in an invalid state: {}. Valid states are: {JOINABLE:?}.",
                    found.status
                )));
            }
            if found.host.is_none() || found.host != group.host {
                return Err(invalid_volume("Volume is not local to this node."));
            }
        }
        if name.is_none() && description.is_none() && adding.is_empty() && to_remove.is_empty() {
            return Err(invalid_group(format!(
                "Cannot update group {id} because no valid name, description, add_volumes, or remove_volumes were provided."
            )));
        }
        if (!adding.is_empty() || !to_remove.is_empty()) && group.status != "available" {
            return Err(invalid_group("Group status must be available."));
        }
        let mut active: group::ActiveModel = group.clone().into();
        if let Some(name) = name {
            active.name = Set(Some(name.trim().to_string()));
        }
        if let Some(description) = description {
            active.description = Set(Some(description.trim().to_string()));
        }
        active.status = Set("available".into());
        active.updated_at = Set(now());
        active.update(&self.db).await?;
        for (ids, joined) in [(adding, Some(id.to_string())), (to_remove, None)] {
            if ids.is_empty() {
                continue;
            }
            volume::Entity::update_many()
                .col_expr(volume::Column::GroupId, Expr::value(joined))
                .filter(volume::Column::Id.is_in(ids))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Deletes a group; with `delete_volumes`, its volumes too.
    pub async fn delete_group(
        &self,
        caller: &Caller,
        id: &str,
        delete_volumes: bool,
    ) -> Result<()> {
        let group = self.group_row(caller, id).await?;
        self.authorize(caller, "group:delete", group.project_id.as_str())?;
        self.assert_not_frozen(group.host.as_deref()).await?;
        if !delete_volumes && !matches!(group.status.as_str(), "available" | "error") {
            return Err(invalid_group(format!(
                "Group status must be available or error, but current status is: {}",
                group.status
            )));
        }
        let has_snapshots = group_snapshot::Entity::find()
            .filter(group_snapshot::Column::GroupId.eq(id))
            .one(&self.db)
            .await?
            .is_some();
        if has_snapshots {
            return Err(invalid_group("Group has existing snapshots."));
        }
        let members = self.group_volumes(id).await?;
        if !members.is_empty() && !delete_volumes {
            return Err(invalid_group(format!(
                "Group {id} still contains volumes. The delete-volumes flag is required to delete it."
            )));
        }
        for member in &members {
            if member.status == "in-use" {
                return Err(invalid_group(format!(
                    "Volume in group {id} is attached. Need to detach first."
                )));
            }
            if matches!(member.status.as_str(), "backing-up" | "restoring-backup") {
                return Err(invalid_group(format!(
                    "Volume {} in group {id} is {}; delete the group when it is done.",
                    member.id, member.status
                )));
            }
            if !self.snapshots_of(&member.id).await?.is_empty() {
                return Err(invalid_group(
                    "Volume in group still has dependent snapshots.",
                ));
            }
        }
        for member in &members {
            self.set_status(&member.id, "deleting").await?;
            self.finish_delete(&caller.rpc_context(), member).await?;
        }
        group_volume_type::Entity::delete_many()
            .filter(group_volume_type::Column::GroupId.eq(id))
            .exec(&self.db)
            .await?;
        group::Entity::delete_by_id(id).exec(&self.db).await?;
        Ok(())
    }

    /// Sets a group's status (admin).
    pub async fn reset_group_status(&self, caller: &Caller, id: &str, status: &str) -> Result<()> {
        let group = self.group_row(caller, id).await?;
        self.authorize(caller, "group:reset_status", group.project_id.as_str())?;
        const STATUSES: &[&str] = &[
            "creating",
            "available",
            "deleting",
            "error",
            "error_deleting",
            "updating",
            "in-use",
        ];
        if !STATUSES.contains(&status) {
            return Err(CinderError::BadRequest(format!(
                "Invalid input received: Group status: {status}, Valid status are: {}.",
                STATUSES.join(", ")
            )));
        }
        let mut active: group::ActiveModel = group.into();
        active.status = Set(status.to_string());
        active.updated_at = Set(now());
        active.update(&self.db).await?;
        Ok(())
    }
}
