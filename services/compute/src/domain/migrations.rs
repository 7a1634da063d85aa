//! Listing server moves (`os-migrations`, admin).

use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use crate::db::entity::migration;
use crate::domain::{Caller, Nova, NovaError, Result};

/// What `GET /os-migrations` filters by.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MigrationFilters {
    pub instance_uuid: Option<String>,
    pub status: Option<String>,
    /// Either end of the move.
    pub host: Option<String>,
    pub source_compute: Option<String>,
    pub migration_type: Option<String>,
    pub project_id: Option<String>,
    pub user_id: Option<String>,
    /// The uuid of the last migration of the previous page (2.59).
    pub marker: Option<String>,
    /// At most this many (`usize::MAX`: all).
    pub limit: usize,
}

impl Nova {
    /// Migrations newest first.
    pub async fn list_migrations(
        &self,
        caller: &Caller,
        filters: MigrationFilters,
    ) -> Result<Vec<migration::Model>> {
        self.authorize(
            caller,
            "os_compute_api:os-migrations:index",
            &json!({"project_id": caller.project()}),
        )?;
        let mut query = migration::Entity::find();
        let exact = [
            (migration::Column::InstanceUuid, &filters.instance_uuid),
            (migration::Column::Status, &filters.status),
            (migration::Column::SourceCompute, &filters.source_compute),
            (migration::Column::MigrationType, &filters.migration_type),
            (migration::Column::ProjectId, &filters.project_id),
            (migration::Column::UserId, &filters.user_id),
        ];
        for (column, value) in exact {
            if let Some(value) = value {
                query = query.filter(column.eq(value.as_str()));
            }
        }
        if let Some(host) = &filters.host {
            query = query.filter(
                Condition::any()
                    .add(migration::Column::SourceCompute.eq(host.as_str()))
                    .add(migration::Column::DestCompute.eq(host.as_str())),
            );
        }
        if let Some(marker) = &filters.marker {
            let at = migration::Entity::find()
                .filter(migration::Column::Uuid.eq(marker.as_str()))
                .one(&self.db)
                .await?
                .ok_or_else(|| {
                    NovaError::NotFound(format!("Marker {marker} could not be found."))
                })?;
            query = query.filter(migration::Column::Id.lt(at.id));
        }
        if filters.limit < usize::MAX {
            query = query.limit(filters.limit as u64);
        }
        Ok(query
            .order_by_desc(migration::Column::Id)
            .all(&self.db)
            .await?)
    }
}
