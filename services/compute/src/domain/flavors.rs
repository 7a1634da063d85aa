//! Flavors: server sizes an admin defines, public or shared with projects,
//! with extra specs. Non-admins see public flavors and those shared with their
//! project; nothing else exists for them.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use super::{now, Caller, Nova, NovaError, Result};
use crate::db::entity::{flavor, flavor_extra_spec, flavor_project};

/// What a create asks for, validated by the API.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFlavor {
    /// The id to show; a UUID when none is given.
    pub id: Option<String>,
    pub name: String,
    pub ram: i64,
    pub vcpus: i64,
    pub disk: i64,
    pub ephemeral: i64,
    pub swap: i64,
    pub rxtx_factor: f64,
    pub is_public: bool,
    pub description: Option<String>,
}

/// Which flavors a list shows and in what order.
#[derive(Debug, Clone, Default)]
pub struct FlavorQuery {
    /// `Some(true)`: public (and shared with the caller's project); `Some(false)`:
    /// private only; `None`: all (admins only).
    pub is_public: Option<bool>,
    pub min_ram: Option<i64>,
    pub min_disk: Option<i64>,
    /// A regular expression names must match (2.102).
    pub name: Option<String>,
    pub sort_key: String,
    pub descending: bool,
    pub marker: Option<String>,
    pub limit: usize,
}

/// A flavor and, when asked for, its extra specs.
#[derive(Debug, Clone)]
pub struct Flavor {
    pub row: flavor::Model,
    pub extra_specs: BTreeMap<String, String>,
}

pub(crate) fn not_found(id: &str) -> NovaError {
    NovaError::NotFound(format!("Flavor {id} could not be found."))
}

/// The column a sort key names.
fn sort_column(key: &str) -> Option<flavor::Column> {
    Some(match key {
        "created_at" => flavor::Column::CreatedAt,
        "description" => flavor::Column::Description,
        "disabled" => flavor::Column::Disabled,
        "ephemeral_gb" => flavor::Column::EphemeralGb,
        "flavorid" | "id" => flavor::Column::Flavorid,
        "is_public" => flavor::Column::IsPublic,
        "memory_mb" => flavor::Column::MemoryMb,
        "name" => flavor::Column::Name,
        "root_gb" => flavor::Column::RootGb,
        "rxtx_factor" => flavor::Column::RxtxFactor,
        "swap" => flavor::Column::Swap,
        "updated_at" => flavor::Column::UpdatedAt,
        "vcpus" => flavor::Column::Vcpus,
        // vcpu_weight is not kept: every flavor has none.
        "vcpu_weight" => flavor::Column::Flavorid,
        _ => return None,
    })
}

impl Nova {
    /// The condition on flavors `caller` may see: everything for admins;
    /// public ones and those shared with its project otherwise.
    fn visible_to(&self, caller: &Caller) -> Condition {
        if caller.is_admin {
            return Condition::all();
        }
        Condition::any()
            .add(flavor::Column::IsPublic.eq(true))
            .add(shared_with(caller.project()))
    }

