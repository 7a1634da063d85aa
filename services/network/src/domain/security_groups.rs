//! Security groups: each project's `default` group (made on the first call
//! that needs it, once — its key in `default_security_groups` decides between
//! concurrent calls) with Neutron's four rules, other groups with the two
//! egress rules, and their updates and deletes with Neutron's refusals.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::{json, Value};

use super::rules::{self, NewRule};
use super::{new_id, now, Caller, Neutron, NeutronError, Result};
use crate::db::entity::{
    default_security_group as default_row, port_security_group, security_group,
    security_group_rule as rule,
};

/// The resource type tags name security groups by.
pub const KIND: &str = "security_groups";

/// A group with its rules and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub row: security_group::Model,
    pub rules: Vec<rule::Model>,
    pub tags: Vec<String>,
    /// Whether it is its project's `default` group.
    pub is_default: bool,
}

/// What a create asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewGroup {
    pub project_id: Option<String>,
    pub name: String,
    pub description: String,
    pub stateful: bool,
}

/// What an update asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub stateful: Option<bool>,
}

pub(crate) fn group_not_found(id: &str) -> NeutronError {
    NeutronError::not_found(
        "SecurityGroupNotFound",
        format!("Security group {id} does not exist"),
    )
}

fn policy_target(row: &security_group::Model) -> Value {
    json!({
        "project_id": row.project_id,
        "tenant_id": row.project_id,
        "security_group:tenant_id": row.project_id,
    })
}

/// The rules every group starts with: egress anywhere, and for the default
/// group ingress from its own members too.
fn starting_rules(group_id: &str, default: bool) -> Vec<NewRule> {
    let mut directions = vec![("egress", None)];
    if default {
        directions.push(("ingress", Some(group_id.to_string())));
    }
    directions
        .into_iter()
        .flat_map(|(direction, remote)| {
            ["IPv4", "IPv6"].map(|ethertype| NewRule {
                security_group_id: group_id.to_string(),
                direction: direction.into(),
                ethertype: Some(ethertype.into()),
                remote_group_id: remote.clone(),
                ..NewRule::default()
            })
        })
        .collect()
}

