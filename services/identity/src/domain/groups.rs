use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{new_id, validate, Error, Extra, Identity, Result};
use crate::db::entity::{assignment, group, group_member, user};

/// Fields of a group create or update request.
#[derive(Debug, Default, Deserialize)]
pub struct GroupInput {
    pub id: Option<String>,
    pub name: Option<String>,
    pub domain_id: Option<String>,
    pub description: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Identity {
    pub async fn create_group(&self, input: GroupInput) -> Result<group::Model> {
        let name = input.name.ok_or_else(|| validate::required("name"))?;
        validate::name("name", &name, 64)?;
        let domain_id = input
            .domain_id
            .unwrap_or_else(|| self.cfg.default_domain_id.clone());
        self.get_domain(&domain_id)
            .await
            .map_err(|_| Error::invalid(format!("Could not find domain: {domain_id}.")))?;
        let mut extra = Extra::default();
        extra.merge(input.extra);
        let row = group::ActiveModel {
            id: Set(input.id.unwrap_or_else(new_id)),
            name: Set(name.clone()),
            domain_id: Set(domain_id.clone()),
            description: Set(input.description),
            extra: Set(extra.to_column()),
        }
        .insert(&self.store.db)
        .await
        .map_err(|e| {
            Error::from_write("group", || {
                format!("Duplicate entry found with name {name} at domain ID {domain_id}.")
            })(e.into())
        })?;
        self.changed().await?;
        self.notify("created", "group", &row.id);
        Ok(row)
    }

    pub async fn get_group(&self, id: &str) -> Result<group::Model> {
        group::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("group", id))
    }

    pub async fn list_groups(
        &self,
        name: Option<&str>,
        domain_id: Option<&str>,
    ) -> Result<Vec<group::Model>> {
        let mut query = group::Entity::find().order_by_asc(group::Column::Name);
        if let Some(name) = name {
            query = query.filter(group::Column::Name.eq(name));
        }
        if let Some(domain_id) = domain_id {
            query = query.filter(group::Column::DomainId.eq(domain_id));
        }
        Ok(query.all(&self.store.db).await?)
    }

    pub async fn update_group(&self, id: &str, input: GroupInput) -> Result<group::Model> {
        let current = self.get_group(id).await?;
        if input
            .domain_id
            .as_deref()
            .is_some_and(|d| d != current.domain_id)
        {
            return Err(Error::invalid("Update of `domain_id` is not allowed."));
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
        extra.merge(input.extra);
        row.extra = Set(extra.to_column());
        let name = row.name.clone().unwrap();
        let row = row.update(&self.store.db).await.map_err(|e| {
            Error::from_write("group", || {
                format!("Duplicate entry found with name {name} at domain ID {domain_id}.")
            })(e.into())
        })?;
        self.changed().await?;
        self.notify("updated", "group", id);
        Ok(row)
    }

    pub async fn delete_group(&self, id: &str) -> Result<()> {
        self.get_group(id).await?;
        let txn = self.store.db.begin().await?;
        assignment::Entity::delete_many()
            .filter(assignment::Column::ActorType.eq("group"))
            .filter(assignment::Column::ActorId.eq(id))
            .exec(&txn)
            .await?;
        group::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        self.changed().await?;
        self.notify("deleted", "group", id);
        Ok(())
    }

    pub async fn add_user_to_group(&self, group_id: &str, user_id: &str) -> Result<()> {
        self.get_group(group_id).await?;
        self.get_user(user_id).await?;
        if self.is_member(group_id, user_id).await? {
            return Ok(());
        }
        group_member::ActiveModel {
            group_id: Set(group_id.to_string()),
            user_id: Set(user_id.to_string()),
        }
        .insert(&self.store.db)
        .await?;
        self.changed().await?;
        self.notify("updated", "group", group_id);
        Ok(())
    }

    pub async fn remove_user_from_group(&self, group_id: &str, user_id: &str) -> Result<()> {
        self.get_group(group_id).await?;
        self.get_user(user_id).await?;
        if !self.is_member(group_id, user_id).await? {
            return Err(Error::NotFound {
                kind: "user",
                id: format!("{user_id} in group {group_id}"),
            });
        }
        group_member::Entity::delete_by_id((group_id.to_string(), user_id.to_string()))
            .exec(&self.store.db)
            .await?;
        self.changed().await?;
        self.notify("updated", "group", group_id);
        Ok(())
    }

    pub async fn check_user_in_group(&self, group_id: &str, user_id: &str) -> Result<()> {
        self.get_group(group_id).await?;
        self.get_user(user_id).await?;
        if self.is_member(group_id, user_id).await? {
            Ok(())
        } else {
            Err(Error::NotFound {
                kind: "user",
                id: format!("{user_id} in group {group_id}"),
            })
        }
    }

    async fn is_member(&self, group_id: &str, user_id: &str) -> Result<bool> {
        Ok(
            group_member::Entity::find_by_id((group_id.to_string(), user_id.to_string()))
                .one(&self.store.db)
                .await?
                .is_some(),
        )
    }

    pub async fn list_users_in_group(&self, group_id: &str) -> Result<Vec<user::Model>> {
        self.get_group(group_id).await?;
        let ids: Vec<String> = group_member::Entity::find()
            .filter(group_member::Column::GroupId.eq(group_id))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect();
        Ok(user::Entity::find()
            .filter(user::Column::Id.is_in(ids))
            .order_by_asc(user::Column::Name)
            .all(&self.store.db)
            .await?)
    }

    /// Ids of the groups `user_id` belongs to.
    pub(crate) async fn group_ids_of_user(&self, user_id: &str) -> Result<Vec<String>> {
        Ok(group_member::Entity::find()
            .filter(group_member::Column::UserId.eq(user_id))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|m| m.group_id)
            .collect())
    }

    pub async fn list_groups_for_user(&self, user_id: &str) -> Result<Vec<group::Model>> {
        self.get_user(user_id).await?;
        let ids = self.group_ids_of_user(user_id).await?;
        Ok(group::Entity::find()
            .filter(group::Column::Id.is_in(ids))
            .order_by_asc(group::Column::Name)
            .all(&self.store.db)
            .await?)
    }
}
