use std::collections::BTreeSet;

use sea_orm::sea_query::Condition;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{Error, Identity, Result};
use crate::db::entity::{assignment, group_member, project};

/// Who holds a role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Actor {
    User(String),
    Group(String),
}

/// Where a role is held.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    Project(String),
    Domain(String),
    System,
}

/// The stored id of the system target.
const SYSTEM_TARGET_ID: &str = "system";

impl Actor {
    fn columns(&self) -> (&'static str, &str) {
        match self {
            Actor::User(id) => ("user", id),
            Actor::Group(id) => ("group", id),
        }
    }
}

impl Target {
    fn columns(&self) -> (&'static str, &str) {
        match self {
            Target::Project(id) => ("project", id),
            Target::Domain(id) => ("domain", id),
            Target::System => ("system", SYSTEM_TARGET_ID),
        }
    }

    fn from_columns(kind: &str, id: String) -> Target {
        match kind {
            "project" => Target::Project(id),
            "domain" => Target::Domain(id),
            _ => Target::System,
        }
    }
}

/// One role assignment, possibly derived (`effective`): from a group membership,
/// from an inherited assignment on a parent, or implied by another role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AssignmentRow {
    pub actor: Actor,
    pub target: Target,
    pub role_id: String,
    pub inherited: bool,
    /// The group the user holds this through.
    pub via_group: Option<String>,
    /// The inherited assignment's own target.
    pub inherited_from: Option<Target>,
    /// The role that implied this one.
    pub prior_role: Option<String>,
}

/// Filters of `GET /v3/role_assignments`.
#[derive(Debug, Default)]
pub struct AssignmentFilter {
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    pub project_id: Option<String>,
    pub domain_id: Option<String>,
    pub system: bool,
    pub role_id: Option<String>,
    pub inherited: Option<bool>,
    pub effective: bool,
    pub include_subtree: bool,
}

impl Identity {
    async fn check_actor_and_target(&self, actor: &Actor, target: &Target) -> Result<()> {
        match actor {
            Actor::User(id) => drop(self.get_user(id).await?),
            Actor::Group(id) => drop(self.get_group(id).await?),
        }
        match target {
            Target::Project(id) => drop(self.get_project_row(id).await?),
            Target::Domain(id) => drop(self.get_domain(id).await?),
            Target::System => {}
        }
        Ok(())
    }

    /// `PUT .../roles/{role}`: idempotent.
    pub async fn create_grant(
        &self,
        actor: &Actor,
        target: &Target,
        role_id: &str,
        inherited: bool,
    ) -> Result<()> {
        self.check_actor_and_target(actor, target).await?;
        self.get_role(role_id).await?;
        if self
            .find_grant(actor, target, role_id, inherited)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let (actor_type, actor_id) = actor.columns();
        let (target_type, target_id) = target.columns();
        assignment::ActiveModel {
            actor_type: Set(actor_type.into()),
            actor_id: Set(actor_id.into()),
            target_type: Set(target_type.into()),
            target_id: Set(target_id.into()),
            role_id: Set(role_id.into()),
            inherited: Set(inherited),
        }
        .insert(&self.store.db)
        .await?;
        self.changed().await?;
        self.notify("created", "role_assignment", role_id);
        Ok(())
    }

    async fn find_grant(
        &self,
        actor: &Actor,
        target: &Target,
        role_id: &str,
        inherited: bool,
    ) -> Result<Option<assignment::Model>> {
        let (actor_type, actor_id) = actor.columns();
        let (target_type, target_id) = target.columns();
        Ok(assignment::Entity::find_by_id((
            actor_type.to_string(),
            actor_id.to_string(),
            target_type.to_string(),
            target_id.to_string(),
            role_id.to_string(),
            inherited,
        ))
        .one(&self.store.db)
        .await?)
    }

    /// `HEAD/GET .../roles/{role}`: 404 unless the exact grant exists.
    pub async fn check_grant(
        &self,
        actor: &Actor,
        target: &Target,
        role_id: &str,
        inherited: bool,
    ) -> Result<()> {
        self.check_actor_and_target(actor, target).await?;
        self.get_role(role_id).await?;
        match self.find_grant(actor, target, role_id, inherited).await? {
            Some(_) => Ok(()),
            None => Err(grant_not_found(role_id, actor, target)),
        }
    }

