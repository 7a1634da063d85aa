use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{new_id, validate, Error, Extra, Identity, Result};
use crate::db::entity::{assignment, implied_role, role};

/// How a global role's `domain_id` is stored, so the (name, domain_id) unique
/// constraint works the same on every database (as Keystone's `<<null>>`).
pub const NULL_DOMAIN: &str = "<<null>>";

/// Fields of a role create or update request.
#[derive(Debug, Default, Deserialize)]
pub struct RoleInput {
    pub id: Option<String>,
    pub name: Option<String>,
    pub domain_id: Option<String>,
    pub description: Option<String>,
    pub options: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Identity {
    pub async fn create_role(&self, input: RoleInput) -> Result<role::Model> {
        let name = input.name.ok_or_else(|| validate::required("name"))?;
        validate::name("name", &name, 255)?;
        if let Some(domain_id) = &input.domain_id {
            self.get_domain(domain_id)
                .await
                .map_err(|_| Error::invalid(format!("Could not find domain: {domain_id}.")))?;
        }
        let mut extra = Extra::default();
        extra.merge(input.extra);
        let row = role::ActiveModel {
            id: Set(input.id.unwrap_or_else(new_id)),
            name: Set(name.clone()),
            domain_id: Set(input.domain_id.unwrap_or_else(|| NULL_DOMAIN.to_string())),
            description: Set(input.description),
            extra: Set(extra.to_column()),
        }
        .insert(&self.store.db)
        .await
        .map_err(|e| {
            Error::from_write("role", || {
                format!("Duplicate entry found with name {name}.")
            })(e.into())
        })?;
        self.changed().await?;
        self.notify("created", "role", &row.id);
        Ok(row)
    }

    pub async fn get_role(&self, id: &str) -> Result<role::Model> {
        role::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("role", id))
    }

