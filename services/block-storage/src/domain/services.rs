//! `os-services` and `os-availability-zone`: the scheduler and volume roles as
//! the service registry knows them.

use std::collections::BTreeMap;

use ferrostack_db::service_registry::{self, ServiceState};

use super::{Caller, Cinder, Result};

impl Cinder {
    /// Every role that reported, up or down by `service_down_time`.
    pub async fn list_services(&self, caller: &Caller) -> Result<Vec<ServiceState>> {
        self.authorize(caller, "volume_extension:services:index", caller.project())?;
        Ok(service_registry::list(&self.db, self.cfg.service_down_time).await?)
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
