//! Quotas: volumes, snapshots and gigabytes per project (defaults from
//! configuration, overrides in the database), usage counted from what exists,
//! checked before every create with Cinder's 413 texts.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::{quota, snapshot, volume};

/// What a project uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub volumes: i64,
    pub snapshots: i64,
    pub gigabytes: i64,
}

impl Usage {
    pub fn of(&self, resource: &str) -> i64 {
        match resource {
            "volumes" => self.volumes,
            "snapshots" => self.snapshots,
            "gigabytes" => self.gigabytes,
            _ => 0,
        }
    }
}

fn over_limit(message: String) -> CinderError {
    CinderError::OverLimit(message)
}

impl Cinder {
    /// The limits of `project`: defaults, then its overrides.
    pub async fn limits_of(&self, project: &str) -> Result<BTreeMap<String, i64>> {
        let mut limits: BTreeMap<String, i64> = self
            .cfg
            .quota_defaults
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        for row in quota::Entity::find()
            .filter(quota::Column::ProjectId.eq(project))
            .all(&self.db)
            .await?
        {
            limits.insert(row.resource, row.hard_limit);
        }
        Ok(limits)
    }

    /// What `project` uses now.
    pub async fn usage_of(&self, project: &str) -> Result<Usage> {
        let volumes: Vec<i64> = volume::Entity::find()
            .select_only()
            .column(volume::Column::Size)
            .filter(volume::Column::ProjectId.eq(project))
            .into_tuple()
            .all(&self.db)
            .await?;
        let snapshots: Vec<i64> = snapshot::Entity::find()
            .select_only()
            .column(snapshot::Column::Size)
            .filter(snapshot::Column::ProjectId.eq(project))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(Usage {
            volumes: volumes.len() as i64,
            snapshots: snapshots.len() as i64,
            gigabytes: volumes.iter().sum::<i64>() + snapshots.iter().sum::<i64>(),
        })
    }

    /// Refuses (413) a new volume (`volume` true) or snapshot of `size` GiB for
    /// the caller's project when it would pass a limit.
    pub async fn check_quota(&self, caller: &Caller, volume: bool, size: i64) -> Result<()> {
        let project = caller.project();
        let limits = self.limits_of(project).await?;
        let usage = self.usage_of(project).await?;
        let limit = |name: &str| limits.get(name).copied().unwrap_or(-1);
        let per_volume = limit("per_volume_gigabytes");
        if volume && per_volume >= 0 && size > per_volume {
            return Err(over_limit(format!(
                "VolumeSizeExceedsLimit: Requested volume size {size}G is larger than maximum allowed limit {per_volume}G."
            )));
        }
        let gigabytes = limit("gigabytes");
        if gigabytes >= 0 && usage.gigabytes + size > gigabytes {
            return Err(over_limit(format!(
                "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested {size}G, quota is {gigabytes}G and {}G has been consumed.",
                usage.gigabytes
            )));
        }
        let (resource, used) = if volume {
            ("volumes", usage.volumes)
        } else {
            ("snapshots", usage.snapshots)
        };
        let allowed = limit(resource);
        if allowed >= 0 && used + 1 > allowed {
            return Err(over_limit(if volume {
                format!("VolumeLimitExceeded: Maximum number of volumes allowed ({allowed}) exceeded for quota 'volumes'.")
            } else {
                format!("SnapshotLimitExceeded: Maximum number of snapshots allowed ({allowed}) exceeded")
            }));
        }
        Ok(())
    }

    /// Sets `project`'s limits (admin).
    pub async fn set_quotas(
        &self,
        caller: &Caller,
        project: &str,
        values: &BTreeMap<String, serde_json::Value>,
    ) -> Result<()> {
        if !caller.is_admin {
            return Err(CinderError::policy("volume_extension:quotas:update"));
        }
        let known: Vec<&str> = self.cfg.quota_defaults.iter().map(|(k, _)| *k).collect();
        for (resource, value) in values {
            if !known.contains(&resource.as_str()) {
                return Err(CinderError::BadRequest(format!(
                    "Invalid input received: Bad key(s) in quota set: {resource}"
                )));
            }
            let limit = value
                .as_i64()
                .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
                .filter(|v| *v >= -1)
                .ok_or_else(|| {
                    CinderError::BadRequest(format!(
                        "Invalid input received: Quota limit {value} for {resource} must be an integer of at least -1."
                    ))
                })?;
            let row = quota::ActiveModel {
                project_id: sea_orm::ActiveValue::Set(project.to_string()),
                resource: sea_orm::ActiveValue::Set(resource.clone()),
                hard_limit: sea_orm::ActiveValue::Set(limit),
            };
            quota::Entity::insert(row)
                .on_conflict(
                    sea_orm::sea_query::OnConflict::columns([
                        quota::Column::ProjectId,
                        quota::Column::Resource,
                    ])
                    .update_column(quota::Column::HardLimit)
                    .to_owned(),
                )
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Back to the defaults (admin).
    pub async fn reset_quotas(&self, caller: &Caller, project: &str) -> Result<()> {
        if !caller.is_admin {
            return Err(CinderError::policy("volume_extension:quotas:delete"));
        }
        quota::Entity::delete_many()
            .filter(quota::Column::ProjectId.eq(project))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
