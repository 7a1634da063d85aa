//! `GET /volumes/summary` (3.12): how many volumes, how many GiB, and (3.36)
//! every distinct metadata pair, of the caller's project or, for admins with
//! `all_tenants`, of every project.

use std::collections::{BTreeMap, BTreeSet};

use ferrostack_api::microversion::ApiVersion;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{json, Value};

use super::{Caller, Cinder, Result};
use crate::db::entity::volume;

impl Cinder {
    /// The `volume-summary` body at `version`; every project's with
    /// `all_tenants` as admin.
    pub async fn volume_summary(
        &self,
        caller: &Caller,
        all_tenants: bool,
        version: ApiVersion,
    ) -> Result<Value> {
        self.authorize(caller, "volume:get_all", caller.project())?;
        let mut query = volume::Entity::find()
            .select_only()
            .column(volume::Column::Size)
            .column(volume::Column::Metadata);
        if !(all_tenants && caller.is_admin) {
            query = query.filter(volume::Column::ProjectId.eq(caller.project()));
        }
        let rows: Vec<(i64, String)> = query.into_tuple().all(&self.db).await?;
        let mut summary = json!({
            "total_count": rows.len(),
            "total_size": rows.iter().map(|(size, _)| size).sum::<i64>(),
        });
        if version >= ApiVersion::new(3, 36) {
            let mut distinct: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for (_, metadata) in &rows {
                let pairs: BTreeMap<String, String> =
                    serde_json::from_str(metadata).unwrap_or_default();
                for (key, value) in pairs {
                    distinct.entry(key).or_default().insert(value);
                }
            }
            summary["metadata"] = json!(distinct);
        }
        Ok(json!({"volume-summary": summary}))
    }
}
