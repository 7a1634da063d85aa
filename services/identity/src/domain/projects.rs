use std::collections::BTreeSet;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set, TransactionTrait,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{new_id, validate, Error, Extra, Identity, Result};
use crate::db::entity::{assignment, project, project_tag};

/// Keystone's limit on tags per project.
const MAX_TAGS: usize = 80;

/// Fields of a project create or update request.
#[derive(Debug, Default, Deserialize)]
pub struct ProjectInput {
    pub id: Option<String>,
    pub name: Option<String>,
    pub domain_id: Option<String>,
    pub parent_id: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub is_domain: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub options: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// List filters for projects (`GET /v3/projects`).
#[derive(Debug, Default)]
pub struct ProjectFilter {
    pub name: Option<String>,
    pub domain_id: Option<String>,
    pub parent_id: Option<String>,
    pub enabled: Option<bool>,
    pub is_domain: Option<bool>,
    pub ids: Option<BTreeSet<String>>,
    pub tags: Vec<String>,
    pub tags_any: Vec<String>,
    pub not_tags: Vec<String>,
    pub not_tags_any: Vec<String>,
}

/// A project row with its tags.
#[derive(Debug, Clone)]
pub struct ProjectView {
    pub row: project::Model,
    pub tags: Vec<String>,
    /// A domain shown as the project acting as it (`is_domain`), as
    /// Keystone shows every domain.
    pub is_domain: bool,
}

impl ProjectView {
    /// Domain `d` as the project acting as it.
    pub fn of_domain(d: crate::db::entity::domain::Model) -> Self {
        ProjectView {
            row: project::Model {
                id: d.id,
                name: d.name,
                domain_id: String::new(),
                parent_id: None,
                description: d.description,
                enabled: d.enabled,
                extra: d.extra,
            },
            tags: Vec::new(),
            is_domain: true,
        }
    }
}

impl Identity {
    pub async fn create_project(&self, input: ProjectInput) -> Result<ProjectView> {
        let name = input.name.ok_or_else(|| validate::required("name"))?;
        validate::name("name", &name, 64)?;
        if input.is_domain == Some(true) {
            if input.parent_id.is_some() {
                return Err(Error::invalid(
                    "only root projects are allowed to act as domains.",
                ));
            }
            let created = self
                .create_domain(super::DomainInput {
                    id: input.id,
                    name: Some(name),
                    description: input.description,
                    enabled: input.enabled,
                    extra: input.extra,
                })
                .await?;
            return Ok(ProjectView::of_domain(created));
        }
        let tags = input.tags.unwrap_or_default();
        check_tags(&tags)?;
        let mut domain_id = input
            .domain_id
            .unwrap_or_else(|| self.cfg.default_domain_id.clone());
        let mut parent_id = input.parent_id.filter(|p| *p != domain_id);
        if let Some(parent) = &parent_id {
            match self.get_project_row(parent).await {
                Ok(parent_row) => domain_id = parent_row.domain_id,
                Err(Error::NotFound { .. }) => {
                    // A parent_id naming the domain itself means "top level".
                    if self.get_domain(parent).await.is_ok() {
                        domain_id = parent.clone();
                        parent_id = None;
                    } else {
                        return Err(Error::not_found("project", parent.clone()));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        self.get_domain(&domain_id)
            .await
            .map_err(|_| Error::invalid(format!("Could not find domain: {domain_id}.")))?;
        let mut extra = Extra::default();
        extra.merge(input.extra);
        let id = input.id.unwrap_or_else(new_id);
        let txn = self.store.db.begin().await?;
        let row = project::ActiveModel {
            id: Set(id.clone()),
            name: Set(name.clone()),
            domain_id: Set(domain_id.clone()),
            parent_id: Set(parent_id),
            description: Set(input.description),
            enabled: Set(input.enabled.unwrap_or(true)),
            extra: Set(extra.to_column()),
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            Error::from_write("project", || {
                format!("Duplicate entry found with name {name} at domain ID {domain_id}.")
            })(e.into())
        })?;
        insert_tags(&txn, &id, &tags).await?;
        txn.commit().await?;
        self.changed().await?;
        self.notify("created", "project", &id);
        Ok(ProjectView {
            row,
            tags,
            is_domain: false,
        })
    }

    pub(crate) async fn get_project_row(&self, id: &str) -> Result<project::Model> {
        Ok(self.directory().await?.project(id)?.row.clone())
    }

    pub async fn get_project(&self, id: &str) -> Result<ProjectView> {
        Ok(self.directory().await?.project(id)?.clone())
    }

    /// Project `id`, or the domain `id` as the project acting as it (what
    /// `/v3/projects/{id}` shows).
    pub async fn project_or_domain(&self, id: &str) -> Result<ProjectView> {
        match self.get_project(id).await {
            Err(Error::NotFound { .. }) => match self.get_domain(id).await {
                Ok(domain) => Ok(ProjectView::of_domain(domain)),
                Err(_) => Err(Error::not_found("project", id)),
            },
            other => other,
        }
    }

    pub async fn find_project_by_name(
        &self,
        name: &str,
        domain_id: &str,
    ) -> Result<project::Model> {
        Ok(self
            .directory()
            .await?
            .project_by_name(name, domain_id)?
            .row
            .clone())
    }

    pub async fn project_tags(&self, id: &str) -> Result<Vec<String>> {
        Ok(self.directory().await?.project(id)?.tags.clone())
    }

    pub async fn list_projects(&self, filter: &ProjectFilter) -> Result<Vec<ProjectView>> {
        if filter.is_domain == Some(true) {
            return Ok(self
                .list_domains(filter.name.as_deref(), filter.enabled)
                .await?
                .into_iter()
                .map(ProjectView::of_domain)
                .collect());
        }
        let directory = self.directory().await?;
        let parent_matches = |row: &project::Model, parent: &str| {
            row.parent_id.as_deref() == Some(parent)
                || (row.parent_id.is_none() && row.domain_id == parent)
        };
        Ok(directory
            .projects()
            .iter()
            .filter(|p| filter.name.as_ref().is_none_or(|n| *n == p.row.name))
            .filter(|p| {
                filter
                    .domain_id
                    .as_ref()
                    .is_none_or(|d| *d == p.row.domain_id)
            })
            .filter(|p| {
                filter
                    .parent_id
                    .as_ref()
                    .is_none_or(|id| parent_matches(&p.row, id))
            })
            .filter(|p| filter.enabled.is_none_or(|e| e == p.row.enabled))
            .filter(|p| {
                filter
                    .ids
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&p.row.id))
            })
            .filter(|p| tag_filter_matches(filter, &p.tags))
            .cloned()
            .collect())
    }

    pub async fn update_project(&self, id: &str, input: ProjectInput) -> Result<ProjectView> {
        if self.get_project_row(id).await.is_err() && self.get_domain(id).await.is_ok() {
            if input.is_domain == Some(false) {
                return Err(Error::invalid("Update of `is_domain` is not allowed."));
            }
            let updated = self
                .update_domain(
                    id,
                    super::DomainInput {
                        id: input.id,
                        name: input.name,
                        description: input.description,
                        enabled: input.enabled,
                        extra: input.extra,
                    },
                )
                .await?;
            return Ok(ProjectView::of_domain(updated));
        }
        if input.is_domain == Some(true) {
            return Err(Error::invalid("Update of `is_domain` is not allowed."));
        }
        let current = self.get_project_row(id).await?;
        if input
            .domain_id
            .as_deref()
            .is_some_and(|d| d != current.domain_id)
        {
            return Err(Error::invalid("Update of `domain_id` is not allowed."));
        }
        if input.parent_id.is_some() {
            return Err(Error::Forbidden(
                "Update of `parent_id` is not allowed.".into(),
            ));
        }
        if input.is_domain == Some(true) {
            return Err(Error::invalid("Update of `is_domain` is not allowed."));
        }
        let domain_id = current.domain_id.clone();
        let mut extra = Extra::parse(&current.extra);
        let mut row = current.into_active_model();
        if let Some(name) = input.name {
            validate::name("name", &name, 64)?;
            row.name = Set(name);
        }
        if input.description.is_some() {
            row.description = Set(input.description);
        }
        if let Some(enabled) = input.enabled {
            row.enabled = Set(enabled);
        }
        extra.merge(input.extra);
        row.extra = Set(extra.to_column());
        let name = row.name.clone().unwrap();
        let txn = self.store.db.begin().await?;
        let row = row.update(&txn).await.map_err(|e| {
            Error::from_write("project", || {
                format!("Duplicate entry found with name {name} at domain ID {domain_id}.")
            })(e.into())
        })?;
        let tags = match input.tags {
            Some(tags) => {
                check_tags(&tags)?;
                project_tag::Entity::delete_many()
                    .filter(project_tag::Column::ProjectId.eq(id))
                    .exec(&txn)
                    .await?;
                insert_tags(&txn, id, &tags).await?;
                tags
            }
            None => Vec::new(),
        };
        txn.commit().await?;
        self.changed().await?;
        self.notify("updated", "project", id);
        let tags = if tags.is_empty() {
            self.project_tags(id).await?
        } else {
            tags
        };
        Ok(ProjectView {
            row,
            tags,
            is_domain: false,
        })
    }

    /// Deletes a leaf project and its role assignments.
    pub async fn delete_project(&self, id: &str) -> Result<()> {
        if self.get_project_row(id).await.is_err() {
            if let Ok(domain) = self.get_domain(id).await {
                if domain.enabled {
                    return Err(Error::invalid(format!(
                        "cannot delete an enabled project acting as a domain. Please disable the project {id} first."
                    )));
                }
                return self.delete_domain(id).await;
            }
        }
        self.get_project_row(id).await?;
        let has_children = project::Entity::find()
            .filter(project::Column::ParentId.eq(id))
            .one(&self.store.db)
            .await?
            .is_some();
        if has_children {
            return Err(Error::Forbidden(format!(
                "Cannot delete the project {id} since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree."
            )));
        }
        let txn = self.store.db.begin().await?;
        assignment::Entity::delete_many()
            .filter(assignment::Column::TargetType.eq("project"))
            .filter(assignment::Column::TargetId.eq(id))
            .exec(&txn)
            .await?;
        Identity::forget_endpoint_filter(&txn, Some(id), None).await?;
        Identity::forget_project_trusts(&txn, id).await?;
        Identity::forget_limits(&txn, id).await?;
        project::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        self.changed().await?;
        self.notify("deleted", "project", id);
        Ok(())
    }

    /// Replaces a project's tags.
    pub async fn set_project_tags(&self, id: &str, tags: Vec<String>) -> Result<Vec<String>> {
        self.get_project_row(id).await?;
        check_tags(&tags)?;
        let txn = self.store.db.begin().await?;
        project_tag::Entity::delete_many()
            .filter(project_tag::Column::ProjectId.eq(id))
            .exec(&txn)
            .await?;
        insert_tags(&txn, id, &tags).await?;
        txn.commit().await?;
        self.changed().await?;
        self.notify("updated", "project", id);
        self.project_tags(id).await
    }

    /// Adds one tag (idempotent).
    pub async fn add_project_tag(&self, id: &str, tag: &str) -> Result<()> {
        let mut tags = self.get_project(id).await?.tags;
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_string());
            self.set_project_tags(id, tags).await?;
        }
        Ok(())
    }

