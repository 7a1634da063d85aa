//! The deprecated `os-hosts` API (to 2.42): hosts as their enabled services
//! make them, a compute host's resources and each project's use of them, and
//! enabling or disabling a compute host. Host maintenance and power actions
//! are the virt driver's, and no driver here does them (501, as libvirt).

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::infrastructure::{ServiceChange, ServiceTarget};
use super::servers::InstanceFlavor;
use super::{Caller, Nova, NovaError, Result};
use crate::db::entity::{compute_node, instance};

/// One host as `os-hosts` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct HostEntry {
    pub host_name: String,
    /// `compute`, `scheduler`, `conductor`.
    pub service: String,
    pub zone: String,
}

/// vCPUs, RAM and disk, as `os-hosts/{host}` counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Resources {
    pub cpu: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
}

/// A compute host's resources: its node's total and use, what its servers'
/// flavors add up to, and that by project.
#[derive(Debug, Clone, PartialEq)]
pub struct HostResources {
    pub total: Resources,
    pub used_now: Resources,
    pub used_max: Resources,
    pub by_project: BTreeMap<String, Resources>,
}

/// What a host power action or maintenance mode answers: the driver cannot.
pub fn not_supported(what: &str) -> NovaError {
    NovaError::NotImplemented(format!("Virt driver does not implement host {what}."))
}

fn host_not_found(host: &str) -> NovaError {
    NovaError::NotFound(format!("Compute host {host} could not be found."))
}

impl Nova {
    /// The hosts of enabled services (in `zone` when given).
    pub async fn list_hosts(&self, caller: &Caller, zone: Option<&str>) -> Result<Vec<HostEntry>> {
        self.authorize(caller, "os_compute_api:os-hosts:list", &json!({}))?;
        Ok(self
            .services()
            .await?
            .into_iter()
            .filter(|s| !s.state.disabled)
            .filter(|s| zone.is_none_or(|z| z.is_empty() || s.state.zone == z))
            .map(|s| HostEntry {
                host_name: s.state.host.clone(),
                service: s.state.binary.trim_start_matches("nova-").to_string(),
                zone: s.state.zone.clone(),
            })
            .collect())
    }

    /// Checks that `host` runs a compute service.
    async fn compute_host(&self, host: &str) -> Result<()> {
        let found = self
            .services()
            .await?
            .into_iter()
            .any(|s| s.state.host == host && s.state.binary == "nova-compute");
        if found {
            Ok(())
        } else {
            Err(host_not_found(host))
        }
    }

    /// A compute host's resources (admin).
    pub async fn host_resources(&self, caller: &Caller, host: &str) -> Result<HostResources> {
        self.authorize(caller, "os_compute_api:os-hosts:show", &json!({}))?;
        self.compute_host(host).await?;
        let mut total = Resources::default();
        let mut used_now = Resources::default();
        for node in compute_node::Entity::find()
            .filter(compute_node::Column::Host.eq(host))
            .all(&self.db)
            .await?
        {
            total.cpu += node.vcpus;
            total.memory_mb += node.memory_mb;
            total.disk_gb += node.local_gb;
            used_now.cpu += node.vcpus_used;
            used_now.memory_mb += node.memory_mb_used;
            used_now.disk_gb += node.local_gb_used;
        }
        let mut used_max = Resources::default();
        let mut by_project: BTreeMap<String, Resources> = BTreeMap::new();
        for server in instance::Entity::find()
            .filter(instance::Column::Host.eq(host))
            .filter(instance::Column::Deleted.eq(false))
            .all(&self.db)
            .await?
        {
            let flavor = InstanceFlavor::parse(&server.flavor);
            let disk = flavor.root_gb + flavor.ephemeral_gb;
            for sum in [
                &mut used_max,
                by_project.entry(server.project_id).or_default(),
            ] {
                sum.cpu += server.vcpus;
                sum.memory_mb += server.memory_mb;
                sum.disk_gb += disk;
            }
        }
        Ok(HostResources {
            total,
            used_now,
            used_max,
            by_project,
        })
    }

    /// Enables or disables a compute host's service (admin); `enabled` or
    /// `disabled`.
    pub async fn set_host_enabled(
        &self,
        caller: &Caller,
        host: &str,
        enabled: bool,
    ) -> Result<&'static str> {
        self.authorize(caller, "os_compute_api:os-hosts:update", &json!({}))?;
        self.compute_host(host).await?;
        let change = ServiceChange {
            disabled: Some((!enabled, None)),
            forced_down: None,
        };
        self.update_service(
            caller,
            ServiceTarget::HostBinary {
                host,
                binary: "nova-compute",
            },
            change,
        )
        .await?;
        Ok(if enabled { "enabled" } else { "disabled" })
    }

    /// Maintenance mode or a power action on `host` (admin, `rule`): the
    /// host must exist; then the driver cannot.
    pub async fn host_driver_action(
        &self,
        caller: &Caller,
        host: &str,
        rule: &str,
        what: &str,
    ) -> Result<()> {
        self.authorize(caller, rule, &json!({}))?;
        self.compute_host(host).await?;
        Err(not_supported(what))
    }
}
