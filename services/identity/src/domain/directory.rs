//! Every domain and project (with tags) in memory, read once per cache generation:
//! token scoping, validation and project listing read it instead of the database.
//! Any write here, or seen by the revision poll, starts a new generation.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{EntityTrait, QueryOrder};

use super::{Error, Identity, ProjectView, Result};
use crate::db::entity::{domain, project, project_tag};

/// Domains and projects by id and by name.
#[derive(Debug, Default)]
pub struct Directory {
    domains: HashMap<String, domain::Model>,
    domain_by_name: HashMap<String, String>,
    /// Sorted by name, as listings return them.
    projects: Vec<ProjectView>,
    project_by_id: HashMap<String, usize>,
    project_by_name: HashMap<(String, String), usize>,
}

impl Directory {
    fn new(
        domains: Vec<domain::Model>,
        projects: Vec<project::Model>,
        tags: Vec<project_tag::Model>,
    ) -> Self {
        let mut tags_by_project: HashMap<String, Vec<String>> = HashMap::new();
        for tag in tags {
            tags_by_project
                .entry(tag.project_id)
                .or_default()
                .push(tag.name);
        }
        let projects: Vec<ProjectView> = projects
            .into_iter()
            .map(|row| {
                let mut tags = tags_by_project.remove(&row.id).unwrap_or_default();
                tags.sort();
                ProjectView {
                    row,
                    tags,
                    is_domain: false,
                }
            })
            .collect();
        Directory {
            domain_by_name: domains
                .iter()
                .map(|d| (d.name.clone(), d.id.clone()))
                .collect(),
            domains: domains.into_iter().map(|d| (d.id.clone(), d)).collect(),
            project_by_id: projects
                .iter()
                .enumerate()
                .map(|(i, p)| (p.row.id.clone(), i))
                .collect(),
            project_by_name: projects
                .iter()
                .enumerate()
                .map(|(i, p)| ((p.row.domain_id.clone(), p.row.name.clone()), i))
                .collect(),
            projects,
        }
    }

    pub fn domain(&self, id: &str) -> Result<&domain::Model> {
        self.domains
            .get(id)
            .ok_or_else(|| Error::not_found("domain", id))
    }

    pub fn domain_by_name(&self, name: &str) -> Result<&domain::Model> {
        self.domain_by_name
            .get(name)
            .and_then(|id| self.domains.get(id))
            .ok_or_else(|| Error::not_found("domain", name))
    }

    pub fn project(&self, id: &str) -> Result<&ProjectView> {
        self.project_by_id
            .get(id)
            .map(|i| &self.projects[*i])
            .ok_or_else(|| Error::not_found("project", id))
    }

    pub fn project_by_name(&self, name: &str, domain_id: &str) -> Result<&ProjectView> {
        self.project_by_name
            .get(&(domain_id.to_owned(), name.to_owned()))
            .map(|i| &self.projects[*i])
            .ok_or_else(|| Error::not_found("project", name))
    }

    /// Every project, sorted by name.
    pub fn projects(&self) -> &[ProjectView] {
        &self.projects
    }
}

impl Identity {
    /// The directory of the current generation, loaded when missing.
    pub(crate) async fn directory(&self) -> Result<Arc<Directory>> {
        if let Some(directory) = self.cache.directory() {
            return Ok(directory);
        }
        let generation = self.cache.generation();
        let db = &self.store.db;
        let directory = Arc::new(Directory::new(
            domain::Entity::find().all(db).await?,
            project::Entity::find()
                .order_by_asc(project::Column::Name)
                .all(db)
                .await?,
            project_tag::Entity::find().all(db).await?,
        ));
        self.cache.put_directory(generation, directory.clone());
        Ok(directory)
    }
}
