//! The topics and methods the roles talk on, and small helpers around the shared
//! RPC client.

use ferrostack_rpc::{Context, RemoteError};

/// The api role's topic: volume state and heartbeats from the other roles.
pub const API_TOPIC: &str = "block-storage-api";
/// The scheduler's topic: create requests, and capabilities on its fanout.
pub const SCHEDULER_TOPIC: &str = "block-storage-scheduler";
/// Volume managers' topic, always addressed to one `host@backend`.
pub const VOLUME_TOPIC: &str = "block-storage-volume";

pub const CREATE_VOLUME: &str = "create_volume";
pub const DELETE_VOLUME: &str = "delete_volume";
pub const EXTEND_VOLUME: &str = "extend_volume";
pub const UPLOAD_IMAGE: &str = "upload_image";
pub const RETYPE: &str = "retype";
pub const MIGRATE_VOLUME: &str = "migrate_volume";
/// api → scheduler (cast): os-migrate_volume to a named backend.
pub const MIGRATE_TO_HOST: &str = "migrate_volume_to_host";
/// Source volume host → destination host (call): create and export an empty
/// volume to copy a migrating volume into.
pub const CREATE_MIGRATION_TARGET: &str = "create_migration_target";
/// Source → destination (call, a `ConnectionRequest`): drop a failed copy.
pub const DELETE_MIGRATION_TARGET: &str = "delete_migration_target";
pub const CREATE_SNAPSHOT: &str = "create_snapshot";
pub const DELETE_SNAPSHOT: &str = "delete_snapshot";
pub const SNAPSHOT_UPDATE: &str = "snapshot_update";
pub const REVERT_TO_SNAPSHOT: &str = "revert_to_snapshot";
pub const INITIALIZE_CONNECTION: &str = "initialize_connection";
pub const TERMINATE_CONNECTION: &str = "terminate_connection";
pub const VOLUME_UPDATE: &str = "volume_update";
pub const UPDATE_CAPABILITIES: &str = "update_capabilities";
/// api → scheduler (call, `Empty` → `Pools`): the backends it knows are up.
pub const GET_POOLS: &str = "get_pools";
/// api → volume host (call, `Empty` → `Capabilities`): what the backend reports.
pub const GET_CAPABILITIES: &str = "get_capabilities";
pub const HEARTBEAT: &str = "service_heartbeat";

/// The context of messages a role sends on its own behalf.
pub fn internal_context() -> Context {
    Context {
        request_id: format!("req-{}", uuid::Uuid::new_v4()),
        ..Context::default()
    }
}

/// Decodes a request payload, or the error the caller sees.
pub fn decode<M: prost::Message + Default>(payload: &[u8]) -> Result<M, RemoteError> {
    M::decode(payload).map_err(|e| RemoteError {
        kind: "Invalid".into(),
        message: format!("undecodable payload: {e}"),
    })
}

/// An error reply.
pub fn remote(kind: &str, message: impl Into<String>) -> RemoteError {
    RemoteError {
        kind: kind.into(),
        message: message.into(),
    }
}