    pub async fn remove_project_tag(&self, id: &str, tag: &str) -> Result<()> {
        let tags = self.get_project(id).await?.tags;
        if !tags.iter().any(|t| t == tag) {
            return Err(Error::not_found("project tag", tag));
        }
        self.set_project_tags(id, tags.into_iter().filter(|t| t != tag).collect())
            .await?;
        Ok(())
    }

    /// The ids of a project's ancestors, nearest first.
    pub(crate) async fn project_ancestors(&self, project: &project::Model) -> Result<Vec<String>> {
        let mut ancestors = Vec::new();
        let mut next = project.parent_id.clone();
        while let Some(parent) = next {
            if ancestors.contains(&parent) || ancestors.len() > 64 {
                break;
            }
            let row = self.get_project_row(&parent).await?;
            ancestors.push(parent);
            next = row.parent_id;
        }
        Ok(ancestors)
    }

    /// The ids of every project below `id`.
    pub(crate) async fn project_subtree(&self, id: &str) -> Result<Vec<String>> {
        let mut found = Vec::new();
        let mut frontier = vec![id.to_string()];
        while !frontier.is_empty() && found.len() < 10_000 {
            let children: Vec<String> = project::Entity::find()
                .filter(project::Column::ParentId.is_in(frontier.clone()))
                .all(&self.store.db)
                .await?
                .into_iter()
                .map(|p| p.id)
                .collect();
            found.extend(children.iter().cloned());
            frontier = children;
        }
        Ok(found)
    }
}