    /// Flavor `id` as `caller` sees it (404 when it may not).
    pub async fn flavor(&self, caller: &Caller, id: &str) -> Result<flavor::Model> {
        flavor::Entity::find_by_id(id)
            .filter(self.visible_to(caller))
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// A flavor's extra specs.
    pub async fn extra_specs_of(&self, id: &str) -> Result<BTreeMap<String, String>> {
        Ok(flavor_extra_spec::Entity::find()
            .filter(flavor_extra_spec::Column::Flavorid.eq(id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| (s.key, s.value))
            .collect())
    }

    /// A page of flavors as `caller` may see them.
    pub async fn list_flavors(
        &self,
        caller: &Caller,
        query: &FlavorQuery,
    ) -> Result<Vec<flavor::Model>> {
        let column = sort_column(&query.sort_key)
            .ok_or_else(|| NovaError::BadRequest(format!("Invalid sort key {}", query.sort_key)))?;
        let mut select = flavor::Entity::find().filter(self.visible_to(caller));
        let public = if caller.is_admin {
            query.is_public
        } else {
            Some(true)
        };
        match public {
            Some(true) => {
                select = select.filter(
                    Condition::any()
                        .add(flavor::Column::IsPublic.eq(true))
                        .add(shared_with(caller.project())),
                );
            }
            Some(false) => select = select.filter(flavor::Column::IsPublic.eq(false)),
            None => {}
        }
        if !caller.is_admin {
            select = select.filter(flavor::Column::Disabled.eq(false));
        }
        if let Some(ram) = query.min_ram {
            select = select.filter(flavor::Column::MemoryMb.gte(ram));
        }
        if let Some(disk) = query.min_disk {
            select = select.filter(flavor::Column::RootGb.gte(disk));
        }
        if let Some(marker) = &query.marker {
            let row = flavor::Entity::find_by_id(marker.as_str())
                .filter(self.visible_to(caller))
                .one(&self.db)
                .await?
                .ok_or_else(|| NovaError::BadRequest(format!("marker [{marker}] not found")))?;
            select = select.filter(after(&row, column, query.descending));
        }
        let order = if query.descending {
            sea_orm::Order::Desc
        } else {
            sea_orm::Order::Asc
        };
        let mut rows = select
            .order_by(column, order.clone())
            .order_by(flavor::Column::Flavorid, order)
            .all(&self.db)
            .await?;
        if let Some(pattern) = &query.name {
            let regex = regex::Regex::new(pattern).map_err(|e| {
                NovaError::BadRequest(format!("Invalid name filter [{pattern}]: {e}"))
            })?;
            rows.retain(|f| regex.is_match(&f.name));
        }
        rows.truncate(query.limit);
        Ok(rows)
    }

    /// Creates a flavor (admin).
    pub async fn create_flavor(&self, caller: &Caller, new: NewFlavor) -> Result<flavor::Model> {
        self.authorize(
            caller,
            "os_compute_api:os-flavor-manage:create",
            &serde_json::json!({}),
        )?;
        let id = new
            .id
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if flavor::Entity::find_by_id(id.as_str())
            .one(&self.db)
            .await?
            .is_some()
        {
            return Err(NovaError::Conflict(format!(
                "Flavor with ID {id} already exists."
            )));
        }
        let row = flavor::Model {
            flavorid: id,
            name: new.name.clone(),
            memory_mb: new.ram,
            vcpus: new.vcpus,
            root_gb: new.disk,
            ephemeral_gb: new.ephemeral,
            swap: new.swap,
            rxtx_factor: new.rxtx_factor,
            is_public: new.is_public,
            disabled: false,
            description: new.description,
            created_at: now(),
            updated_at: None,
        };
        flavor::Entity::insert(flavor::ActiveModel::from(row.clone()))
            .exec(&self.db)
            .await
            .map_err(|e| match ferrostack_db::DbError::from(e) {
                ferrostack_db::DbError::Duplicate(_) => {
                    NovaError::Conflict(format!("Flavor with name {} already exists.", new.name))
                }
                other => other.into(),
            })?;
        Ok(row)
    }

    /// Sets a flavor's description (2.55, admin).
    pub async fn update_flavor(
        &self,
        caller: &Caller,
        id: &str,
        description: Option<String>,
    ) -> Result<flavor::Model> {
        self.authorize(
            caller,
            "os_compute_api:os-flavor-manage:update",
            &serde_json::json!({}),
        )?;
        let row = self.flavor(caller, id).await?;
        let mut active: flavor::ActiveModel = row.into();
        active.description = Set(description);
        active.updated_at = Set(Some(now()));
        Ok(active.update(&self.db).await?)
    }

    /// Deletes a flavor with its extra specs and access list (admin).
    pub async fn delete_flavor(&self, caller: &Caller, id: &str) -> Result<()> {
        self.authorize(
            caller,
            "os_compute_api:os-flavor-manage:delete",
            &serde_json::json!({}),
        )?;
        let txn = self.db.begin().await?;
        let gone = flavor::Entity::delete_by_id(id).exec(&txn).await?;
        if gone.rows_affected == 0 {
            return Err(not_found(id));
        }
        flavor_extra_spec::Entity::delete_many()
            .filter(flavor_extra_spec::Column::Flavorid.eq(id))
            .exec(&txn)
            .await?;
        flavor_project::Entity::delete_many()
            .filter(flavor_project::Column::Flavorid.eq(id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Flavors shared with `project`.
fn shared_with(project: &str) -> sea_orm::sea_query::SimpleExpr {
    flavor::Column::Flavorid.in_subquery(
        Query::select()
            .column(flavor_project::Column::Flavorid)
            .from(flavor_project::Entity)
            .and_where(Expr::col(flavor_project::Column::ProjectId).eq(project))
            .to_owned(),
    )
}

/// Rows after `marker` in `column`'s order (ties broken by flavorid).
fn after(marker: &flavor::Model, column: flavor::Column, descending: bool) -> Condition {
    let value: sea_orm::Value = match column {
        flavor::Column::Name => marker.name.clone().into(),
        flavor::Column::MemoryMb => marker.memory_mb.into(),
        flavor::Column::Vcpus => marker.vcpus.into(),
        flavor::Column::RootGb => marker.root_gb.into(),
        flavor::Column::EphemeralGb => marker.ephemeral_gb.into(),
        flavor::Column::Swap => marker.swap.into(),
        flavor::Column::RxtxFactor => marker.rxtx_factor.into(),
        flavor::Column::IsPublic => marker.is_public.into(),
        flavor::Column::Disabled => marker.disabled.into(),
        flavor::Column::Description => marker.description.clone().into(),
        flavor::Column::CreatedAt => marker.created_at.into(),
        flavor::Column::UpdatedAt => marker.updated_at.into(),
        flavor::Column::Flavorid => marker.flavorid.clone().into(),
    };
    let keys = [
        ferrostack_db::keyset::SortKey {
            expr: Expr::col((flavor::Entity, column)).into(),
            marker: value,
            descending,
        },
        ferrostack_db::keyset::SortKey {
            expr: Expr::col((flavor::Entity, flavor::Column::Flavorid)).into(),
            marker: marker.flavorid.clone().into(),
            descending,
        },
    ];
    ferrostack_db::keyset::after(&keys)
}
