//! QoS specs (admin): named key/value settings with a consumer (`front-end`
//! for the compute host, `back-end` for the driver, or `both`), associated with
//! volume types. The drivers here apply no back-end QoS; the specs are kept and
//! served for the hosts and tools that read them.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Map, Value};

use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::{qos_specs, volume_type};

const CONSUMERS: &[&str] = &["back-end", "front-end", "both"];

fn not_found(id: &str) -> CinderError {
    CinderError::NotFound(format!("No such QoS spec {id}."))
}

fn invalid_consumer() -> CinderError {
    CinderError::BadRequest("Invalid qos specs: Valid consumer of QoS specs are: QoSConsumerValues(default=<class 'oslo_versionedobjects.fields.UnspecifiedDefault'>,nullable=False,valid_values=('back-end', 'front-end', 'both'))".into())
}

/// The specs of a row.
pub fn specs_of(row: &qos_specs::Model) -> Map<String, Value> {
    serde_json::from_str(&row.specs).unwrap_or_default()
}

/// Cinder's `validate_dictionary_string_length`: every key 1-255 characters,
/// every value a string of at most 255 (or null); the reason when not.
fn check_lengths(specs: &Map<String, Value>) -> std::result::Result<(), String> {
    for (key, value) in specs {
        let length = key.chars().count();
        if length < 1 {
            return Err(format!(
                "Key \"{key}\" has {length} characters, less than 1."
            ));
        }
        if length > 255 {
            return Err(format!(
                "Key \"{key}\" has {length} characters, more than 255."
            ));
        }
        match value {
            Value::Null => {}
            Value::String(text) if text.chars().count() > 255 => {
                return Err(format!(
                    "Value for key \"{key}\" has {} characters, more than 255.",
                    text.chars().count()
                ))
            }
            Value::String(_) => {}
            _ => {
                return Err(format!(
                    "Value for key \"{key}\" is not a string or unicode"
                ))
            }
        }
    }
    Ok(())
}

impl Cinder {
    fn authorize_qos(&self, caller: &Caller, action: &str) -> Result<()> {
        self.authorize(
            caller,
            &format!("volume_extension:qos_specs_manage:{action}"),
            caller.project(),
        )
    }

