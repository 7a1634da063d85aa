//! The legacy `/v3/policies` API (deprecated upstream since Queens, still
//! served): opaque policy documents with a media type, stored for other
//! services; identity never evaluates them.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{new_id, Error, Extra, Identity, Result};
use crate::db::entity::policy_blob;

/// Fields of a policy create or update request (anything else is kept).
#[derive(Debug, Default, Deserialize)]
pub struct PolicyInput {
    pub id: Option<String>,
    pub blob: Option<Value>,
    #[serde(rename = "type")]
    pub kind: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A string field of at most `max` characters, as Keystone's schema takes it.
fn text(field: &str, value: &Value, max: usize) -> Result<String> {
    match value {
        Value::String(s) if s.chars().count() <= max => Ok(s.clone()),
        Value::String(_) => Err(Error::invalid(format!(
            "Invalid input for field '{field}': the value is too long."
        ))),
        other => Err(Error::invalid(format!(
            "Invalid input for field '{field}': {other} is not of type 'string'"
        ))),
    }
}

impl Identity {
    pub async fn create_policy_blob(&self, input: PolicyInput) -> Result<policy_blob::Model> {
        let blob = input
            .blob
            .ok_or_else(|| super::validate::required("blob"))?;
        let kind = input
            .kind
            .ok_or_else(|| super::validate::required("type"))?;
        let mut extra = Extra::default();
        extra.merge(input.extra);
        let row = policy_blob::ActiveModel {
            id: Set(input.id.unwrap_or_else(new_id)),
            blob: Set(text("blob", &blob, usize::MAX)?),
            kind: Set(text("type", &kind, 255)?),
            extra: Set(extra.to_column()),
        }
        .insert(&self.store.db)
        .await
        .map_err(|e| Error::from_write("policy", || "Duplicate ID.".into())(e.into()))?;
        self.notify("created", "policy", &row.id);
        Ok(row)
    }

    pub async fn get_policy_blob(&self, id: &str) -> Result<policy_blob::Model> {
        policy_blob::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("policy", id))
    }

    pub async fn list_policy_blobs(&self, kind: Option<&str>) -> Result<Vec<policy_blob::Model>> {
        let mut query = policy_blob::Entity::find().order_by_asc(policy_blob::Column::Id);
        if let Some(kind) = kind {
            query = query.filter(policy_blob::Column::Kind.eq(kind));
        }
        Ok(query.all(&self.store.db).await?)
    }

    pub async fn update_policy_blob(
        &self,
        id: &str,
        input: PolicyInput,
    ) -> Result<policy_blob::Model> {
        if input.blob.is_none() && input.kind.is_none() && input.extra.is_empty() {
            return Err(Error::invalid(
                "Invalid input for field '': {} does not have enough properties",
            ));
        }
        let current = self.get_policy_blob(id).await?;
        let mut extra = Extra::parse(&current.extra);
        extra.merge(input.extra);
        let mut row: policy_blob::ActiveModel = current.into();
        if let Some(blob) = &input.blob {
            row.blob = Set(text("blob", blob, usize::MAX)?);
        }
        if let Some(kind) = &input.kind {
            row.kind = Set(text("type", kind, 255)?);
        }
        row.extra = Set(extra.to_column());
        let row = row.update(&self.store.db).await?;
        self.notify("updated", "policy", id);
        Ok(row)
    }

    pub async fn delete_policy_blob(&self, id: &str) -> Result<()> {
        let gone = policy_blob::Entity::delete_by_id(id)
            .exec(&self.store.db)
            .await?;
        if gone.rows_affected == 0 {
            return Err(Error::not_found("policy", id));
        }
        self.notify("deleted", "policy", id);
        Ok(())
    }
}
