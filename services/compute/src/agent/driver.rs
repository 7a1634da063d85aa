//! The hypervisor boundary: what a compute agent asks of its virtualization
//! driver, chosen by name (`[DEFAULT] compute_driver`).

use std::sync::Arc;

use ferrostack_config::Registry;

/// What a compute node has and uses.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeResources {
    pub hypervisor_type: String,
    pub hypervisor_version: i64,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub local_gb: i64,
    pub vcpus_used: i64,
    pub memory_mb_used: i64,
    pub local_gb_used: i64,
    pub running_vms: i64,
    /// The CPU as the driver describes it (arch, model, vendor, topology...).
    pub cpu_info: serde_json::Value,
}

/// A virtualization driver. Servers come with the build path; today an agent
/// reports its node's resources.
#[async_trait::async_trait]
pub trait Driver: Send + Sync {
    /// What the node has and uses now.
    async fn resources(&self) -> NodeResources;
}

/// The drivers `compute_driver` can name.
pub const DRIVERS: Registry<Arc<dyn Driver>> = Registry {
    plugins: &[super::fake::PLUGIN],
};
