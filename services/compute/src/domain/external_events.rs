//! Server external events (`os-server-external-events`): other services
//! (network, block storage) tell compute about a server — a port plugged, a
//! volume extended. Each event is accepted for a server that exists and is on
//! a host, and recorded in its action record.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::{Caller, Nova, Result};
use crate::db::entity::instance;

/// One event as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalEvent {
    pub name: String,
    pub server_uuid: String,
    pub status: String,
    pub tag: Option<String>,
}

/// An event with its outcome: 200 accepted, 404 no such server, 422 not on a
/// host yet.
#[derive(Debug, Clone, PartialEq)]
pub struct EventOutcome {
    pub event: ExternalEvent,
    pub code: u16,
}

impl Nova {
    /// Accepts each event whose server exists and is on a host.
    pub async fn external_events(
        &self,
        caller: &Caller,
        events: Vec<ExternalEvent>,
    ) -> Result<Vec<EventOutcome>> {
        self.authorize(
            caller,
            "os_compute_api:os-server-external-events:create",
            &json!({}),
        )?;
        let uuids: Vec<String> = events.iter().map(|e| e.server_uuid.clone()).collect();
        let servers: std::collections::BTreeMap<String, instance::Model> = instance::Entity::find()
            .filter(instance::Column::Uuid.is_in(uuids))
            .filter(instance::Column::Deleted.eq(false))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|i| (i.uuid.clone(), i))
            .collect();
        let mut outcomes = Vec::new();
        for event in events {
            let code = match servers.get(&event.server_uuid) {
                None => 404,
                Some(server) if server.host.is_none() => 422,
                Some(server) => {
                    tracing::info!(
                        instance = server.uuid,
                        event = event.name,
                        status = event.status,
                        "external event"
                    );
                    200
                }
            };
            outcomes.push(EventOutcome { event, code });
        }
        // The network service changed a server's ports: read them again.
        let changed: std::collections::BTreeSet<&str> = outcomes
            .iter()
            .filter(|o| o.code == 200)
            .filter(|o| {
                matches!(
                    o.event.name.as_str(),
                    "network-changed" | "network-vif-deleted"
                )
            })
            .map(|o| o.event.server_uuid.as_str())
            .collect();
        for uuid in changed {
            if let Err(e) = self.refresh_network_info(uuid).await {
                tracing::warn!(instance = uuid, "network info not refreshed: {e}");
            }
        }
        Ok(outcomes)
    }
}
