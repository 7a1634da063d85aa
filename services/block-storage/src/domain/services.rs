//! `os-services`: the scheduler and volume roles as the service registry knows
//! them (admin only).

use ferrostack_db::service_registry::{self, ServiceState};

use super::{Caller, Cinder, Result};

impl Cinder {
    /// Every role that reported, up or down by `service_down_time`.
    pub async fn list_services(&self, caller: &Caller) -> Result<Vec<ServiceState>> {
        self.authorize(caller, "volume_extension:services:index", caller.project())?;
        Ok(service_registry::list(&self.db, self.cfg.service_down_time).await?)
    }
}
