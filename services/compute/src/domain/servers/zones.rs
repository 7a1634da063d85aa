//! A server's availability zones: the one it is pinned to (what it asked
//! for, which moves keep to) and the one it is in (its host's, from the
//! host's aggregates or `[DEFAULT] default_availability_zone`), and 2.104's
//! pinning and unpinning.

use std::collections::BTreeMap;

use crate::db::entity::instance;
use crate::domain::aggregates::Aggregate;
use crate::domain::{Nova, NovaError, Result};

/// Each host's zone, for servers' current zones.
pub struct HostZones {
    by_host: BTreeMap<String, String>,
    default: String,
}

impl HostZones {
    /// The zones of the hosts of `aggregates`, others in `default`.
    pub fn new(aggregates: &[Aggregate], default: &str) -> Self {
        let by_host = aggregates
            .iter()
            .flat_map(|a| a.hosts.iter())
            .filter_map(|host| Some((host.clone(), Nova::host_zone(aggregates, host)?)))
            .collect();
        HostZones {
            by_host,
            default: default.to_string(),
        }
    }

    /// The zone a server is in: its host's (Nova's
    /// `get_instance_availability_zone`), else the one it asked for.
    pub fn current(&self, row: &instance::Model) -> Option<String> {
        match &row.host {
            Some(host) => Some(
                self.by_host
                    .get(host)
                    .cloned()
                    .unwrap_or_else(|| self.default.clone()),
            ),
            None => row.availability_zone.clone(),
        }
    }
}

/// The pinned zone after asking for `wanted` (2.104): `None` unpins; a zone
/// re-pins, only to where the server is and only when it is not pinned
/// elsewhere.
pub fn repin(
    pinned: Option<&str>,
    current: Option<&str>,
    wanted: Option<&str>,
) -> Result<Option<String>> {
    let Some(wanted) = wanted else {
        return Ok(None);
    };
    match pinned {
        Some(pinned) if pinned != wanted => Err(NovaError::Conflict(
            "Cannot change pinned availability zone directly. Unpin first by setting pinned_availability_zone to null.".into(),
        )),
        Some(_) => Ok(Some(wanted.to_string())),
        None if current != Some(wanted) => Err(NovaError::Conflict(format!(
            "Server can only be pinned to its current availability zone '{}', but '{wanted}' was requested.",
            current.unwrap_or("None")
        ))),
        None => Ok(Some(wanted.to_string())),
    }
}

impl Nova {
    /// Every host's zone as the aggregates say now.
    pub async fn host_zones(&self) -> Result<HostZones> {
        Ok(HostZones::new(
            &self.all_aggregates().await?,
            &self.cfg.default_zone,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_pin_only_to_where_they_are() {
        assert_eq!(repin(Some("az1"), Some("az1"), None).unwrap(), None);
        assert_eq!(repin(None, Some("nova"), None).unwrap(), None);
        assert_eq!(
            repin(None, Some("nova"), Some("nova")).unwrap().as_deref(),
            Some("nova")
        );
        assert_eq!(
            repin(Some("az1"), Some("az1"), Some("az1"))
                .unwrap()
                .as_deref(),
            Some("az1")
        );
        let moved = repin(Some("az1"), Some("az1"), Some("az2")).unwrap_err();
        assert!(moved.to_string().starts_with("Cannot change pinned"));
        let elsewhere = repin(None, Some("nova"), Some("az2")).unwrap_err();
        assert_eq!(
            elsewhere.to_string(),
            "Server can only be pinned to its current availability zone 'nova', but 'az2' was requested."
        );
    }
}
