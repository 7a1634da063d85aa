//! Volume types: CRUD (admins), extra specs (`volume_backend_name` steers the
//! scheduler), the default type `__DEFAULT__`, private types with project access.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Deserialize;

use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::{encryption, volume, volume_type, volume_type_project};

/// The name of the volume type volumes get when they ask for none.
pub const DEFAULT_TYPE: &str = "__DEFAULT__";

/// The `volume_type` object of a create or update request.
#[derive(Debug, Deserialize)]
pub struct TypeRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "os-volume-type-access:is_public")]
    pub is_public: Option<bool>,
    pub extra_specs: Option<BTreeMap<String, String>>,
}

fn is_uuid_like(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}

fn not_found(identity: &str) -> CinderError {
    if is_uuid_like(identity) {
        CinderError::NotFound(format!("Volume type {identity} could not be found."))
    } else {
        CinderError::NotFound(format!(
            "Volume type with name {identity} could not be found."
        ))
    }
}

/// The extra specs of a type row.
pub fn extra_specs(kind: &volume_type::Model) -> BTreeMap<String, String> {
    serde_json::from_str(&kind.extra_specs).unwrap_or_default()
}

/// Whether volumes of `kind` may attach to several instances at once: only
/// the extra spec `multiattach="<is> True"` says so.
pub fn is_multiattach(kind: &volume_type::Model) -> bool {
    extra_specs(kind).get("multiattach").map(String::as_str) == Some("<is> True")
}

impl Cinder {
    /// Whether `caller` may use `kind`: public, admin, or shared with its project.
    async fn may_use(&self, caller: &Caller, kind: &volume_type::Model) -> Result<bool> {
        if kind.is_public || caller.is_admin {
            return Ok(true);
        }
        Ok(
            volume_type_project::Entity::find_by_id((
                kind.id.clone(),
                caller.project().to_string(),
            ))
            .one(&self.db)
            .await?
            .is_some(),
        )
    }

