//! Flavor access (admin): the projects a private flavor is shared with.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use super::{Caller, Nova, NovaError, Result};
use crate::db::entity::flavor_project;

impl Nova {
    /// The projects private flavor `id` is shared with.
    pub async fn flavor_access(&self, caller: &Caller, id: &str) -> Result<Vec<String>> {
        self.authorize(caller, "os_compute_api:os-flavor-access", &json!({}))?;
        let flavor = self.flavor(caller, id).await?;
        if flavor.is_public {
            return Err(NovaError::NotFound(
                "Access list not available for public flavors.".into(),
            ));
        }
        self.flavor_access_unchecked(id).await
    }

    /// The projects flavor `id` is shared with, for answers to access changes.
    pub async fn flavor_access_unchecked(&self, id: &str) -> Result<Vec<String>> {
        Ok(flavor_project::Entity::find()
            .filter(flavor_project::Column::Flavorid.eq(id))
            .order_by_asc(flavor_project::Column::ProjectId)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| a.project_id)
            .collect())
    }

    /// Shares flavor `id` with `project`; a public flavor refuses (409) when
    /// `refuse_public` (2.7).
    pub async fn add_flavor_access(
        &self,
        caller: &Caller,
        id: &str,
        project: &str,
        refuse_public: bool,
    ) -> Result<()> {
        self.authorize(
            caller,
            "os_compute_api:os-flavor-access:add_tenant_access",
            &json!({}),
        )?;
        let flavor = self.flavor(caller, id).await?;
        if flavor.is_public && refuse_public {
            return Err(NovaError::Conflict(
                "Can not add access to a public flavor.".into(),
            ));
        }
        let exists = flavor_project::Entity::find_by_id((id.to_string(), project.to_string()))
            .one(&self.db)
            .await?
            .is_some();
        if exists {
            return Err(NovaError::Conflict(format!(
                "Flavor access already exists for flavor {id} and project {project} combination."
            )));
        }
        flavor_project::Entity::insert(flavor_project::ActiveModel {
            flavorid: Set(id.to_string()),
            project_id: Set(project.to_string()),
        })
        .exec(&self.db)
        .await?;
        Ok(())
    }

    /// Stops sharing flavor `id` with `project`.
    pub async fn remove_flavor_access(
        &self,
        caller: &Caller,
        id: &str,
        project: &str,
    ) -> Result<()> {
        self.authorize(
            caller,
            "os_compute_api:os-flavor-access:remove_tenant_access",
            &json!({}),
        )?;
        self.flavor(caller, id).await?;
        let gone = flavor_project::Entity::delete_many()
            .filter(flavor_project::Column::Flavorid.eq(id))
            .filter(flavor_project::Column::ProjectId.eq(project))
            .exec(&self.db)
            .await?;
        if gone.rows_affected == 0 {
            return Err(NovaError::NotFound(format!(
                "Flavor access not found for {id} / {project} combination."
            )));
        }
        Ok(())
    }
}
