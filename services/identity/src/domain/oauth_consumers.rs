//! OAuth1 consumers (`/v3/OS-OAUTH1/consumers`): the clients a user may delegate
//! to. The secret is made here and shown once, at creation.

use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, QueryOrder, Set, TransactionTrait};
use serde_json::{Map, Value};

use super::{new_id, Error, Extra, Identity, Result};
use crate::db::entity::consumer;

fn missing() -> Error {
    Error::NotFoundDetail("Consumer not found".into())
}

/// A description given (`Some`), possibly null (`Some(None)`), or not given.
type Description = Option<Option<String>>;

/// A consumer body's fields: `description` (a string or null) and free extras,
/// their keys with `:` and `-` made `_` as Keystone stores them.
fn split(mut body: Map<String, Value>) -> Result<(Description, Map<String, Value>)> {
    let description = match body.remove("description") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(d)) => Some(Some(d)),
        Some(other) => {
            return Err(Error::invalid(format!(
                "Invalid input for field 'description': {other} is not of type 'string', 'null'"
            )))
        }
    };
    let extra = body
        .into_iter()
        .map(|(k, v)| (k.replace([':', '-'], "_"), v))
        .collect();
    Ok((description, extra))
}

impl Identity {
    pub async fn create_consumer(&self, body: Map<String, Value>) -> Result<consumer::Model> {
        let (description, mut extra) = split(body)?;
        extra.remove("id");
        extra.remove("secret");
        let mut stored = Extra::default();
        stored.merge(extra);
        let row = consumer::ActiveModel {
            id: Set(new_id()),
            description: Set(description.flatten()),
            secret: Set(new_id()),
            extra: Set(stored.to_column()),
        }
        .insert(&self.store.db)
        .await?;
        self.notify("created", "OS-OAUTH1:consumer", &row.id);
        Ok(row)
    }

    pub async fn get_consumer(&self, id: &str) -> Result<consumer::Model> {
        consumer::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(missing)
    }

    pub async fn list_consumers(&self) -> Result<Vec<consumer::Model>> {
        Ok(consumer::Entity::find()
            .order_by_asc(consumer::Column::Id)
            .all(&self.store.db)
            .await?)
    }

    /// Updates the description and extras; the secret cannot be changed.
    pub async fn update_consumer(
        &self,
        id: &str,
        body: Map<String, Value>,
    ) -> Result<consumer::Model> {
        if body.is_empty() {
            return Err(Error::invalid(
                "Invalid input for field '': {} does not have enough properties",
            ));
        }
        if body.contains_key("secret") {
            return Err(Error::invalid(format!(
                "Invalid input for field '': {} should not be valid under {{'required': ['secret']}}",
                Value::Object(body)
            )));
        }
        if body.get("id").is_some_and(|given| given != id) {
            return Err(Error::invalid("Cannot change ID"));
        }
        let (description, mut extra) = split(body)?;
        extra.remove("id");
        let current = self.get_consumer(id).await?;
        let mut stored = Extra::parse(&current.extra);
        stored.merge(extra);
        let mut row = current.into_active_model();
        if let Some(description) = description {
            row.description = Set(description);
        }
        row.extra = Set(stored.to_column());
        let row = row.update(&self.store.db).await?;
        self.notify("updated", "OS-OAUTH1:consumer", id);
        Ok(row)
    }

    /// Deletes a consumer, its request and access tokens (and so the Keystone
    /// tokens made with them).
    pub async fn delete_consumer(&self, id: &str) -> Result<()> {
        let txn = self.store.db.begin().await?;
        Identity::forget_consumer_tokens(&txn, id).await?;
        let gone = consumer::Entity::delete_by_id(id).exec(&txn).await?;
        if gone.rows_affected == 0 {
            return Err(missing());
        }
        txn.commit().await?;
        self.changed().await?;
        self.notify("deleted", "OS-OAUTH1:consumer", id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::split;
    use serde_json::json;

    #[test]
    fn bodies_split_into_description_and_extras() {
        let body = json!({"description": "d", "x-y:z": 1})
            .as_object()
            .unwrap()
            .clone();
        let (description, extra) = split(body).unwrap();
        assert_eq!(description, Some(Some("d".into())));
        assert_eq!(extra["x_y_z"], 1);
        let bad = json!({"description": 3}).as_object().unwrap().clone();
        assert!(split(bad).is_err());
    }
}
