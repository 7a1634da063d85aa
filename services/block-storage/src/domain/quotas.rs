//! Quotas: project-wide limits (volumes, snapshots, gigabytes, ...) and, per
//! volume type, `volumes_<type>`, `snapshots_<type>` and `gigabytes_<type>`.
//! Defaults come from configuration (per-type ones are -1), overrides from the
//! database; usage is counted from what exists (an extend that works counts at
//! its new size) with Cinder's 413 texts. A claim counts, checks and writes in
//! one transaction holding the project's quota lock, so concurrent claims at the
//! limit never pass it together.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};

use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::{backup, quota, snapshot, volume, volume_type};

/// Quota keys counted per volume type.
const PER_TYPE: &[&str] = &["volumes", "snapshots", "gigabytes"];
/// Keys a limit is never checked against usage for.
const UNCOUNTED: &[&str] = &["per_volume_gigabytes"];

/// What a project uses, by quota key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage(BTreeMap<String, i64>);

impl Usage {
    pub fn of(&self, key: &str) -> i64 {
        self.0.get(key).copied().unwrap_or(0)
    }

    fn add(&mut self, key: String, amount: i64) {
        *self.0.entry(key).or_default() += amount;
    }
}

/// What a new volume or snapshot adds, or a retype moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim<'a> {
    /// A volume of `size` GiB of type `kind`.
    Volume { size: i64, kind: &'a str },
    /// A snapshot of a `size` GiB volume of type `kind`.
    Snapshot { size: i64, kind: &'a str },
    /// A volume of `size` GiB of type `kind` with `snapshots` snapshots taking
    /// `snapshot_gb`, transferred to the project.
    Transfer {
        size: i64,
        kind: &'a str,
        snapshots: i64,
        snapshot_gb: i64,
    },
    /// A backup of `size` GiB.
    Backup { size: i64 },
    /// A volume of type `kind` growing by `grow` GiB to `size`.
    Extend { size: i64, grow: i64, kind: &'a str },
    /// A volume of `size` GiB with `snapshots` snapshots taking `snapshot_gb`
    /// moving to type `kind`: only the per-type keys.
    Retype {
        size: i64,
        snapshots: i64,
        snapshot_gb: i64,
        kind: &'a str,
    },
}

impl Claim<'_> {
    /// The keys it adds to, and how much, with the GiB it asks for.
    fn deltas(&self) -> (Vec<(String, i64)>, i64) {
        match *self {
            Claim::Volume { size, kind } => (
                vec![
                    ("volumes".into(), 1),
                    ("gigabytes".into(), size),
                    (format!("volumes_{kind}"), 1),
                    (format!("gigabytes_{kind}"), size),
                ],
                size,
            ),
            Claim::Snapshot { size, kind } => (
                vec![
                    ("snapshots".into(), 1),
                    ("gigabytes".into(), size),
                    (format!("snapshots_{kind}"), 1),
                    (format!("gigabytes_{kind}"), size),
                ],
                size,
            ),
            Claim::Transfer {
                size,
                kind,
                snapshots,
                snapshot_gb,
            } => (
                [
                    ("volumes".to_string(), 1),
                    ("gigabytes".into(), size + snapshot_gb),
                    (format!("volumes_{kind}"), 1),
                    (format!("gigabytes_{kind}"), size + snapshot_gb),
                    ("snapshots".into(), snapshots),
                    (format!("snapshots_{kind}"), snapshots),
                ]
                .into_iter()
                .filter(|(_, amount)| *amount > 0)
                .collect(),
                size + snapshot_gb,
            ),
            Claim::Backup { size } => (
                vec![("backups".into(), 1), ("backup_gigabytes".into(), size)],
                size,
            ),
            Claim::Extend { grow, kind, .. } => (
                vec![
                    ("gigabytes".into(), grow),
                    (format!("gigabytes_{kind}"), grow),
                ],
                grow,
            ),
            Claim::Retype {
                size,
                snapshots,
                snapshot_gb,
                kind,
            } => (
                vec![
                    (format!("volumes_{kind}"), 1),
                    (format!("gigabytes_{kind}"), size + snapshot_gb),
                    (format!("snapshots_{kind}"), snapshots),
                ],
                size + snapshot_gb,
            ),
        }
    }
}

fn over_limit(message: String) -> CinderError {
    CinderError::OverLimit(message)
}

/// Cinder's 413 for the first (by name) key a claim passes.
fn refusal(key: &str, allowed: i64, used: i64, requested: i64) -> CinderError {
    if key == "backup_gigabytes" {
        return over_limit(format!(
            "VolumeBackupSizeExceedsAvailableQuota: Requested backup exceeds allowed Backup gigabytes quota. Requested {requested}G, quota is {allowed}G and {used}G has been consumed."
        ));
    }
    if key == "backups" {
        return over_limit(format!(
            "BackupLimitExceeded: Maximum number of backups allowed ({allowed}) exceeded"
        ));
    }
    if key.contains("gigabytes") {
        return over_limit(format!(
            "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed {key} quota. Requested {requested}G, quota is {allowed}G and {used}G has been consumed."
        ));
    }
    if key.starts_with("volumes") {
        return over_limit(format!(
            "VolumeLimitExceeded: Maximum number of volumes allowed ({allowed}) exceeded for quota '{key}'."
        ));
    }
    if key.starts_with("snapshots") {
        return over_limit(format!(
            "SnapshotLimitExceeded: Maximum number of snapshots allowed ({allowed}) exceeded"
        ));
    }
    over_limit(format!(
        "UnexpectedOverQuota: Unexpected over quota on {key}."
    ))
}

impl Cinder {
    /// Every quota key with its default: the configured project-wide ones and
    /// -1 for each key of each volume type, or the `default` quota class's.
    pub async fn quota_defaults(&self) -> Result<BTreeMap<String, i64>> {
        self.quota_defaults_in(&self.db).await
    }

    async fn quota_defaults_in(&self, db: &impl ConnectionTrait) -> Result<BTreeMap<String, i64>> {
        let mut defaults: BTreeMap<String, i64> = self
            .cfg
            .quota_defaults
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        for kind in volume_type::Entity::find().all(db).await? {
            for resource in PER_TYPE {
                defaults.insert(format!("{resource}_{}", kind.name), -1);
            }
        }
        super::quota_classes::overlay(db, super::quota_classes::DEFAULT_CLASS, &mut defaults)
            .await?;
        Ok(defaults)
    }

    /// The limits of `project`: defaults, then its overrides of known keys.
    pub async fn limits_of(&self, project: &str) -> Result<BTreeMap<String, i64>> {
        self.limits_in(&self.db, project).await
    }

    async fn limits_in(
        &self,
        db: &impl ConnectionTrait,
        project: &str,
    ) -> Result<BTreeMap<String, i64>> {
        let mut limits = self.quota_defaults_in(db).await?;
        for row in quota::Entity::find()
            .filter(quota::Column::ProjectId.eq(project))
            .all(db)
            .await?
        {
            if let Some(limit) = limits.get_mut(&row.resource) {
                *limit = row.hard_limit;
            }
        }
        Ok(limits)
    }

    /// What `project` uses now, project-wide and per type.
    pub async fn usage_of(&self, project: &str) -> Result<Usage> {
        usage_in(&self.db, project).await
    }

    /// Starts `claim` for `project`: a transaction holding the project's quota
    /// lock in which the claim was counted and fits (413 otherwise). The caller
    /// writes what it claimed in it and commits; dropping it gives the claim up.
    pub async fn claim_quota(
        &self,
        project: &str,
        claim: Claim<'_>,
    ) -> Result<DatabaseTransaction> {
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, project).await?;
        let limits = self.limits_in(&txn, project).await?;
        let usage = usage_in(&txn, project).await?;
        check(&limits, &usage, claim)?;
        Ok(txn)
    }

    /// Sets `project`'s limits (admin).
    pub async fn set_quotas(
        &self,
        caller: &Caller,
        project: &str,
        values: &BTreeMap<String, i64>,
    ) -> Result<()> {
        self.authorize(caller, "volume_extension:quotas:update", caller.project())?;
        let known = self.quota_defaults().await?;
        let unknown: Vec<&str> = values
            .iter()
            .filter(|(key, _)| !known.contains_key(*key))
            .map(|(key, _)| key.as_str())
            .collect();
        if !unknown.is_empty() {
            return Err(CinderError::BadRequest(format!(
                "Invalid input received: Bad key(s) in quota set: {}",
                unknown.join(", ")
            )));
        }
        let usage = self.usage_of(project).await?;
        let mut limits = Vec::new();
        for (key, &limit) in values {
            let used = usage.of(key);
            if limit >= 0 && !UNCOUNTED.contains(&key.as_str()) && limit < used {
                return Err(CinderError::BadRequest(format!(
                    "Quota {key} limit must be equal or greater than existing resources. Current usage is {used} and the requested limit is {limit}."
                )));
            }
            limits.push((key.clone(), limit));
        }
        for (resource, limit) in limits {
            let row = quota::ActiveModel {
                project_id: sea_orm::ActiveValue::Set(project.to_string()),
                resource: sea_orm::ActiveValue::Set(resource),
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

    /// Moves every project's per-type limits of type `old` to its new name.
    pub(crate) async fn rename_type_quotas(&self, old: &str, new: &str) -> Result<()> {
        use sea_orm::sea_query::Expr;
        for resource in PER_TYPE {
            quota::Entity::update_many()
                .col_expr(
                    quota::Column::Resource,
                    Expr::value(format!("{resource}_{new}")),
                )
                .filter(quota::Column::Resource.eq(format!("{resource}_{old}")))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Back to the defaults (admin).
    pub async fn reset_quotas(&self, caller: &Caller, project: &str) -> Result<()> {
        self.authorize(caller, "volume_extension:quotas:delete", caller.project())?;
        quota::Entity::delete_many()
            .filter(quota::Column::ProjectId.eq(project))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

/// What `project` uses now, project-wide and per type.
async fn usage_in(db: &impl ConnectionTrait, project: &str) -> Result<Usage> {
    let names: HashMap<String, String> = volume_type::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let volumes: Vec<(String, String, i64, Option<i64>)> = volume::Entity::find()
        .select_only()
        .columns([volume::Column::Id, volume::Column::VolumeTypeId])
        .column(volume::Column::Size)
        .column(volume::Column::PendingSize)
        .filter(volume::Column::ProjectId.eq(project))
        .into_tuple()
        .all(db)
        .await?;
    let snapshots: Vec<(String, i64)> = snapshot::Entity::find()
        .select_only()
        .column(snapshot::Column::VolumeId)
        .column(snapshot::Column::Size)
        .filter(snapshot::Column::ProjectId.eq(project))
        .into_tuple()
        .all(db)
        .await?;
    let backups: Vec<i64> = backup::Entity::find()
        .select_only()
        .column(backup::Column::Size)
        .filter(backup::Column::ProjectId.eq(project))
        .into_tuple()
        .all(db)
        .await?;
    let type_of: HashMap<&str, &str> = volumes
        .iter()
        .filter_map(|(id, kind, _, _)| names.get(kind).map(|n| (id.as_str(), n.as_str())))
        .collect();
    let mut usage = Usage::default();
    for (_, kind, size, pending) in &volumes {
        let size = (*size).max(pending.unwrap_or(0));
        usage.add("volumes".into(), 1);
        usage.add("gigabytes".into(), size);
        if let Some(name) = names.get(kind) {
            usage.add(format!("volumes_{name}"), 1);
            usage.add(format!("gigabytes_{name}"), size);
        }
    }
    for (volume_id, size) in &snapshots {
        usage.add("snapshots".into(), 1);
        usage.add("gigabytes".into(), *size);
        if let Some(name) = type_of.get(volume_id.as_str()) {
            usage.add(format!("snapshots_{name}"), 1);
            usage.add(format!("gigabytes_{name}"), *size);
        }
    }
    for size in backups {
        usage.add("backups".into(), 1);
        usage.add("backup_gigabytes".into(), size);
    }
    Ok(usage)
}

/// Refuses (413) `claim` when it would pass one of `limits` given `usage`.
fn check(limits: &BTreeMap<String, i64>, usage: &Usage, claim: Claim<'_>) -> Result<()> {
    let limit = |name: &str| limits.get(name).copied().unwrap_or(-1);
    if let Claim::Volume { size, .. } | Claim::Transfer { size, .. } | Claim::Extend { size, .. } =
        claim
    {
        let per_volume = limit("per_volume_gigabytes");
        if per_volume >= 0 && size > per_volume {
            return Err(over_limit(format!(
                "VolumeSizeExceedsLimit: Requested volume size {size}G is larger than maximum allowed limit {per_volume}G."
            )));
        }
    }
    let (deltas, requested) = claim.deltas();
    let mut overs: Vec<&(String, i64)> = deltas
        .iter()
        .filter(|(key, amount)| {
            let allowed = limit(key);
            allowed >= 0 && usage.of(key) + amount > allowed
        })
        .collect();
    overs.sort();
    match overs.first() {
        Some((key, _)) => Err(refusal(key, limit(key), usage.of(key), requested)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_first_key_passed() {
        assert_eq!(
            refusal("gigabytes_gold", 5, 1, 5).to_string(),
            "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes_gold quota. Requested 5G, quota is 5G and 1G has been consumed."
        );
        assert_eq!(
            refusal("volumes_gold", 1, 1, 1).to_string(),
            "VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded for quota 'volumes_gold'."
        );
        assert_eq!(
            refusal("snapshots_gold", 1, 1, 1).to_string(),
            "SnapshotLimitExceeded: Maximum number of snapshots allowed (1) exceeded"
        );
    }
}
