//! What the backends report, for admins: `scheduler-stats/get_pools` (asked of
//! the scheduler, which holds the reports) and `capabilities/{host}` (asked of
//! the volume host).

use std::collections::HashMap;

use crate::rpc::messages::{Capabilities, Pools};
use ferrostack_api::microversion::ApiVersion;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use super::{Caller, Cinder, CinderError, Result};
use crate::capabilities;
use crate::db::entity::service;
use crate::rpc;

/// The filters `get_pools` takes from 3.33 (Cinder's resource_filters.json).
const POOL_FILTERS: &[&str] = &["name", "volume_type"];

/// Cinder's `_equal_after_convert` of a capability and a query value.
fn equal_after_convert(capability: Option<&Value>, value: &str) -> bool {
    match capability {
        None | Some(Value::Null) => false,
        Some(Value::String(text)) => text == value,
        Some(Value::Bool(b)) => {
            *b == matches!(
                value.trim().to_lowercase().as_str(),
                "1" | "t" | "true" | "on" | "y" | "yes"
            )
        }
        // Python compares str() of both: 100.0 is "100.0".
        Some(other) => {
            let shown = other.to_string();
            shown == value
        }
    }
}

impl Cinder {
    /// `GET /scheduler-stats/get_pools`: the pools the scheduler knows are up,
    /// filtered by `pairs` (the query without `detail`) as Cinder filters them
    /// at `version`; with their capabilities when `detail`.
    pub async fn pools(
        &self,
        caller: &Caller,
        pairs: &[(String, String)],
        detail: bool,
        version: ApiVersion,
    ) -> Result<Value> {
        self.authorize(
            caller,
            "scheduler_extension:scheduler_stats:get_pools",
            caller.project(),
        )?;
        if pairs.iter().any(|(k, _)| !k.is_ascii()) {
            return Err(CinderError::BadRequest(
                "Filter keys can only contain ASCII characters.".into(),
            ));
        }
        let mut filters: HashMap<&str, &str> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if version < ApiVersion::new(3, 28) {
            filters.clear();
        } else if version >= ApiVersion::new(3, 33) {
            let mut invalid: Vec<&str> = filters
                .keys()
                .copied()
                .filter(|k| !POOL_FILTERS.contains(k))
                .collect();
            if !invalid.is_empty() {
                invalid.sort_unstable();
                return Err(CinderError::invalid_filters(&invalid));
            }
        }
        if version < ApiVersion::new(3, 35) {
            filters.remove("volume_type");
        }
        let type_specs = match filters.remove("volume_type") {
            Some(kind) => {
                let kind = self.volume_type(caller, Some(kind)).await?;
                Some(
                    super::types::extra_specs(&kind)
                        .into_iter()
                        .collect::<HashMap<_, _>>(),
                )
            }
            None => None,
        };
        let name = filters.remove("name");
        let reply: Pools = self
            .scheduler
            .call::<rpc::scheduler::GetPools>(&caller.rpc_context(), None, &())
            .await
            .map_err(|e| CinderError::Unavailable(format!("The scheduler did not answer: {e}")))?;
        let pools: Vec<Value> = reply
            .pools
            .iter()
            .filter(|c| name.is_none_or(|n| capabilities::pool_name(c) == n))
            .filter(|c| {
                let map = capabilities::as_map(c);
                filters
                    .iter()
                    .all(|(k, v)| equal_after_convert(map.get(*k), v))
            })
            .filter(|c| {
                type_specs
                    .as_ref()
                    .is_none_or(|specs| crate::scheduler::satisfied(c, specs))
            })
            .map(|c| {
                let name = capabilities::pool_name(c);
                if detail {
                    json!({"name": name, "capabilities": capabilities::as_map(c)})
                } else {
                    json!({"name": name})
                }
            })
            .collect();
        Ok(json!({"pools": pools}))
    }

    /// `GET /capabilities/{host}`: what volume service `host` reports.
    pub async fn backend_capabilities(&self, caller: &Caller, host: &str) -> Result<Value> {
        self.authorize(caller, "volume_extension:capabilities", caller.project())?;
        let found = service::Entity::find()
            .filter(service::Column::Host.eq(host))
            .filter(service::Column::Binary.eq(crate::volume::BINARY))
            .one(&self.db)
            .await?;
        if found.is_none() {
            return Err(CinderError::NotFound(format!("Can't find service: {host}")));
        }
        let reported: Capabilities = self
            .volume
            .call::<rpc::volume::GetCapabilities>(&caller.rpc_context(), Some(host), &())
            .await
            .map_err(|e| {
                CinderError::Unavailable(format!(
                    "Timeout while requesting capabilities from backend {host}: {e}"
                ))
            })?;
        Ok(capabilities::summary(&reported))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_against_capabilities() {
        assert!(equal_after_convert(Some(&json!("iSCSI")), "iSCSI"));
        assert!(equal_after_convert(Some(&json!(true)), "yes"));
        assert!(!equal_after_convert(Some(&json!(true)), "no"));
        assert!(equal_after_convert(Some(&json!(100.0)), "100.0"));
        assert!(!equal_after_convert(None, "x"));
    }
}