    pub async fn revoke_grant(
        &self,
        actor: &Actor,
        target: &Target,
        role_id: &str,
        inherited: bool,
    ) -> Result<()> {
        self.check_grant(actor, target, role_id, inherited).await?;
        let (actor_type, actor_id) = actor.columns();
        let (target_type, target_id) = target.columns();
        assignment::Entity::delete_by_id((
            actor_type.to_string(),
            actor_id.to_string(),
            target_type.to_string(),
            target_id.to_string(),
            role_id.to_string(),
            inherited,
        ))
        .exec(&self.store.db)
        .await?;
        self.changed().await?;
        self.notify("deleted", "role_assignment", role_id);
        Ok(())
    }

    /// The role ids granted directly to `actor` on `target`.
    pub async fn list_grants(
        &self,
        actor: &Actor,
        target: &Target,
        inherited: bool,
    ) -> Result<BTreeSet<String>> {
        self.check_actor_and_target(actor, target).await?;
        let (actor_type, actor_id) = actor.columns();
        let (target_type, target_id) = target.columns();
        Ok(assignment::Entity::find()
            .filter(assignment::Column::ActorType.eq(actor_type))
            .filter(assignment::Column::ActorId.eq(actor_id))
            .filter(assignment::Column::TargetType.eq(target_type))
            .filter(assignment::Column::TargetId.eq(target_id))
            .filter(assignment::Column::Inherited.eq(inherited))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|a| a.role_id)
            .collect())
    }

    /// The roles `user_id` effectively has on `target`: direct, through groups,
    /// inherited from the domain or parent projects, and implied.
    pub async fn effective_role_ids(
        &self,
        user_id: &str,
        target: &Target,
    ) -> Result<BTreeSet<String>> {
        let groups = self.group_ids_of_user(user_id).await?;
        let actors = Condition::any()
            .add(
                assignment::Column::ActorType
                    .eq("user")
                    .and(assignment::Column::ActorId.eq(user_id)),
            )
            .add(
                assignment::Column::ActorType
                    .eq("group")
                    .and(assignment::Column::ActorId.is_in(groups)),
            );
        let on = |kind: &str, ids: Vec<String>, inherited: bool| {
            Condition::all()
                .add(assignment::Column::TargetType.eq(kind))
                .add(assignment::Column::TargetId.is_in(ids))
                .add(assignment::Column::Inherited.eq(inherited))
        };
        let targets = match target {
            Target::Project(id) => {
                let project = self.get_project_row(id).await?;
                let ancestors = self.project_ancestors(&project).await?;
                Condition::any()
                    .add(on("project", vec![id.clone()], false))
                    .add(on("project", ancestors, true))
                    .add(on("domain", vec![project.domain_id.clone()], true))
            }
            Target::Domain(id) => Condition::any().add(on("domain", vec![id.clone()], false)),
            Target::System => Condition::any().add(assignment::Column::TargetType.eq("system")),
        };
        let direct: BTreeSet<String> = assignment::Entity::find()
            .filter(actors)
            .filter(targets)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|a| a.role_id)
            .collect();
        let mut roles = self.expand_implied(direct).await?;
        let domain_roles = self.domain_role_ids().await?;
        roles.retain(|r| !domain_roles.contains(r));
        Ok(roles)
    }

    /// `GET /v3/role_assignments`.
    pub async fn list_role_assignments(
        &self,
        filter: &AssignmentFilter,
    ) -> Result<Vec<AssignmentRow>> {
        if filter.effective && filter.group_id.is_some() {
            return Err(Error::invalid(
                "Combining effective and group filter will always result in an empty list.",
            ));
        }
        let mut rows: Vec<AssignmentRow> = assignment::Entity::find()
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|a| AssignmentRow {
                actor: if a.actor_type == "group" {
                    Actor::Group(a.actor_id)
                } else {
                    Actor::User(a.actor_id)
                },
                target: Target::from_columns(&a.target_type, a.target_id),
                role_id: a.role_id,
                inherited: a.inherited,
                via_group: None,
                inherited_from: None,
                prior_role: None,
            })
            .collect();
        if filter.effective {
            rows = self.expand_effective(rows).await?;
        }
        let mut scope_projects: Option<BTreeSet<String>> = None;
        if let Some(project_id) = &filter.project_id {
            let mut ids: BTreeSet<String> = [project_id.clone()].into();
            if filter.include_subtree {
                ids.extend(self.project_subtree(project_id).await?);
            }
            scope_projects = Some(ids);
        }
        rows.retain(|row| {
            let user_ok = filter
                .user_id
                .as_ref()
                .is_none_or(|u| row.actor == Actor::User(u.clone()));
            let group_ok = filter
                .group_id
                .as_ref()
                .is_none_or(|g| row.actor == Actor::Group(g.clone()));
            let role_ok = filter.role_id.as_ref().is_none_or(|r| row.role_id == *r);
            let project_ok = scope_projects
                .as_ref()
                .is_none_or(|ids| matches!(&row.target, Target::Project(p) if ids.contains(p)));
            let domain_ok = filter
                .domain_id
                .as_ref()
                .is_none_or(|d| row.target == Target::Domain(d.clone()));
            let system_ok = !filter.system || row.target == Target::System;
            let inherited_ok = filter.inherited.is_none_or(|i| row.inherited == i);
            user_ok && group_ok && role_ok && project_ok && domain_ok && system_ok && inherited_ok
        });
        rows.sort();
        rows.dedup();
        Ok(rows)
    }

    /// Replaces group assignments by one per member, inherited assignments by one
    /// per project below their target, adds implied roles, and leaves out
    /// domain-specific roles (only the global roles they imply count).
    async fn expand_effective(&self, rows: Vec<AssignmentRow>) -> Result<Vec<AssignmentRow>> {
        let mut by_user = Vec::new();
        for row in rows {
            match &row.actor {
                Actor::User(_) => by_user.push(row),
                Actor::Group(group_id) => {
                    let members = group_member::Entity::find()
                        .filter(group_member::Column::GroupId.eq(group_id.as_str()))
                        .all(&self.store.db)
                        .await?;
                    for member in members {
                        by_user.push(AssignmentRow {
                            actor: Actor::User(member.user_id),
                            via_group: Some(group_id.clone()),
                            ..row.clone()
                        });
                    }
                }
            }
        }
        let mut expanded = Vec::new();
        for row in by_user {
            if !row.inherited {
                expanded.push(row);
                continue;
            }
            let projects: Vec<String> = match &row.target {
                Target::Domain(domain_id) => project::Entity::find()
                    .filter(project::Column::DomainId.eq(domain_id.as_str()))
                    .all(&self.store.db)
                    .await?
                    .into_iter()
                    .map(|p| p.id)
                    .collect(),
                Target::Project(project_id) => self.project_subtree(project_id).await?,
                Target::System => Vec::new(),
            };
            for project_id in projects {
                expanded.push(AssignmentRow {
                    target: Target::Project(project_id),
                    inherited: false,
                    inherited_from: Some(row.target.clone()),
                    ..row.clone()
                });
            }
        }
        let rules = self.implied_rules().await?;
        let mut with_implied = expanded.clone();
        let mut frontier = expanded;
        while let Some(row) = frontier.pop() {
            for (prior, implied) in rules.iter() {
                if *prior == row.role_id {
                    let derived = AssignmentRow {
                        role_id: implied.clone(),
                        prior_role: Some(prior.clone()),
                        ..row.clone()
                    };
                    if !with_implied.iter().any(|r| {
                        r.role_id == derived.role_id
                            && r.actor == derived.actor
                            && r.target == derived.target
                    }) {
                        with_implied.push(derived.clone());
                        frontier.push(derived);
                    }
                }
            }
        }
        let domain_roles = self.domain_role_ids().await?;
        with_implied.retain(|row| !domain_roles.contains(&row.role_id));
        Ok(with_implied)
    }
}

