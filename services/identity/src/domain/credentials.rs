use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{new_id, validate, Error, Extra, Identity, Result};
use crate::db::entity::credential;

/// Fields of a credential create or update request.
#[derive(Debug, Default, Deserialize)]
pub struct CredentialInput {
    pub user_id: Option<String>,
    pub project_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub blob: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Identity {
    pub async fn create_credential(&self, input: CredentialInput) -> Result<credential::Model> {
        let user_id = input.user_id.ok_or_else(|| validate::required("user_id"))?;
        let kind = input.kind.ok_or_else(|| validate::required("type"))?;
        let blob = input.blob.ok_or_else(|| validate::required("blob"))?;
        self.get_user(&user_id).await?;
        if kind == "ec2" {
            let parsed: Value = serde_json::from_str(&blob).map_err(|_| {
                Error::invalid("Invalid blob in credential: an ec2 blob must be JSON with 'access'")
            })?;
            if parsed.get("access").and_then(Value::as_str).is_none() {
                return Err(Error::invalid(
                    "Invalid blob in credential: an ec2 blob must be JSON with 'access'",
                ));
            }
            if input.project_id.is_none() {
                return Err(Error::invalid(
                    "Invalid input for field 'project_id': ec2 credentials need a project",
                ));
            }
        }
        let mut extra = Extra::default();
        extra.merge(input.extra);
        let row = credential::ActiveModel {
            id: Set(new_id()),
            user_id: Set(user_id),
            project_id: Set(input.project_id),
            kind: Set(kind),
            blob: Set(Some(blob)),
            extra: Set(extra.to_column()),
        }
        .insert(&self.store.db)
        .await?;
        self.changed().await?;
        self.notify("created", "credential", &row.id);
        Ok(row)
    }

    pub async fn get_credential(&self, id: &str) -> Result<credential::Model> {
        credential::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("credential", id))
    }

    pub async fn list_credentials(
        &self,
        user_id: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Vec<credential::Model>> {
        let mut query = credential::Entity::find().order_by_asc(credential::Column::Id);
        if let Some(user_id) = user_id {
            query = query.filter(credential::Column::UserId.eq(user_id));
        }
        if let Some(kind) = kind {
            query = query.filter(credential::Column::Kind.eq(kind));
        }
        Ok(query.all(&self.store.db).await?)
    }

    pub async fn update_credential(
        &self,
        id: &str,
        input: CredentialInput,
    ) -> Result<credential::Model> {
        let current = self.get_credential(id).await?;
        let mut extra = Extra::parse(&current.extra);
        let mut row = current.into_active_model();
        if let Some(user_id) = input.user_id {
            self.get_user(&user_id).await?;
            row.user_id = Set(user_id);
        }
        if input.project_id.is_some() {
            row.project_id = Set(input.project_id);
        }
        if let Some(kind) = input.kind {
            row.kind = Set(kind);
        }
        if let Some(blob) = input.blob {
            row.blob = Set(Some(blob));
        }
        extra.merge(input.extra);
        row.extra = Set(extra.to_column());
        let row = row.update(&self.store.db).await?;
        self.changed().await?;
        self.notify("updated", "credential", id);
        Ok(row)
    }

    pub async fn delete_credential(&self, id: &str) -> Result<()> {
        self.get_credential(id).await?;
        credential::Entity::delete_by_id(id)
            .exec(&self.store.db)
            .await?;
        self.changed().await?;
        self.notify("deleted", "credential", id);
        Ok(())
    }
}
