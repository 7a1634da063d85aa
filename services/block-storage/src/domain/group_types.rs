//! Group types (3.11): what kind of group a generic volume group is, with its
//! group specs. Admins manage them; users see the public ones.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, Func, SimpleExpr};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, Select};

use super::paging::{self, Page, Pageable};
use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::group_type;

impl Pageable for group_type::Entity {
    fn sort_column(key: &str) -> Option<group_type::Column> {
        Some(match key {
            "id" => group_type::Column::Id,
            "name" => group_type::Column::Name,
            "description" => group_type::Column::Description,
            "is_public" => group_type::Column::IsPublic,
            "created_at" => group_type::Column::CreatedAt,
            _ => return None,
        })
    }

    fn sort_expr(column: group_type::Column) -> SimpleExpr {
        let col = Expr::col((group_type::Entity, column));
        match column {
            group_type::Column::Description => {
                Func::coalesce([col.into(), Expr::val("").into()]).into()
            }
            _ => col.into(),
        }
    }

    fn marker_value(row: &group_type::Model, column: group_type::Column) -> sea_orm::Value {
        match column {
            group_type::Column::Name => row.name.clone().into(),
            group_type::Column::Description => row.description.clone().unwrap_or_default().into(),
            group_type::Column::IsPublic => row.is_public.into(),
            group_type::Column::CreatedAt => row.created_at.into(),
            _ => row.id.clone().into(),
        }
    }

    fn id_of(row: &group_type::Model) -> String {
        row.id.clone()
    }

    fn marker_row(id: &str) -> Select<group_type::Entity> {
        group_type::Entity::find_by_id(id)
    }
}

/// A group type's specs.
pub fn group_specs(kind: &group_type::Model) -> BTreeMap<String, String> {
    serde_json::from_str(&kind.group_specs).unwrap_or_default()
}

/// A new group type, or the fields an update changes.
#[derive(Debug, Clone, Default)]
pub struct GroupTypeRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_public: Option<bool>,
    pub group_specs: BTreeMap<String, String>,
}

fn not_found(id: &str) -> CinderError {
    CinderError::NotFound(format!("Group type {id} could not be found."))
}

