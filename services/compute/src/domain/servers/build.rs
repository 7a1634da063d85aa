//! What an agent is told to build: a server's row and metadata as the
//! `BuildInstance` message (for a build or a rebuild).

use std::collections::BTreeMap;

use super::InstanceFlavor;
use crate::db::entity::instance;
use crate::rpc::messages::BuildInstance;

/// The build message of server `row` with its `metadata`.
pub fn build_message(row: &instance::Model, metadata: &BTreeMap<String, String>) -> BuildInstance {
    BuildInstance {
        uuid: row.uuid.clone(),
        name: row.display_name.clone(),
        hostname: row.hostname.clone(),
        project_id: row.project_id.clone(),
        user_id: row.user_id.clone(),
        image_id: row.image_ref.clone(),
        flavor: Some(InstanceFlavor::parse(&row.flavor).to_spec()),
        key_data: row.key_data.clone().unwrap_or_default(),
        user_data: row.user_data.clone().unwrap_or_default(),
        metadata: metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        stop_after: false,
        event: String::new(),
        block_devices: Vec::new(),
        networks_json: String::new(),
        vifs_json: String::new(),
        availability_zone: row.availability_zone.clone().unwrap_or_default(),
        reimage_root: None,
    }
}
