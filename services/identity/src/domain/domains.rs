use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{new_id, validate, Error, Extra, Identity, Result};
use crate::db::entity::{assignment, domain, group, project, user};

/// Fields of a domain create or update request.
#[derive(Debug, Default, Deserialize)]
pub struct DomainInput {
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Identity {
    pub async fn create_domain(&self, input: DomainInput) -> Result<domain::Model> {
        let name = input.name.ok_or_else(|| validate::required("name"))?;
        validate::name("name", &name, 64)?;
        let mut extra = Extra::default();
        extra.merge(input.extra);
        let row = domain::ActiveModel {
            id: Set(input.id.unwrap_or_else(new_id)),
            name: Set(name.clone()),
            description: Set(input.description),
            enabled: Set(input.enabled.unwrap_or(true)),
            extra: Set(extra.to_column()),
        }
        .insert(&self.store.db)
        .await
        .map_err(|e| {
            Error::from_write("domain", || {
                format!("Duplicate entry found with name {name}.")
            })(e.into())
        })?;
        self.changed().await?;
        self.notify("created", "domain", &row.id);
        Ok(row)
    }

    pub async fn get_domain(&self, id: &str) -> Result<domain::Model> {
        Ok(self.directory().await?.domain(id)?.clone())
    }

    pub async fn find_domain_by_name(&self, name: &str) -> Result<domain::Model> {
        Ok(self.directory().await?.domain_by_name(name)?.clone())
    }

    pub async fn list_domains(
        &self,
        name: Option<&str>,
        enabled: Option<bool>,
    ) -> Result<Vec<domain::Model>> {
        let mut query = domain::Entity::find().order_by_asc(domain::Column::Name);
        if let Some(name) = name {
            query = query.filter(domain::Column::Name.eq(name));
        }
        if let Some(enabled) = enabled {
            query = query.filter(domain::Column::Enabled.eq(enabled));
        }
        Ok(query.all(&self.store.db).await?)
    }

    pub async fn update_domain(&self, id: &str, input: DomainInput) -> Result<domain::Model> {
        let current = self.get_domain(id).await?;
        if input.id.as_deref().is_some_and(|new| new != id) {
            return Err(Error::invalid("Cannot change the ID of a domain"));
        }
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
        let row = row.update(&self.store.db).await.map_err(|e| {
            Error::from_write("domain", || {
                format!("Duplicate entry found with name {name}.")
            })(e.into())
        })?;
        self.changed().await?;
        self.notify("updated", "domain", id);
        Ok(row)
    }

    /// Deletes a disabled domain with everything in it (projects, users, groups and
    /// their role assignments).
    pub async fn delete_domain(&self, id: &str) -> Result<()> {
        let current = self.get_domain(id).await?;
        if current.enabled {
            return Err(Error::Forbidden(
                "Cannot delete a domain that is enabled, please disable it first.".into(),
            ));
        }
        let db = &self.store.db;
        let project_ids: Vec<String> = project::Entity::find()
            .filter(project::Column::DomainId.eq(id))
            .all(db)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        let user_ids: Vec<String> = user::Entity::find()
            .filter(user::Column::DomainId.eq(id))
            .all(db)
            .await?
            .into_iter()
            .map(|u| u.id)
            .collect();
        let group_ids: Vec<String> = group::Entity::find()
            .filter(group::Column::DomainId.eq(id))
            .all(db)
            .await?
            .into_iter()
            .map(|g| g.id)
            .collect();
        let mut targets = project_ids;
        targets.push(id.to_string());
        let mut actors = user_ids;
        actors.extend(group_ids);
        assignment::Entity::delete_many()
            .filter(
                assignment::Column::TargetId
                    .is_in(targets)
                    .or(assignment::Column::ActorId.is_in(actors)),
            )
            .exec(db)
            .await?;
        Identity::forget_domain_config(db, id).await?;
        Identity::forget_limits(db, id).await?;
        domain::Entity::delete_by_id(id).exec(db).await?;
        self.changed().await?;
        self.notify("deleted", "domain", id);
        Ok(())
    }
}
