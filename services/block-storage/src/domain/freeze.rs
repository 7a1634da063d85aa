//! Freezing volume backends (`os-services/freeze` and `thaw`), Cinder's
//! replication control: a frozen backend is disabled with the reason "frozen"
//! and its volumes and snapshots are neither deleted nor snapshotted until it
//! is thawed; data keeps flowing.

use std::collections::BTreeSet;

use ferrostack_db::service_registry;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::services::on_host;
use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::{frozen_backend, service};

/// Python's repr of a list of strings: `['a', 'b']`.
fn python_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("'{i}'")).collect();
    format!("[{}]", quoted.join(", "))
}

impl Cinder {
    /// Freezes (or, with `freeze` false, thaws) the volume services on
    /// `host` (a host, or one `host@backend`).
    pub async fn freeze_backends(&self, caller: &Caller, host: &str, freeze: bool) -> Result<()> {
        self.authorize(caller, "volume_extension:services:update", caller.project())?;
        let services: Vec<String> = service::Entity::find()
            .filter(service::Column::Binary.eq(crate::volume::BINARY))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| s.host)
            .filter(|h| on_host(h, host))
            .collect();
        if services.is_empty() {
            return Err(CinderError::BadRequest(format!(
                "Invalid input received: No service found with host={host}"
            )));
        }
        let frozen = self.frozen_backends().await?;
        let (change, unchanged): (Vec<String>, Vec<String>) = services
            .into_iter()
            .partition(|h| frozen.contains(h) != freeze);
        if change.is_empty() {
            let expected = if freeze { "False" } else { "True" };
            return Err(CinderError::BadRequest(format!(
                "Invalid input received: No service could be changed: frozen in {} must be {expected} to failover.",
                python_list(&unchanged)
            )));
        }
        for backend in &change {
            if freeze {
                frozen_backend::Entity::insert(frozen_backend::ActiveModel {
                    host: Set(backend.clone()),
                    frozen_at: Set(chrono::Utc::now().naive_utc()),
                })
                .exec(&self.db)
                .await?;
            } else {
                frozen_backend::Entity::delete_by_id(backend.as_str())
                    .exec(&self.db)
                    .await?;
            }
            let reason = freeze.then_some("frozen");
            service_registry::set_disabled(
                &self.db,
                backend,
                crate::volume::BINARY,
                freeze,
                reason,
            )
            .await?;
        }
        Ok(())
    }

    /// The frozen backends (`host@backend`).
    pub(crate) async fn frozen_backends(&self) -> Result<BTreeSet<String>> {
        Ok(frozen_backend::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|f| f.host)
            .collect())
    }

    /// 400 when the backend of `host` (`host@backend[#pool]`) is frozen.
    pub(crate) async fn assert_not_frozen(&self, host: Option<&str>) -> Result<()> {
        let Some(host) = host else { return Ok(()) };
        let backend = host.split('#').next().unwrap_or(host);
        if frozen_backend::Entity::find_by_id(backend)
            .one(&self.db)
            .await?
            .is_some()
        {
            return Err(CinderError::BadRequest(
                "Invalid input received: Modification operations are not allowed on frozen storage backends.".into(),
            ));
        }
        Ok(())
    }
}
