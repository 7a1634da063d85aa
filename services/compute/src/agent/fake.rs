//! The `fake` driver: a node of a configured size (`[fake]`), for tests and
//! for a cloud without a hypervisor.

use std::sync::Arc;

use ferrostack_config::{ConfigError, Opt, Plugin, Section};
use serde_json::json;

use super::driver::{Driver, NodeResources};

const VCPUS: Opt = Opt::new("fake", "vcpus", "16", "vCPUs the fake node has.");
const MEMORY_MB: Opt = Opt::new(
    "fake",
    "memory_mb",
    "32768",
    "MiB of memory the fake node has.",
);
const LOCAL_GB: Opt = Opt::new("fake", "local_gb", "1024", "GiB of disk the fake node has.");

/// The fake driver's plugin: its size from `[fake]`.
pub const PLUGIN: Plugin<Arc<dyn Driver>> = Plugin {
    name: "fake",
    opts: &[VCPUS, MEMORY_MB, LOCAL_GB],
    configure,
};

fn configure(section: &Section) -> Result<Arc<dyn Driver>, ConfigError> {
    let config = section.config;
    Ok(Arc::new(FakeDriver {
        vcpus: config.get_parsed(&VCPUS)?,
        memory_mb: config.get_parsed(&MEMORY_MB)?,
        local_gb: config.get_parsed(&LOCAL_GB)?,
    }))
}

/// A node that exists only in memory.
#[derive(Debug, Clone)]
pub struct FakeDriver {
    pub vcpus: i64,
    pub memory_mb: i64,
    pub local_gb: i64,
}

#[async_trait::async_trait]
impl Driver for FakeDriver {
    async fn resources(&self) -> NodeResources {
        NodeResources {
            hypervisor_type: "fake".into(),
            hypervisor_version: 1000,
            vcpus: self.vcpus,
            memory_mb: self.memory_mb,
            local_gb: self.local_gb,
            vcpus_used: 0,
            memory_mb_used: 0,
            local_gb_used: 0,
            running_vms: 0,
            cpu_info: json!({"arch": "x86_64", "model": "fake", "vendor": "ferrostack",
                "topology": {"cores": 1, "threads": 1, "sockets": self.vcpus},
                "features": []}),
        }
    }
}