    /// Every QoS specs, by name.
    pub async fn list_qos(&self, caller: &Caller) -> Result<Vec<qos_specs::Model>> {
        self.authorize_qos(caller, "get_all")?;
        Ok(qos_specs::Entity::find()
            .order_by_asc(qos_specs::Column::CreatedAt)
            .order_by_asc(qos_specs::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// QoS specs `id`.
    pub async fn show_qos(&self, caller: &Caller, id: &str) -> Result<qos_specs::Model> {
        self.authorize_qos(caller, "get")?;
        self.qos_row(id).await
    }

    async fn qos_row(&self, id: &str) -> Result<qos_specs::Model> {
        qos_specs::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Creates QoS specs `name` with `specs` (`consumer` among them, when given).
    pub async fn create_qos(
        &self,
        caller: &Caller,
        name: String,
        mut specs: Map<String, Value>,
    ) -> Result<qos_specs::Model> {
        self.authorize_qos(caller, "create")?;
        check_lengths(&specs)
            .map_err(|why| CinderError::BadRequest(format!("Invalid input received: {why}")))?;
        let consumer = match specs.remove("consumer") {
            None | Some(Value::Null) => "back-end".to_string(),
            Some(Value::String(c)) if CONSUMERS.contains(&c.as_str()) => c,
            Some(_) => return Err(invalid_consumer()),
        };
        let row = qos_specs::Model {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.clone(),
            consumer,
            specs: Value::Object(specs).to_string(),
            created_at: now(),
        };
        qos_specs::Entity::insert(qos_specs::ActiveModel::from(row.clone()))
            .exec(&self.db)
            .await
            .map_err(|e| match ferrostack_db::DbError::from(e) {
                ferrostack_db::DbError::Duplicate(_) => {
                    CinderError::Conflict(format!("QoS Specs {name} already exists."))
                }
                other => other.into(),
            })?;
        Ok(row)
    }

    /// Sets keys (and the consumer) of QoS specs.
    pub async fn update_qos(
        &self,
        caller: &Caller,
        id: &str,
        fields: &Map<String, Value>,
    ) -> Result<()> {
        self.authorize_qos(caller, "update")?;
        check_lengths(fields).map_err(|why| {
            CinderError::BadRequest(format!("Invalid qos specs: Invalid input received: {why}"))
        })?;
        let row = self.qos_row(id).await?;
        let mut specs = specs_of(&row);
        let mut active: qos_specs::ActiveModel = row.into();
        for (key, value) in fields {
            if key == "consumer" {
                match value {
                    Value::String(c) if CONSUMERS.contains(&c.as_str()) => {
                        active.consumer = Set(c.clone())
                    }
                    _ => return Err(invalid_consumer()),
                }
            } else {
                specs.insert(key.clone(), value.clone());
            }
        }
        active.specs = Set(Value::Object(specs).to_string());
        active.update(&self.db).await?;
        Ok(())
    }

    /// Deletes QoS specs; still associated ones only with `force`, which
    /// disassociates them first.
    pub async fn delete_qos(&self, caller: &Caller, id: &str, force: bool) -> Result<()> {
        self.authorize_qos(caller, "delete")?;
        self.qos_row(id).await?;
        if !self.qos_associations(id).await?.is_empty() {
            if !force {
                return Err(CinderError::BadRequest("Qos specs still in use.".into()));
            }
            self.disassociate_all_qos(caller, id).await?;
        }
        qos_specs::Entity::delete_by_id(id).exec(&self.db).await?;
        Ok(())
    }

    /// Removes keys, in order, up to the first one that is not there (404).
    pub async fn delete_qos_keys(&self, caller: &Caller, id: &str, keys: &[String]) -> Result<()> {
        self.authorize_qos(caller, "delete")?;
        let row = self.qos_row(id).await?;
        let mut specs = specs_of(&row);
        let mut missing = None;
        for key in keys {
            if specs.remove(key).is_none() {
                missing = Some(key.clone());
                break;
            }
        }
        let mut active: qos_specs::ActiveModel = row.into();
        active.specs = Set(Value::Object(specs).to_string());
        active.update(&self.db).await?;
        match missing {
            Some(key) => Err(CinderError::NotFound(format!(
                "QoS spec {id} has no spec with key {key}."
            ))),
            None => Ok(()),
        }
    }

    async fn qos_associations(&self, id: &str) -> Result<Vec<volume_type::Model>> {
        Ok(volume_type::Entity::find()
            .filter(volume_type::Column::QosSpecsId.eq(id))
            .order_by_asc(volume_type::Column::Name)
            .all(&self.db)
            .await?)
    }

    /// The types QoS specs `id` is associated with: `(id, name)`.
    pub async fn list_qos_associations(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Vec<(String, String)>> {
        self.authorize_qos(caller, "get_all")?;
        self.qos_row(id).await?;
        Ok(self
            .qos_associations(id)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect())
    }

    /// The type `vol_type_id` names, checked as Cinder checks it.
    async fn qos_target_type(&self, type_id: Option<&str>) -> Result<volume_type::Model> {
        let Some(type_id) = type_id.filter(|t| !t.is_empty()) else {
            return Err(CinderError::BadRequest(
                "Volume Type id must not be None.".into(),
            ));
        };
        volume_type::Entity::find_by_id(type_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| {
                CinderError::NotFound(format!("Volume type {type_id} could not be found."))
            })
    }

    /// Associates QoS specs `id` with a volume type.
    pub async fn associate_qos(
        &self,
        caller: &Caller,
        id: &str,
        type_id: Option<&str>,
    ) -> Result<()> {
        self.authorize_qos(caller, "update")?;
        let kind = self.qos_target_type(type_id).await?;
        self.qos_row(id).await?;
        match kind.qos_specs_id.as_deref() {
            Some(current) if current != id => Err(CinderError::BadRequest(format!(
                "Invalid volume type: Type {} is already associated with another qos specs: {current}",
                kind.id
            ))),
            Some(_) => Ok(()),
            None => {
                volume_type::Entity::update_many()
                    .col_expr(volume_type::Column::QosSpecsId, Expr::value(id))
                    .filter(volume_type::Column::Id.eq(kind.id.as_str()))
                    .exec(&self.db)
                    .await?;
                Ok(())
            }
        }
    }

    /// Ends the association of QoS specs `id` with a volume type.
    pub async fn disassociate_qos(
        &self,
        caller: &Caller,
        id: &str,
        type_id: Option<&str>,
    ) -> Result<()> {
        self.authorize_qos(caller, "update")?;
        let kind = self.qos_target_type(type_id).await?;
        self.qos_row(id).await?;
        volume_type::Entity::update_many()
            .col_expr(
                volume_type::Column::QosSpecsId,
                Expr::value(Option::<String>::None),
            )
            .filter(volume_type::Column::Id.eq(kind.id.as_str()))
            .filter(volume_type::Column::QosSpecsId.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Ends every association of QoS specs `id`.
    pub async fn disassociate_all_qos(&self, caller: &Caller, id: &str) -> Result<()> {
        self.authorize_qos(caller, "update")?;
        self.qos_row(id).await?;
        volume_type::Entity::update_many()
            .col_expr(
                volume_type::Column::QosSpecsId,
                Expr::value(Option::<String>::None),
            )
            .filter(volume_type::Column::QosSpecsId.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_and_lengths() {
        let long = json!({"k": "v".repeat(256)});
        assert_eq!(
            check_lengths(long.as_object().unwrap()).unwrap_err(),
            "Value for key \"k\" has 256 characters, more than 255."
        );
        let number = json!({"k": 5});
        assert_eq!(
            check_lengths(number.as_object().unwrap()).unwrap_err(),
            "Value for key \"k\" is not a string or unicode"
        );
        assert!(check_lengths(json!({"k": "v"}).as_object().unwrap()).is_ok());
    }
}
