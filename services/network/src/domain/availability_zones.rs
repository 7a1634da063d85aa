//! Availability zones (the availability_zone extension): the zones of the
//! DHCP agents (resource `network`) and L3 agents (resource `router`), each
//! available while one of its agents there is enabled.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Caller, Neutron, Result};

/// One zone of one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub name: String,
    pub resource: &'static str,
    pub available: bool,
}

impl Neutron {
    /// `GET /v2.0/availability_zones`.
    pub async fn list_availability_zones(&self, caller: &Caller) -> Result<Vec<Zone>> {
        self.authorize(caller, "get_availability_zone", &json!({}))?;
        let agents = self.agent_records(self.all_agents().await?).await?;
        let mut zones: BTreeMap<(String, &'static str), bool> = BTreeMap::new();
        for agent in agents {
            let Some(name) = agent.row.availability_zone.clone() else {
                continue;
            };
            let resource = match agent.row.agent_type.as_str() {
                "DHCP agent" => "network",
                "L3 agent" => "router",
                _ => continue,
            };
            *zones.entry((name, resource)).or_default() |= agent.admin_state_up;
        }
        Ok(zones
            .into_iter()
            .map(|((name, resource), available)| Zone {
                name,
                resource,
                available,
            })
            .collect())
    }
}
