//! Server external events (`os-server-external-events`): other services
//! (network, block storage) tell compute about a server — a port plugged, a
//! volume extended. Each event is accepted for a server that exists and is on
//! a host; the ones its host's agent may be waiting for (a port plugged, as
//! a build waits for) are passed on to it.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::{Caller, Nova, Result};
use crate::db::entity::instance;
use crate::rpc::agent;
use crate::rpc::messages::{InstanceEvent, InstanceEvents};

/// The events agents wait for.
const AGENT_EVENTS: &[&str] = &["network-vif-plugged"];

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
        self.tell_hosts(&servers, &outcomes).await;
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

    /// Casts the accepted events agents wait for to their servers' hosts (a
    /// lost one fails, or delays, only the build waiting for it).
    async fn tell_hosts(
        &self,
        servers: &std::collections::BTreeMap<String, instance::Model>,
        outcomes: &[EventOutcome],
    ) {
        let mut by_host: std::collections::BTreeMap<&str, Vec<InstanceEvent>> = Default::default();
        for outcome in outcomes.iter().filter(|o| o.code == 200) {
            let event = &outcome.event;
            let host = servers
                .get(&event.server_uuid)
                .and_then(|s| s.host.as_deref());
            if let (Some(host), true) = (host, AGENT_EVENTS.contains(&event.name.as_str())) {
                by_host.entry(host).or_default().push(InstanceEvent {
                    instance_uuid: event.server_uuid.clone(),
                    name: event.name.clone(),
                    tag: event.tag.clone().unwrap_or_default(),
                    status: event.status.clone(),
                });
            }
        }
        let context = ferrostack_rpc::Context::internal();
        for (host, events) in by_host {
            let sent = InstanceEvents { events };
            if let Err(e) = self
                .agents
                .cast::<agent::ExternalInstanceEvent>(&context, Some(host), &sent)
                .await
            {
                tracing::warn!(host, "events not passed on: {e}");
            }
        }
    }
}