/// Bumps the revision of a group whose rules changed.
pub(crate) async fn touch<C: sea_orm::ConnectionTrait>(db: &C, id: &str) -> Result<()> {
    security_group::Entity::update_many()
        .col_expr(
            security_group::Column::RevisionNumber,
            Expr::col(security_group::Column::RevisionNumber).add(1),
        )
        .col_expr(security_group::Column::UpdatedAt, Expr::value(now()))
        .filter(security_group::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

impl Neutron {
    /// Makes `project`'s default group when it has none (for the caller's
    /// own project, or any for an admin).
    pub async fn ensure_default_security_group(
        &self,
        caller: &Caller,
        project: &str,
    ) -> Result<()> {
        if project.is_empty() || (project != caller.project() && !caller.is_admin) {
            return Ok(());
        }
        if default_row::Entity::find_by_id(project)
            .one(&self.db)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let txn = self.db.begin().await?;
        let group = self
            .insert_group(
                &txn,
                project,
                "default",
                "Default security group",
                true,
                true,
            )
            .await?;
        let claimed = default_row::ActiveModel {
            project_id: Set(project.to_string()),
            security_group_id: Set(group.id),
        }
        .insert(&txn)
        .await;
        match claimed.map_err(ferrostack_db::DbError::from) {
            Ok(_) => txn.commit().await?,
            // Another call made it meanwhile: ours goes.
            Err(ferrostack_db::DbError::Duplicate(_)) => txn.rollback().await?,
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    async fn insert_group<C: sea_orm::ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        project: &str,
        name: &str,
        description: &str,
        stateful: bool,
        default: bool,
    ) -> Result<security_group::Model> {
        let at = now();
        let row = security_group::ActiveModel {
            id: Set(new_id()),
            project_id: Set(project.to_string()),
            name: Set(name.to_string()),
            description: Set(description.to_string()),
            revision_number: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            stateful: Set(stateful),
        }
        .insert(db)
        .await?;
        for new in starting_rules(&row.id, default) {
            let checked = rules::check(&new)?;
            rules::insert(db, project, &row.id, &new, checked).await?;
        }
        Ok(row)
    }

    /// The group `id` if the caller may see it.
    pub async fn group_row(&self, caller: &Caller, id: &str) -> Result<security_group::Model> {
        let row = security_group::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| group_not_found(id))?;
        if !self.allowed(caller, "get_security_group", &policy_target(&row)) {
            return Err(group_not_found(id));
        }
        Ok(row)
    }

    async fn group_records(&self, rows: Vec<security_group::Model>) -> Result<Vec<GroupRecord>> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut tags = super::tags::of(&self.db, KIND, &ids).await?;
        let mut rules: HashMap<String, Vec<rule::Model>> = HashMap::new();
        let mut defaults = std::collections::HashSet::new();
        for chunk in ids.chunks(500) {
            for r in rule::Entity::find()
                .filter(rule::Column::SecurityGroupId.is_in(chunk.iter().cloned()))
                .order_by_asc(rule::Column::Id)
                .all(&self.db)
                .await?
            {
                rules
                    .entry(r.security_group_id.clone())
                    .or_default()
                    .push(r);
            }
            for d in default_row::Entity::find()
                .filter(default_row::Column::SecurityGroupId.is_in(chunk.iter().cloned()))
                .all(&self.db)
                .await?
            {
                defaults.insert(d.security_group_id);
            }
        }
        Ok(rows
            .into_iter()
            .map(|row| GroupRecord {
                rules: rules.remove(&row.id).unwrap_or_default(),
                tags: tags.remove(&row.id).unwrap_or_default(),
                is_default: defaults.contains(&row.id),
                row,
            })
            .collect())
    }

    /// The ids of the groups that are their project's default.
    pub async fn default_group_ids(&self) -> Result<std::collections::HashSet<String>> {
        Ok(default_row::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| d.security_group_id)
            .collect())
    }

    /// `POST /v2.0/security-groups`.
    pub async fn create_group(&self, caller: &Caller, new: NewGroup) -> Result<GroupRecord> {
        if new.name.eq_ignore_ascii_case("default") {
            return Err(NeutronError::conflict(
                "SecurityGroupDefaultAlreadyExists",
                "Default security group already exists.",
            ));
        }
        let project = new
            .project_id
            .clone()
            .unwrap_or_else(|| caller.project().to_string());
        let target = json!({"project_id": project, "tenant_id": project});
        self.authorize(caller, "create_security_group", &target)?;
        self.ensure_default_security_group(caller, &project).await?;
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &project).await?;
        super::quotas::check(&txn, self, &project, "security_group", 1).await?;
        super::quotas::check(&txn, self, &project, "security_group_rule", 2).await?;
        let row = self
            .insert_group(
                &txn,
                &project,
                &new.name,
                &new.description,
                new.stateful,
                false,
            )
            .await?;
        txn.commit().await?;
        Ok(self.group_records(vec![row]).await?.remove(0))
    }

    /// `GET /v2.0/security-groups`: the caller's project's (its default made
    /// first), or every group for an admin.
    pub async fn list_groups(
        &self,
        caller: &Caller,
        projects: &[String],
    ) -> Result<Vec<GroupRecord>> {
        if projects.is_empty() {
            self.ensure_default_security_group(caller, caller.project())
                .await?;
        }
        for project in projects {
            self.ensure_default_security_group(caller, project).await?;
        }
        let mut query = security_group::Entity::find();
        if !caller.is_admin {
            query = query.filter(security_group::Column::ProjectId.eq(caller.project()));
        }
        let rows = query
            .order_by_asc(security_group::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|row| self.allowed(caller, "get_security_group", &policy_target(row)))
            .collect();
        self.group_records(rows).await
    }

    /// `GET /v2.0/security-groups/{id}`.
    pub async fn show_group(&self, caller: &Caller, id: &str) -> Result<GroupRecord> {
        let row = self.group_row(caller, id).await?;
        Ok(self.group_records(vec![row]).await?.remove(0))
    }

    /// `PUT /v2.0/security-groups/{id}`.
    pub async fn update_group(
        &self,
        caller: &Caller,
        id: &str,
        update: GroupUpdate,
        revision: Option<i64>,
    ) -> Result<GroupRecord> {
        let row = self.group_row(caller, id).await?;
        self.authorize(caller, "update_security_group", &policy_target(&row))?;
        super::networks::check_revision(row.revision_number, revision)?;
        let is_default = self.default_group_ids().await?.contains(id);
        if let Some(name) = &update.name {
            if is_default && name != &row.name {
                return Err(NeutronError::conflict(
                    "SecurityGroupCannotUpdateDefault",
                    "Updating default security group not allowed.",
                ));
            }
            if !is_default && name.eq_ignore_ascii_case("default") {
                return Err(NeutronError::conflict(
                    "SecurityGroupDefaultAlreadyExists",
                    "Default security group already exists.",
                ));
            }
        }
        if update.stateful.is_some_and(|s| s != row.stateful) && self.group_in_use(id).await? {
            return Err(in_use(id));
        }
        let mut active: security_group::ActiveModel = row.clone().into();
        if let Some(v) = update.name {
            active.name = Set(v);
        }
        if let Some(v) = update.description {
            active.description = Set(v);
        }
        if let Some(v) = update.stateful {
            active.stateful = Set(v);
        }
        active.revision_number = Set(row.revision_number + 1);
        active.updated_at = Set(now());
        let row = active.update(&self.db).await?;
        Ok(self.group_records(vec![row]).await?.remove(0))
    }

    async fn group_in_use(&self, id: &str) -> Result<bool> {
        Ok(port_security_group::Entity::find()
            .filter(port_security_group::Column::SecurityGroupId.eq(id))
            .one(&self.db)
            .await?
            .is_some())
    }

    /// `DELETE /v2.0/security-groups/{id}`.
    pub async fn delete_group(
        &self,
        caller: &Caller,
        id: &str,
        revision: Option<i64>,
    ) -> Result<()> {
        let row = self.group_row(caller, id).await?;
        self.authorize(caller, "delete_security_group", &policy_target(&row))?;
        super::networks::check_revision(row.revision_number, revision)?;
        if self.default_group_ids().await?.contains(id) && !caller.is_admin {
            return Err(NeutronError::conflict(
                "SecurityGroupCannotRemoveDefault",
                "Insufficient rights for removing default security group.",
            ));
        }
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &row.project_id).await?;
        let bound = port_security_group::Entity::find()
            .filter(port_security_group::Column::SecurityGroupId.eq(id))
            .one(&txn)
            .await?;
        if bound.is_some() {
            return Err(in_use(id));
        }
        rule::Entity::delete_many()
            .filter(rule::Column::SecurityGroupId.eq(id))
            .exec(&txn)
            .await?;
        default_row::Entity::delete_many()
            .filter(default_row::Column::SecurityGroupId.eq(id))
            .exec(&txn)
            .await?;
        super::tags::clear(&txn, KIND, id).await?;
        security_group::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        Ok(())
    }
}

fn in_use(id: &str) -> NeutronError {
    NeutronError::conflict("SecurityGroupInUse", format!("Security Group {id} in use."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_groups_start_with_four_rules_others_with_two() {
        let default = starting_rules("g", true);
        assert_eq!(default.len(), 4);
        assert!(default
            .iter()
            .filter(|r| r.direction == "ingress")
            .all(|r| r.remote_group_id.as_deref() == Some("g")));
        let other = starting_rules("h", false);
        assert_eq!(other.len(), 2);
        assert!(other
            .iter()
            .all(|r| r.direction == "egress" && r.remote_group_id.is_none()));
    }
}
