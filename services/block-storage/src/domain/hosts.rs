//! `os-hosts` (admin, deprecated upstream but still served): the enabled
//! services by host, and what a volume host holds, in total and per project.

use std::collections::BTreeMap;

use ferrostack_db::service_registry::{self, ServiceState};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::{service, snapshot, volume};

/// What a host holds for one project, or for all of them (`project: None`).
#[derive(Debug, Default, PartialEq)]
pub struct HostUsage {
    pub project: Option<String>,
    pub volume_count: u64,
    pub total_volume_gb: i64,
    pub snapshot_count: u64,
    pub total_snapshot_gb: i64,
}

impl HostUsage {
    fn add(&mut self, other: &HostUsage) {
        self.volume_count += other.volume_count;
        self.total_volume_gb += other.total_volume_gb;
        self.snapshot_count += other.snapshot_count;
        self.total_snapshot_gb += other.total_snapshot_gb;
    }
}

impl Cinder {
    /// The enabled services, in `zone` when given.
    pub async fn list_hosts(
        &self,
        caller: &Caller,
        zone: Option<&str>,
    ) -> Result<Vec<ServiceState>> {
        self.authorize(caller, "volume_extension:hosts", caller.project())?;
        Ok(service_registry::list(&self.db, self.cfg.service_down_time)
            .await?
            .into_iter()
            .filter(|s| !s.disabled)
            .filter(|s| zone.is_none_or(|z| z.is_empty() || s.zone == z))
            .collect())
    }

    /// The volumes and snapshots on volume host `host`: the total first, then
    /// each project's.
    pub async fn host_usage(&self, caller: &Caller, host: &str) -> Result<Vec<HostUsage>> {
        self.authorize(caller, "volume_extension:hosts", caller.project())?;
        let registered = service::Entity::find()
            .filter(service::Column::Host.eq(host))
            .filter(service::Column::Binary.eq(crate::volume::BINARY))
            .one(&self.db)
            .await?;
        if registered.is_none() {
            return Err(CinderError::NotFound(format!(
                "Service None could not be found on host {host}."
            )));
        }
        let on_host = Condition::any()
            .add(volume::Column::Host.eq(host))
            .add(volume::Column::Host.starts_with(format!("{host}#")));
        let volumes = volume::Entity::find().filter(on_host).all(&self.db).await?;
        let ids: Vec<&str> = volumes.iter().map(|v| v.id.as_str()).collect();
        let snapshots = snapshot::Entity::find()
            .filter(snapshot::Column::VolumeId.is_in(ids))
            .all(&self.db)
            .await?;
        let mut projects: BTreeMap<String, HostUsage> = BTreeMap::new();
        for v in &volumes {
            let usage = projects.entry(v.project_id.clone()).or_default();
            usage.volume_count += 1;
            usage.total_volume_gb += v.size;
        }
        for s in &snapshots {
            let usage = projects.entry(s.project_id.clone()).or_default();
            usage.snapshot_count += 1;
            usage.total_snapshot_gb += s.size;
        }
        let mut total = HostUsage::default();
        let mut each = Vec::new();
        for (project, mut usage) in projects {
            total.add(&usage);
            usage.project = Some(project);
            each.push(usage);
        }
        Ok(std::iter::once(total).chain(each).collect())
    }
}
