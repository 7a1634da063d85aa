//! A flavor's extra specs: index, merge-create, show, update and delete one key.

use std::collections::BTreeMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use super::{Caller, Nova, NovaError, Result};
use crate::db::entity::flavor_extra_spec;

fn no_key(flavor_id: &str, key: &str) -> NovaError {
    NovaError::NotFound(format!(
        "Flavor {flavor_id} has no extra specs with key {key}."
    ))
}

impl Nova {
    /// The extra specs of flavor `id` (any project reader).
    pub async fn list_extra_specs(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<BTreeMap<String, String>> {
        self.authorize(
            caller,
            "os_compute_api:os-flavor-extra-specs:index",
            caller.project(),
        )?;
        self.flavor(caller, id).await?;
        self.extra_specs_of(id).await
    }

    /// Whether `caller` may see extra specs inside flavors (2.61).
    pub fn may_see_extra_specs(&self, caller: &Caller) -> bool {
        self.authorize(
            caller,
            "os_compute_api:os-flavor-extra-specs:index",
            caller.project(),
        )
        .is_ok()
    }

    /// One extra spec of flavor `id`.
    pub async fn show_extra_spec(&self, caller: &Caller, id: &str, key: &str) -> Result<String> {
        self.authorize(
            caller,
            "os_compute_api:os-flavor-extra-specs:show",
            caller.project(),
        )?;
        self.flavor(caller, id).await?;
        flavor_extra_spec::Entity::find_by_id((id.to_string(), key.to_string()))
            .one(&self.db)
            .await?
            .map(|s| s.value)
            .ok_or_else(|| no_key(id, key))
    }

    /// Adds or replaces extra specs of flavor `id` (admin); `update` names the
    /// policy of a one-key PUT instead of a POST.
    pub async fn set_extra_specs(
        &self,
        caller: &Caller,
        id: &str,
        specs: &BTreeMap<String, String>,
        update: bool,
    ) -> Result<()> {
        let rule = if update {
            "os_compute_api:os-flavor-extra-specs:update"
        } else {
            "os_compute_api:os-flavor-extra-specs:create"
        };
        self.authorize(caller, rule, &json!({}))?;
        self.flavor(caller, id).await?;
        for (key, value) in specs {
            let row = flavor_extra_spec::ActiveModel {
                flavorid: Set(id.to_string()),
                key: Set(key.clone()),
                value: Set(value.clone()),
            };
            flavor_extra_spec::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([
                        flavor_extra_spec::Column::Flavorid,
                        flavor_extra_spec::Column::Key,
                    ])
                    .update_column(flavor_extra_spec::Column::Value)
                    .to_owned(),
                )
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Removes one extra spec of flavor `id` (admin).
    pub async fn delete_extra_spec(&self, caller: &Caller, id: &str, key: &str) -> Result<()> {
        self.authorize(
            caller,
            "os_compute_api:os-flavor-extra-specs:delete",
            &json!({}),
        )?;
        self.flavor(caller, id).await?;
        let gone = flavor_extra_spec::Entity::delete_many()
            .filter(flavor_extra_spec::Column::Flavorid.eq(id))
            .filter(flavor_extra_spec::Column::Key.eq(key))
            .exec(&self.db)
            .await?;
        if gone.rows_affected == 0 {
            return Err(no_key(id, key));
        }
        Ok(())
    }
}