    /// The type `identity` (id, or name), or the default type, as `caller` sees it.
    pub async fn volume_type(
        &self,
        caller: &Caller,
        identity: Option<&str>,
    ) -> Result<volume_type::Model> {
        let identity = identity.unwrap_or(DEFAULT_TYPE);
        let mut condition = Condition::any().add(volume_type::Column::Name.eq(identity));
        if is_uuid_like(identity) {
            condition = condition.add(volume_type::Column::Id.eq(identity));
        }
        let kind = volume_type::Entity::find()
            .filter(condition)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(identity))?;
        if !self.may_use(caller, &kind).await? {
            return Err(not_found(identity));
        }
        Ok(kind)
    }

    /// The names of the volume types `ids` (each looked up once), by id.
    pub async fn type_names<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<HashMap<String, String>> {
        let ids: std::collections::BTreeSet<&str> = ids.into_iter().collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(volume_type::Entity::find()
            .filter(volume_type::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect())
    }

    /// Makes sure the default volume type exists.
    pub async fn ensure_default_type(&self) -> Result<()> {
        let exists = volume_type::Entity::find()
            .filter(volume_type::Column::Name.eq(DEFAULT_TYPE))
            .one(&self.db)
            .await?
            .is_some();
        if exists {
            return Ok(());
        }
        let row = volume_type::ActiveModel {
            id: Set(uuid::Uuid::new_v4().to_string()),
            name: Set(DEFAULT_TYPE.into()),
            description: Set(Some("Default Volume Type".into())),
            is_public: Set(true),
            extra_specs: Set("{}".into()),
            qos_specs_id: Set(None),
        };
        match volume_type::Entity::insert(row)
            .exec(&self.db)
            .await
            .map_err(ferrostack_db::DbError::from)
        {
            // A duplicate: another api process made it first.
            Ok(_) | Err(ferrostack_db::DbError::Duplicate(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every type `caller` may use.
    pub async fn list_types(&self, caller: &Caller) -> Result<Vec<volume_type::Model>> {
        self.authorize(caller, "volume_extension:type_get_all", caller.project())?;
        let all = volume_type::Entity::find()
            .order_by_asc(volume_type::Column::Name)
            .all(&self.db)
            .await?;
        let mut visible = Vec::new();
        for kind in all {
            if self.may_use(caller, &kind).await? {
                visible.push(kind);
            }
        }
        Ok(visible)
    }

    /// Creates a type (admin).
    pub async fn create_type(
        &self,
        caller: &Caller,
        request: TypeRequest,
    ) -> Result<volume_type::Model> {
        self.authorize(caller, "volume_extension:type_create", caller.project())?;
        let name = request
            .name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty() && n.len() <= 255)
            .ok_or_else(|| {
                CinderError::BadRequest("Invalid input for field/attribute name. Value: None. None is not of type 'string'".into())
            })?;
        let row = volume_type::Model {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.clone(),
            description: request.description,
            is_public: request.is_public.unwrap_or(true),
            extra_specs: serde_json::to_string(&request.extra_specs.unwrap_or_default())
                .unwrap_or_default(),
            qos_specs_id: None,
        };
        volume_type::Entity::insert(volume_type::ActiveModel::from(row.clone()))
            .exec(&self.db)
            .await
            .map_err(|e| match ferrostack_db::DbError::from(e) {
                ferrostack_db::DbError::Duplicate(_) => {
                    CinderError::Conflict(format!("Volume Type {name} already exists."))
                }
                other => other.into(),
            })?;
        Ok(row)
    }

    /// Renames, describes or publishes a type (admin).
    pub async fn update_type(
        &self,
        caller: &Caller,
        id: &str,
        request: TypeRequest,
    ) -> Result<volume_type::Model> {
        self.authorize(caller, "volume_extension:type_update", caller.project())?;
        let mut row = self.volume_type(caller, Some(id)).await?;
        let old_name = row.name.clone();
        if let Some(name) = request.name {
            row.name = name;
        }
        if let Some(description) = request.description {
            row.description = Some(description);
        }
        if let Some(public) = request.is_public {
            row.is_public = public;
        }
        volume_type::Entity::update(volume_type::ActiveModel::from(row.clone()).reset_all())
            .exec(&self.db)
            .await?;
        if row.name != old_name {
            self.rename_type_quotas(&old_name, &row.name).await?;
        }
        Ok(row)
    }

    /// Deletes a type no volume uses (admin).
    pub async fn delete_type(&self, caller: &Caller, id: &str) -> Result<()> {
        self.authorize(caller, "volume_extension:type_delete", caller.project())?;
        let row = self.volume_type(caller, Some(id)).await?;
        if row.name == DEFAULT_TYPE {
            return Err(CinderError::BadRequest(
                "Invalid volume type: Default volume type can not be deleted.".into(),
            ));
        }
        let used = volume::Entity::find()
            .filter(volume::Column::VolumeTypeId.eq(row.id.as_str()))
            .one(&self.db)
            .await?
            .is_some();
        if used {
            return Err(CinderError::BadRequest(format!(
                "Target volume type is still in use. Volume Type {} deletion is not allowed with volumes present with the type.",
                row.id
            )));
        }
        volume_type_project::Entity::delete_many()
            .filter(volume_type_project::Column::VolumeTypeId.eq(row.id.as_str()))
            .exec(&self.db)
            .await?;
        encryption::Entity::delete_many()
            .filter(encryption::Column::VolumeTypeId.eq(row.id.as_str()))
            .exec(&self.db)
            .await?;
        volume_type::Entity::delete_by_id(row.id)
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Sets extra specs (merged) on a type (admin).
    pub async fn set_extra_specs(
        &self,
        caller: &Caller,
        id: &str,
        specs: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>> {
        self.authorize(
            caller,
            "volume_extension:types_extra_specs:create",
            caller.project(),
        )?;
        let row = self.volume_type(caller, Some(id)).await?;
        let mut merged = extra_specs(&row);
        merged.extend(specs);
        let mut active: volume_type::ActiveModel = row.into();
        active.extra_specs = Set(serde_json::to_string(&merged).unwrap_or_default());
        active.update(&self.db).await?;
        Ok(merged)
    }

    /// Removes one extra spec (admin).
    pub async fn delete_extra_spec(&self, caller: &Caller, id: &str, key: &str) -> Result<()> {
        self.authorize(
            caller,
            "volume_extension:types_extra_specs:delete",
            caller.project(),
        )?;
        let row = self.volume_type(caller, Some(id)).await?;
        let mut specs = extra_specs(&row);
        if specs.remove(key).is_none() {
            return Err(CinderError::NotFound(format!(
                "Volume Type {} has no extra specs with key {key}.",
                row.id
            )));
        }
        let mut active: volume_type::ActiveModel = row.into();
        active.extra_specs = Set(serde_json::to_string(&specs).unwrap_or_default());
        active.update(&self.db).await?;
        Ok(())
    }

    /// Projects a private type is shared with (admin).
    pub async fn type_access(&self, caller: &Caller, id: &str) -> Result<Vec<String>> {
        self.authorize(
            caller,
            "volume_extension:volume_type_access:get_all_for_type",
            caller.project(),
        )?;
        let row = self.volume_type(caller, Some(id)).await?;
        if row.is_public {
            return Err(CinderError::NotFound(
                "Access list not available for public volume types.".into(),
            ));
        }
        Ok(volume_type_project::Entity::find()
            .filter(volume_type_project::Column::VolumeTypeId.eq(row.id.as_str()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| a.project_id)
            .collect())
    }

    /// Shares (`add`) or unshares a private type with `project` (admin).
    pub async fn set_type_access(
        &self,
        caller: &Caller,
        id: &str,
        project: &str,
        add: bool,
    ) -> Result<()> {
        let rule = if add {
            "volume_extension:volume_type_access:addProjectAccess"
        } else {
            "volume_extension:volume_type_access:removeProjectAccess"
        };
        self.authorize(caller, rule, caller.project())?;
        let row = self.volume_type(caller, Some(id)).await?;
        if row.is_public {
            return Err(CinderError::BadRequest(
                "Invalid volume type: Type access modification is not applicable to public volume type.".into(),
            ));
        }
        let key = (row.id.clone(), project.to_string());
        let existing = volume_type_project::Entity::find_by_id(key.clone())
            .one(&self.db)
            .await?;
        match (add, existing) {
            (true, Some(_)) => Err(CinderError::Conflict(format!(
                "Volume type access for {} / {project} combination already exists.",
                row.id
            ))),
            (true, None) => {
                volume_type_project::Entity::insert(volume_type_project::ActiveModel {
                    volume_type_id: Set(key.0),
                    project_id: Set(key.1),
                })
                .exec(&self.db)
                .await?;
                Ok(())
            }
            (false, None) => Err(CinderError::NotFound(format!(
                "Volume type access not found for {} / {project} combination.",
                row.id
            ))),
            (false, Some(_)) => {
                volume_type_project::Entity::delete_by_id(key)
                    .exec(&self.db)
                    .await?;
                Ok(())
            }
        }
    }
}
