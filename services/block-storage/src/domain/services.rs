//! `os-services` and `os-availability-zone`: the scheduler and volume roles as
//! the service registry knows them.

use std::collections::BTreeMap;

use ferrostack_db::service_registry::{self, ServiceState};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::service;

/// Whether service host `name` is on `host`, as Cinder's host filter matches:
/// `host` itself, or one of its backends (`host@backend`) or pools (`#pool`).
pub(super) fn on_host(name: &str, host: &str) -> bool {
    name == host
        || name
            .strip_prefix(host)
            .is_some_and(|rest| rest.starts_with('@') || rest.starts_with('#'))
}

impl Cinder {
    /// Every role that reported, up or down by `service_down_time`; only
    /// those on `host` (or its backends) or of `binary` when given; and the
    /// frozen backends.
    pub async fn list_services(
        &self,
        caller: &Caller,
        host: Option<&str>,
        binary: Option<&str>,
    ) -> Result<(Vec<ServiceState>, std::collections::BTreeSet<String>)> {
        self.authorize(caller, "volume_extension:services:index", caller.project())?;
        let services = service_registry::list(&self.db, self.cfg.service_down_time)
            .await?
            .into_iter()
            .filter(|s| host.is_none_or(|h| on_host(&s.host, h)))
            .filter(|s| binary.is_none_or(|b| s.binary == b))
            .collect();
        Ok((services, self.frozen_backends().await?))
    }

    /// Enables or disables (with a reason, when given) `binary` on `host`.
    pub async fn set_service_disabled(
        &self,
        caller: &Caller,
        host: &str,
        binary: &str,
        disabled: bool,
        reason: Option<&str>,
    ) -> Result<()> {
        self.authorize(caller, "volume_extension:services:update", caller.project())?;
        if !service_registry::set_disabled(&self.db, host, binary, disabled, reason).await? {
            return Err(CinderError::NotFound(format!(
                "Service None could not be found on host {host}."
            )));
        }
        Ok(())
    }

    /// The volume backends an admin disabled, which take no new volumes.
    pub(crate) async fn disabled_backends(&self) -> Result<Vec<String>> {
        Ok(service::Entity::find()
            .filter(service::Column::Binary.eq(crate::volume::BINARY))
            .filter(service::Column::Disabled.eq(true))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| s.host)
            .collect())
    }

    /// The volume services' zones, each available while one of its enabled
    /// volume services is up.
    pub async fn availability_zones(&self) -> Result<BTreeMap<String, bool>> {
        let mut zones: BTreeMap<String, bool> = BTreeMap::new();
        for s in service_registry::list(&self.db, self.cfg.service_down_time).await? {
            if s.binary == crate::volume::BINARY {
                *zones.entry(s.zone).or_default() |= s.up && !s.disabled;
            }
        }
        Ok(zones)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn host_filters_match_backends_and_pools() {
        assert!(super::on_host("vm@file", "vm"));
        assert!(super::on_host("vm@file", "vm@file"));
        assert!(super::on_host("vm#pool", "vm"));
        assert!(super::on_host("vm", "vm"));
        assert!(!super::on_host("vm2@file", "vm"));
    }
}