fn check_tags(tags: &[String]) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(format!(
            "Invalid input for field 'tags': a project can have at most {MAX_TAGS} tags"
        )));
    }
    tags.iter().try_for_each(|t| validate::tag(t))
}

async fn insert_tags(
    db: &impl sea_orm::ConnectionTrait,
    project_id: &str,
    tags: &[String],
) -> Result<()> {
    let unique: BTreeSet<&String> = tags.iter().collect();
    if unique.is_empty() {
        return Ok(());
    }
    project_tag::Entity::insert_many(unique.into_iter().map(|tag| project_tag::ActiveModel {
        project_id: Set(project_id.to_string()),
        name: Set(tag.clone()),
    }))
    .exec(db)
    .await?;
    Ok(())
}

fn tag_filter_matches(filter: &ProjectFilter, tags: &[String]) -> bool {
    let has = |t: &String| tags.contains(t);
    (filter.tags.is_empty() || filter.tags.iter().all(has))
        && (filter.tags_any.is_empty() || filter.tags_any.iter().any(has))
        && (filter.not_tags.is_empty() || !filter.not_tags.iter().all(has))
        && (filter.not_tags_any.is_empty() || !filter.not_tags_any.iter().any(has))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_filters_follow_keystone_semantics() {
        let tags = vec!["a".to_string(), "b".to_string()];
        let f = |tags: &[&str], any: &[&str], not: &[&str], not_any: &[&str]| ProjectFilter {
            tags: tags.iter().map(|s| s.to_string()).collect(),
            tags_any: any.iter().map(|s| s.to_string()).collect(),
            not_tags: not.iter().map(|s| s.to_string()).collect(),
            not_tags_any: not_any.iter().map(|s| s.to_string()).collect(),
            ..ProjectFilter::default()
        };
        assert!(tag_filter_matches(&f(&["a", "b"], &[], &[], &[]), &tags));
        assert!(!tag_filter_matches(&f(&["a", "c"], &[], &[], &[]), &tags));
        assert!(tag_filter_matches(&f(&[], &["c", "b"], &[], &[]), &tags));
        assert!(!tag_filter_matches(&f(&[], &[], &["a", "b"], &[]), &tags));
        assert!(tag_filter_matches(&f(&[], &[], &["a", "c"], &[]), &tags));
        assert!(!tag_filter_matches(&f(&[], &[], &[], &["c", "a"]), &tags));
    }
}