    pub async fn find_global_role_by_name(&self, name: &str) -> Result<role::Model> {
        role::Entity::find()
            .filter(role::Column::Name.eq(name))
            .filter(role::Column::DomainId.eq(NULL_DOMAIN))
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("role", name))
    }

    pub async fn list_roles(
        &self,
        name: Option<&str>,
        domain_id: Option<&str>,
    ) -> Result<Vec<role::Model>> {
        let mut query = role::Entity::find()
            .order_by_asc(role::Column::Name)
            .filter(role::Column::DomainId.eq(domain_id.unwrap_or(NULL_DOMAIN)));
        if let Some(name) = name {
            query = query.filter(role::Column::Name.eq(name));
        }
        Ok(query.all(&self.store.db).await?)
    }

    pub async fn roles_by_ids(
        &self,
        ids: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, role::Model>> {
        Ok(role::Entity::find()
            .filter(role::Column::Id.is_in(ids.iter().cloned()))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect())
    }

    pub async fn update_role(&self, id: &str, input: RoleInput) -> Result<role::Model> {
        let current = self.get_role(id).await?;
        if input
            .domain_id
            .as_deref()
            .is_some_and(|d| d != current.domain_id)
        {
            return Err(Error::invalid("Update of `domain_id` is not allowed."));
        }
        let mut extra = Extra::parse(&current.extra);
        let mut row = current.into_active_model();
        if let Some(name) = input.name {
            validate::name("name", &name, 255)?;
            row.name = Set(name);
        }
        if input.description.is_some() {
            row.description = Set(input.description);
        }
        extra.merge(input.extra);
        row.extra = Set(extra.to_column());
        let name = row.name.clone().unwrap();
        let row = row.update(&self.store.db).await.map_err(|e| {
            Error::from_write("role", || {
                format!("Duplicate entry found with name {name}.")
            })(e.into())
        })?;
        self.changed().await?;
        self.notify("updated", "role", id);
        Ok(row)
    }

    /// Deletes a role, its assignments and its implication rules.
    pub async fn delete_role(&self, id: &str) -> Result<()> {
        self.get_role(id).await?;
        let txn = self.store.db.begin().await?;
        assignment::Entity::delete_many()
            .filter(assignment::Column::RoleId.eq(id))
            .exec(&txn)
            .await?;
        implied_role::Entity::delete_many()
            .filter(
                implied_role::Column::PriorRoleId
                    .eq(id)
                    .or(implied_role::Column::ImpliedRoleId.eq(id)),
            )
            .exec(&txn)
            .await?;
        role::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        self.changed().await?;
        self.notify("deleted", "role", id);
        Ok(())
    }

    /// `PUT /v3/roles/{prior}/implies/{implied}`.
    pub async fn create_implied_role(
        &self,
        prior: &str,
        implied: &str,
    ) -> Result<(role::Model, role::Model)> {
        let prior_role = self.get_role(prior).await?;
        let implied_role_row = self.get_role(implied).await?;
        // Keystone's InvalidImpliedRole, a 403.
        if self
            .cfg
            .prohibited_implied_roles
            .contains(&implied_role_row.name)
        {
            return Err(Error::Forbidden(format!(
                "{implied} cannot be an implied roles."
            )));
        }
        if prior_role.domain_id == NULL_DOMAIN && implied_role_row.domain_id != NULL_DOMAIN {
            return Err(Error::Forbidden(
                "Global role cannot imply a domain-specific role".into(),
            ));
        }
        if prior == implied
            || self
                .expand_implied([implied.to_string()].into())
                .await?
                .contains(prior)
        {
            return Err(Error::invalid(format!("Role {prior} would imply itself.")));
        }
        let exists = implied_role::Entity::find_by_id((prior.to_string(), implied.to_string()))
            .one(&self.store.db)
            .await?
            .is_some();
        if !exists {
            implied_role::ActiveModel {
                prior_role_id: Set(prior.to_string()),
                implied_role_id: Set(implied.to_string()),
            }
            .insert(&self.store.db)
            .await?;
            self.changed().await?;
        }
        Ok((prior_role, implied_role_row))
    }

    pub async fn get_implied_role(
        &self,
        prior: &str,
        implied: &str,
    ) -> Result<(role::Model, role::Model)> {
        let prior_role = self.get_role(prior).await?;
        let implied_role_row = self.get_role(implied).await?;
        implied_role::Entity::find_by_id((prior.to_string(), implied.to_string()))
            .one(&self.store.db)
            .await?
            .ok_or_else(|| {
                Error::not_found("implied role", format!("{prior} implies {implied}"))
            })?;
        Ok((prior_role, implied_role_row))
    }

    pub async fn delete_implied_role(&self, prior: &str, implied: &str) -> Result<()> {
        self.get_implied_role(prior, implied).await?;
        implied_role::Entity::delete_by_id((prior.to_string(), implied.to_string()))
            .exec(&self.store.db)
            .await?;
        self.changed().await?;
        Ok(())
    }

    /// Every implication rule as (prior, implied).
    pub async fn implied_rules(&self) -> Result<Arc<Vec<(String, String)>>> {
        if let Some(rules) = self.cache.implied() {
            return Ok(rules);
        }
        let generation = self.cache.generation();
        let rules: Arc<Vec<(String, String)>> = Arc::new(
            implied_role::Entity::find()
                .all(&self.store.db)
                .await?
                .into_iter()
                .map(|r| (r.prior_role_id, r.implied_role_id))
                .collect(),
        );
        self.cache.put_implied(generation, rules.clone());
        Ok(rules)
    }

    /// The ids of domain-specific roles: they only imply global roles, and
    /// appear in no token and no effective assignment list, as in Keystone.
    pub async fn domain_role_ids(&self) -> Result<Arc<std::collections::HashSet<String>>> {
        if let Some(ids) = self.cache.domain_roles() {
            return Ok(ids);
        }
        let generation = self.cache.generation();
        let ids: Arc<std::collections::HashSet<String>> = Arc::new(
            role::Entity::find()
                .filter(role::Column::DomainId.ne(NULL_DOMAIN))
                .all(&self.store.db)
                .await?
                .into_iter()
                .map(|r| r.id)
                .collect(),
        );
        self.cache.put_domain_roles(generation, ids.clone());
        Ok(ids)
    }

    /// `roles` plus every role they imply, transitively.
    pub async fn expand_implied(&self, mut roles: BTreeSet<String>) -> Result<BTreeSet<String>> {
        let rules = self.implied_rules().await?;
        let mut frontier: Vec<String> = roles.iter().cloned().collect();
        while let Some(role_id) = frontier.pop() {
            for (prior, implied) in rules.iter() {
                if *prior == role_id && roles.insert(implied.clone()) {
                    frontier.push(implied.clone());
                }
            }
        }
        Ok(roles)
    }
}
