//! Snapshots: taken by the volume's manager over RPC; list, show, update, delete.

use std::collections::BTreeMap;

use crate::rpc::messages::SnapshotRequest;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::{snapshot, volume, volume_type};
use crate::rpc;

/// The `snapshot` object of a create request.
#[derive(Debug, Deserialize)]
pub struct SnapshotCreate {
    /// The volume; null names none, which Cinder answers as volume `None`
    /// not found.
    pub volume_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// Whether an in-use volume may be snapshotted: Cinder's boolean as
    /// given, `true` once the API has read it so.
    pub force: Option<serde_json::Value>,
    pub metadata: Option<BTreeMap<String, String>>,
}

/// The `snapshot` object of an update request.
#[derive(Debug, Deserialize)]
pub struct SnapshotChange {
    pub name: Option<String>,
    pub description: Option<String>,
}

fn not_found(id: &str) -> CinderError {
    CinderError::NotFound(format!("Snapshot {id} could not be found."))
}

impl Cinder {
    /// Snapshots an available volume, or with force an in-use one (status
    /// `creating` until its manager reports).
    pub async fn create_snapshot(
        &self,
        caller: &Caller,
        request: SnapshotCreate,
    ) -> Result<snapshot::Model> {
        self.make_snapshot(caller, request, None).await
    }

