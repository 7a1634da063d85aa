//! `/v2.0/agents` (admin): each host's agents as they report, alive while
//! their reports keep coming; an admin turns one off or describes it.

use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;

use super::body::{self, Object};
use super::listing::Listable;
use super::resource::{self, Resource, Updatable};
use super::AppState;
use crate::domain::agents::{AgentRecord, AgentUpdate};
use crate::domain::{Caller, Neutron, NeutronError, Result};

const ATTRIBUTES: &[&str] = &[
    "id",
    "agent_type",
    "binary",
    "topic",
    "host",
    "admin_state_up",
    "created_at",
    "started_at",
    "heartbeat_timestamp",
    "alive",
    "configurations",
    "description",
    "availability_zone",
    "resources_synced",
];
const READ_ONLY: &[&str] = &[
    "id",
    "agent_type",
    "binary",
    "topic",
    "host",
    "created_at",
    "started_at",
    "heartbeat_timestamp",
    "alive",
    "configurations",
    "availability_zone",
    "resources_synced",
];

pub const LISTABLE: Listable = Listable {
    filters: &[
        "id",
        "agent_type",
        "binary",
        "topic",
        "host",
        "admin_state_up",
        "alive",
        "description",
        "availability_zone",
    ],
    sort_keys: &[
        "id",
        "agent_type",
        "binary",
        "topic",
        "host",
        "admin_state_up",
        "alive",
    ],
    taggable: false,
};

/// Agents' times as Neutron shows them (`2024-05-01 12:34:56`).
fn agent_time(at: &chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// An agent as Neutron shows it.
pub fn view(record: &AgentRecord) -> Value {
    let row = &record.row;
    json!({
        "id": row.id,
        "agent_type": row.agent_type,
        "binary": row.binary,
        "topic": row.topic,
        "host": row.host,
        "admin_state_up": record.admin_state_up,
        "created_at": agent_time(&row.created_at),
        "started_at": agent_time(&row.started_at),
        "heartbeat_timestamp": agent_time(&record.heartbeat_timestamp),
        "alive": record.alive,
        "configurations": serde_json::from_str::<Value>(&row.configurations).unwrap_or_else(|_| json!({})),
        "description": (!row.description.is_empty()).then_some(&row.description),
        "availability_zone": row.availability_zone,
        "resources_synced": Value::Null,
    })
}

/// `/v2.0/agents`.
pub struct Agents;

impl Resource for Agents {
    const SINGULAR: &'static str = "agent";
    const PLURAL: &'static str = "agents";
    const PATH: &'static str = "/v2.0/agents";
    const TAG: &'static str = "agents";
    const LISTABLE: &'static Listable = &LISTABLE;
    const NOT_FOUND: fn(&str) -> NeutronError = crate::domain::agents::not_found;
    resource::forward!(AgentRecord; list: list_agents, show: show_agent, delete: delete_agent);
    async fn views(_: &Neutron, _: &Caller, records: &[AgentRecord]) -> Result<Vec<Value>> {
        Ok(records.iter().map(view).collect())
    }
}

impl Updatable for Agents {
    resource::forward_update!(AgentRecord, AgentUpdate; update_agent);
    const READ_ONLY: &'static [&'static str] = READ_ONLY;
    const ATTRIBUTES: &'static [&'static str] = ATTRIBUTES;

    /// `admin_state_up` and `description` (null clears it).
    fn parse_update(object: &Object) -> Result<AgentUpdate> {
        Ok(AgentUpdate {
            admin_state_up: body::boolean(object, "admin_state_up")?,
            description: body::string_or_null(object, "description", 255)?,
        })
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    resource::managed_routes::<Agents>()
}
