//! The copy of its flavor a server keeps (so a flavor deleted or changed later
//! does not change the server), stored as JSON on the instance.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rpc::messages::FlavorSpec;

/// A server's flavor as it was when the server was made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstanceFlavor {
    pub flavorid: String,
    pub name: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub root_gb: i64,
    pub ephemeral_gb: i64,
    pub swap: i64,
    pub extra_specs: BTreeMap<String, String>,
}

impl InstanceFlavor {
    /// Reads the stored JSON; a row written by this code always parses.
    pub fn parse(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The flavor as the roles' messages carry it.
    pub fn to_spec(&self) -> FlavorSpec {
        FlavorSpec {
            flavorid: self.flavorid.clone(),
            name: self.name.clone(),
            vcpus: self.vcpus,
            memory_mb: self.memory_mb,
            root_gb: self.root_gb,
            ephemeral_gb: self.ephemeral_gb,
            swap: self.swap,
            extra_specs: self
                .extra_specs
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}