    /// Makes a snapshot, part of group snapshot `group_snapshot` when given.
    pub(crate) async fn make_snapshot(
        &self,
        caller: &Caller,
        request: SnapshotCreate,
        group_snapshot: Option<&str>,
    ) -> Result<snapshot::Model> {
        let metadata = request.metadata.unwrap_or_default();
        super::metadata::check(super::metadata::Owner::Volume, &metadata)?;
        let volume_id = request.volume_id.as_deref().unwrap_or("None");
        let source = self.show_volume(caller, volume_id).await?;
        self.authorize(caller, "volume:create_snapshot", &source)?;
        self.assert_not_frozen(source.host.as_deref()).await?;
        if !super::migrate::not_migrating(source.migration_status.as_deref()) {
            return Err(CinderError::BadRequest(
                "Invalid volume: Snapshot cannot be created while volume is migrating.".into(),
            ));
        }
        let force = request.force == Some(serde_json::Value::Bool(true));
        let allowed: &[&str] = if force {
            &["available", "in-use"]
        } else {
            &["available"]
        };
        if !allowed.contains(&source.status.as_str()) {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {} status must be {}, but current status is: {}.",
                source.id,
                allowed.join(" or "),
                source.status
            )));
        }
        let kind = volume_type::Entity::find_by_id(source.volume_type_id.as_str())
            .one(&self.db)
            .await?
            .map(|t| t.name)
            .unwrap_or_default();
        let host = source.host.clone().ok_or_else(|| {
            CinderError::BadRequest(format!(
                "Invalid volume: Volume {} has no backend.",
                source.id
            ))
        })?;
        let now = now();
        let row = snapshot::Model {
            id: uuid::Uuid::new_v4().to_string(),
            volume_id: source.id.clone(),
            project_id: caller.project().to_string(),
            user_id: caller.ctx.user_id.clone(),
            name: request.name,
            description: request.description,
            status: "creating".into(),
            size: source.size,
            metadata: serde_json::to_string(&metadata).unwrap_or_default(),
            progress: None,
            group_snapshot_id: group_snapshot.map(str::to_string),
            created_at: now,
            updated_at: now,
        };
        let claim = self
            .claim_quota(
                caller.project(),
                super::quotas::Claim::Snapshot {
                    size: source.size,
                    kind: &kind,
                },
            )
            .await?;
        snapshot::Entity::insert(snapshot::ActiveModel::from(row.clone()))
            .exec(&claim)
            .await?;
        claim.commit().await?;
        let message = SnapshotRequest {
            id: row.id.clone(),
            volume_id: source.id,
            host: host.clone(),
        };
        if let Err(e) = self
            .volume
            .cast::<rpc::volume::CreateSnapshot>(&caller.rpc_context(), Some(&host), &message)
            .await
        {
            tracing::error!(snapshot = row.id, "volume host unreachable: {e}");
            self.set_snapshot_status(&row.id, "error").await?;
        }
        Ok(row)
    }

    pub(crate) async fn set_snapshot_status(&self, id: &str, status: &str) -> Result<()> {
        snapshot::Entity::update_many()
            .col_expr(snapshot::Column::Status, Expr::value(status))
            .col_expr(snapshot::Column::UpdatedAt, Expr::value(now()))
            .filter(snapshot::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The snapshot `id` as `caller` may see it.
    pub async fn show_snapshot(&self, caller: &Caller, id: &str) -> Result<snapshot::Model> {
        let row = snapshot::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        if !caller.is_admin && row.project_id != caller.project() {
            return Err(not_found(id));
        }
        self.authorize(caller, "volume:get_snapshot", &row)?;
        Ok(row)
    }

    /// Renames or describes a snapshot.
    pub async fn update_snapshot(
        &self,
        caller: &Caller,
        id: &str,
        change: SnapshotChange,
    ) -> Result<snapshot::Model> {
        let mut row = self.show_snapshot(caller, id).await?;
        self.authorize(caller, "volume:update_snapshot", &row)?;
        if let Some(name) = change.name {
            row.name = Some(name);
        }
        if let Some(description) = change.description {
            row.description = Some(description);
        }
        row.updated_at = now();
        snapshot::ActiveModel::from(row.clone())
            .reset_all()
            .update(&self.db)
            .await?;
        Ok(row)
    }

    /// Starts deleting a snapshot (status `deleting`).
    pub async fn delete_snapshot(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self.show_snapshot(caller, id).await?;
        self.authorize(caller, "volume:delete_snapshot", &row)?;
        let host = volume::Entity::find_by_id(row.volume_id.as_str())
            .one(&self.db)
            .await?
            .and_then(|v| v.host);
        self.assert_not_frozen(host.as_deref()).await?;
        if !matches!(
            row.status.as_str(),
            "available" | "error" | "error_deleting"
        ) || row.group_snapshot_id.is_some()
        {
            return Err(CinderError::BadRequest(format!(
                "Invalid snapshot: Snapshot status must be available or error and must not be part of a group, currently {}.",
                row.status
            )));
        }
        self.remove_snapshot(caller, &row).await
    }

    /// Marks `row` deleting and asks its volume's manager to remove it.
    pub(crate) async fn remove_snapshot(
        &self,
        caller: &Caller,
        row: &snapshot::Model,
    ) -> Result<()> {
        self.set_snapshot_status(&row.id, "deleting").await?;
        let host = volume::Entity::find_by_id(row.volume_id.as_str())
            .one(&self.db)
            .await?
            .and_then(|v| v.host);
        let Some(host) = host else {
            snapshot::Entity::delete_by_id(row.id.as_str())
                .exec(&self.db)
                .await?;
            return Ok(());
        };
        let message = SnapshotRequest {
            id: row.id.clone(),
            volume_id: row.volume_id.clone(),
            host: host.clone(),
        };
        if let Err(e) = self
            .volume
            .cast::<rpc::volume::DeleteSnapshot>(&caller.rpc_context(), Some(&host), &message)
            .await
        {
            tracing::error!(snapshot = row.id, "volume host unreachable: {e}");
            self.set_snapshot_status(&row.id, "error_deleting").await?;
        }
        Ok(())
    }

    /// The snapshots of volume `volume_id`.
    pub(crate) async fn snapshots_of(&self, volume_id: &str) -> Result<Vec<snapshot::Model>> {
        Ok(snapshot::Entity::find()
            .filter(snapshot::Column::VolumeId.eq(volume_id))
            .all(&self.db)
            .await?)
    }
}