impl Cinder {
    /// A page of group types: users see public ones; admins filter with
    /// `is_public` (true when absent, every type for `None`).
    pub async fn list_group_types(
        &self,
        caller: &Caller,
        pairs: &[(String, String)],
    ) -> Result<Page<group_type::Model>> {
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let public = if caller.is_admin {
            match get("is_public")
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                None | Some("true" | "1" | "t" | "yes" | "y" | "on") => Some(true),
                Some("none") => None,
                Some("false" | "0" | "f" | "no" | "n" | "off") => Some(false),
                Some(_) => {
                    return Err(CinderError::BadRequest(format!(
                        "Invalid is_public filter [{}]",
                        get("is_public").unwrap_or_default()
                    )))
                }
            }
        } else {
            Some(true)
        };
        let mut query = group_type::Entity::find();
        if let Some(public) = public {
            query = query.filter(group_type::Column::IsPublic.eq(public));
        }
        paging::page(&self.db, query, &get, self.cfg.max_limit).await
    }

    /// A group type by id; a private one only for admins.
    pub async fn group_type(&self, caller: &Caller, id: &str) -> Result<group_type::Model> {
        match group_type::Entity::find_by_id(id).one(&self.db).await? {
            Some(kind) if kind.is_public || caller.is_admin => Ok(kind),
            _ => Err(not_found(id)),
        }
    }

    /// Creates a group type (admin).
    pub async fn create_group_type(
        &self,
        caller: &Caller,
        request: GroupTypeRequest,
    ) -> Result<group_type::Model> {
        self.authorize(caller, "group:group_types:create", caller.project())?;
        let name = request.name.unwrap_or_default();
        let row = group_type::Model {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.clone(),
            description: request.description,
            is_public: request.is_public.unwrap_or(true),
            group_specs: serde_json::to_string(&request.group_specs).unwrap_or_default(),
            created_at: chrono::Utc::now().naive_utc(),
        };
        group_type::Entity::insert(group_type::ActiveModel::from(row.clone()))
            .exec(&self.db)
            .await
            .map_err(|e| match ferrostack_db::DbError::from(e) {
                ferrostack_db::DbError::Duplicate(_) => {
                    CinderError::Conflict(format!("Group Type {name} already exists."))
                }
                other => other.into(),
            })?;
        Ok(row)
    }

    /// Renames, describes or publishes a group type (admin).
    pub async fn update_group_type(
        &self,
        caller: &Caller,
        id: &str,
        request: GroupTypeRequest,
    ) -> Result<group_type::Model> {
        self.authorize(caller, "group:group_types:update", caller.project())?;
        if request.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(CinderError::BadRequest(
                "Group type name can not be empty.".into(),
            ));
        }
        if request.name.is_none() && request.description.is_none() && request.is_public.is_none() {
            return Err(CinderError::BadRequest(
                "Specify group type name, description or a combination thereof.".into(),
            ));
        }
        let mut row = self.group_type(caller, id).await?;
        if let Some(name) = request.name {
            row.name = name;
        }
        if let Some(description) = request.description {
            row.description = Some(description);
        }
        if let Some(public) = request.is_public {
            row.is_public = public;
        }
        group_type::Entity::update(group_type::ActiveModel::from(row.clone()).reset_all())
            .exec(&self.db)
            .await
            .map_err(|e| match ferrostack_db::DbError::from(e) {
                ferrostack_db::DbError::Duplicate(_) => {
                    CinderError::Conflict(format!("Group Type {} already exists.", row.name))
                }
                other => other.into(),
            })?;
        Ok(row)
    }

    /// Deletes a group type (admin).
    pub async fn delete_group_type(&self, caller: &Caller, id: &str) -> Result<()> {
        self.authorize(caller, "group:group_types:delete", caller.project())?;
        let row = self.group_type(caller, id).await?;
        group_type::Entity::delete_by_id(row.id)
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// A group type's specs (admin).
    pub async fn group_type_specs(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<BTreeMap<String, String>> {
        self.authorize(caller, "group:group_types_specs:get_all", caller.project())?;
        Ok(group_specs(&self.group_type(caller, id).await?))
    }

    /// Sets (adds or replaces) specs of a group type (admin); `rule` is the
    /// create or update rule.
    pub async fn set_group_specs(
        &self,
        caller: &Caller,
        id: &str,
        rule: &str,
        specs: BTreeMap<String, String>,
    ) -> Result<()> {
        self.authorize(caller, rule, caller.project())?;
        let row = self.group_type(caller, id).await?;
        let mut merged = group_specs(&row);
        merged.extend(specs);
        let mut active: group_type::ActiveModel = row.into();
        active.group_specs = Set(serde_json::to_string(&merged).unwrap_or_default());
        group_type::Entity::update(active).exec(&self.db).await?;
        Ok(())
    }

    /// One spec of a group type (admin).
    pub async fn group_spec(&self, caller: &Caller, id: &str, key: &str) -> Result<String> {
        self.authorize(caller, "group:group_types_specs:get", caller.project())?;
        let row = self.group_type(caller, id).await?;
        group_specs(&row).remove(key).ok_or_else(|| {
            CinderError::NotFound(format!("Group Type {id} has no extra spec with key {key}."))
        })
    }

    /// Removes one spec of a group type (admin).
    pub async fn delete_group_spec(&self, caller: &Caller, id: &str, key: &str) -> Result<()> {
        self.authorize(caller, "group:group_types_specs:delete", caller.project())?;
        let row = self.group_type(caller, id).await?;
        let mut specs = group_specs(&row);
        if specs.remove(key).is_none() {
            return Err(CinderError::NotFound(format!(
                "Group Type {id} has no specs with key {key}."
            )));
        }
        let mut active: group_type::ActiveModel = row.into();
        active.group_specs = Set(serde_json::to_string(&specs).unwrap_or_default());
        group_type::Entity::update(active).exec(&self.db).await?;
        Ok(())
    }
}