fn grant_not_found(role_id: &str, actor: &Actor, target: &Target) -> Error {
    Error::NotFound {
        kind: "role assignment with role",
        id: format!(
            "{role_id}, user or group: {}, project, domain, or system: {}",
            actor.columns().1,
            target.columns().1
        ),
    }
}

impl Identity {
    /// Ids of every project where `user_id` has at least one effective role.
    pub async fn projects_with_roles(&self, user_id: &str) -> Result<BTreeSet<String>> {
        let groups = self.group_ids_of_user(user_id).await?;
        let rows = assignment::Entity::find()
            .filter(
                Condition::any()
                    .add(
                        assignment::Column::ActorType
                            .eq("user")
                            .and(assignment::Column::ActorId.eq(user_id)),
                    )
                    .add(
                        assignment::Column::ActorType
                            .eq("group")
                            .and(assignment::Column::ActorId.is_in(groups)),
                    ),
            )
            .all(&self.store.db)
            .await?;
        let mut projects = BTreeSet::new();
        for row in rows {
            match (row.target_type.as_str(), row.inherited) {
                ("project", false) => {
                    projects.insert(row.target_id);
                }
                ("project", true) => projects.extend(self.project_subtree(&row.target_id).await?),
                ("domain", true) => projects.extend(
                    project::Entity::find()
                        .filter(project::Column::DomainId.eq(row.target_id))
                        .all(&self.store.db)
                        .await?
                        .into_iter()
                        .map(|p| p.id),
                ),
                _ => {}
            }
        }
        Ok(projects)
    }
}
