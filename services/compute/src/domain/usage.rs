//! Simple tenant usage (`os-simple-tenant-usage`): how many hours each server
//! of a project ran within a period, and what that cost in vCPU, RAM and disk
//! hours — counted as Nova counts them, from launch to termination (or the
//! period's end), deleted servers included.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::servers::InstanceFlavor;
use super::{Caller, Nova, Result};
use crate::db::entity::instance;

/// One server's usage in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerUsage {
    pub row: instance::Model,
    pub flavor: InstanceFlavor,
    pub hours: f64,
}

/// A project's usage in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantUsage {
    pub project_id: String,
    pub servers: Vec<ServerUsage>,
}

impl TenantUsage {
    pub fn total_hours(&self) -> f64 {
        self.servers.iter().map(|s| s.hours).sum()
    }

    /// The sum over servers of `per(server) × hours`.
    pub fn total(&self, per: impl Fn(&InstanceFlavor) -> i64) -> f64 {
        self.servers
            .iter()
            .map(|s| per(&s.flavor) as f64 * s.hours)
            .sum()
    }
}

/// Hours `row` ran between `start` and `stop`, as Nova's `_hours_for`.
pub fn hours_for(row: &instance::Model, start: NaiveDateTime, stop: NaiveDateTime) -> f64 {
    let Some(launched) = row.launched_at else {
        return 0.0;
    };
    if row.terminated_at.is_some_and(|t| t < start) || launched > stop {
        return 0.0;
    }
    let from = launched.max(start);
    let to = row.terminated_at.map_or(stop, |t| t.min(stop));
    ((to - from).num_milliseconds() as f64 / 3_600_000.0).max(0.0)
}

impl Nova {
    /// Usage between `start` and `stop` of `project` (every project's when
    /// `None`, admin only).
    pub async fn tenant_usages(
        &self,
        caller: &Caller,
        project: Option<&str>,
        start: NaiveDateTime,
        stop: NaiveDateTime,
    ) -> Result<Vec<TenantUsage>> {
        match project {
            Some(project) => self.authorize(
                caller,
                "os_compute_api:os-simple-tenant-usage:show",
                &json!({"project_id": project}),
            )?,
            None => self.authorize(
                caller,
                "os_compute_api:os-simple-tenant-usage:list",
                &json!({"project_id": caller.project()}),
            )?,
        }
        // Servers not terminated before the period and created before its end.
        let mut condition = Condition::all()
            .add(
                Condition::any()
                    .add(instance::Column::TerminatedAt.is_null())
                    .add(instance::Column::TerminatedAt.gte(start)),
            )
            .add(instance::Column::CreatedAt.lte(stop));
        if let Some(project) = project {
            condition = condition.add(instance::Column::ProjectId.eq(project));
        }
        let rows = instance::Entity::find()
            .filter(condition)
            .order_by_asc(instance::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let mut by_project: BTreeMap<String, Vec<ServerUsage>> = BTreeMap::new();
        for row in rows {
            let hours = hours_for(&row, start, stop);
            by_project
                .entry(row.project_id.clone())
                .or_default()
                .push(ServerUsage {
                    flavor: InstanceFlavor::parse(&row.flavor),
                    hours,
                    row,
                });
        }
        Ok(by_project
            .into_iter()
            .map(|(project_id, servers)| TenantUsage {
                project_id,
                servers,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::hours_for;
    use chrono::NaiveDate;

    fn at(hour: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    }

    #[test]
    fn hours_within_the_period() {
        let mut row = crate::db::entity::instance::Model {
            uuid: "u".into(),
            display_name: String::new(),
            hostname: String::new(),
            description: None,
            project_id: "p".into(),
            user_id: "u".into(),
            image_ref: String::new(),
            flavorid: String::new(),
            auto_disk_config: false,
            flavor: String::new(),
            vcpus: 1,
            memory_mb: 1,
            vm_state: "active".into(),
            task_state: None,
            power_state: 1,
            host: None,
            node: None,
            availability_zone: None,
            key_name: None,
            key_data: None,
            user_data: None,
            config_drive: false,
            access_ip_v4: None,
            access_ip_v6: None,
            locked: false,
            locked_by: None,
            locked_reason: None,
            reservation_id: String::new(),
            launch_index: 0,
            progress: 0,
            launched_at: Some(at(2)),
            terminated_at: None,
            created_at: at(1),
            updated_at: at(1),
            deleted: false,
            deleted_at: None,
        };
        assert_eq!(hours_for(&row, at(0), at(5)), 3.0);
        assert_eq!(hours_for(&row, at(3), at(5)), 2.0);
        row.terminated_at = Some(at(4));
        assert_eq!(hours_for(&row, at(0), at(10)), 2.0);
        assert_eq!(hours_for(&row, at(5), at(10)), 0.0);
        row.launched_at = None;
        assert_eq!(hours_for(&row, at(0), at(10)), 0.0);
    }
}
