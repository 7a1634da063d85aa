//! The hypervisor boundary: what a compute agent asks of its virtualization
//! driver, chosen by name (`[DEFAULT] compute_driver`).

use std::sync::Arc;

use ferrostack_config::Registry;

use crate::domain::servers::networks::Vif;
use crate::rpc::messages::{BuildInstance, Diagnostics};

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

/// Nova's power states, as `OS-EXT-STS:power_state` shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerState {
    NoState = 0,
    Running = 1,
    Paused = 3,
    Shutdown = 4,
    Suspended = 7,
}

/// An operation on an existing guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestOp {
    PowerOff,
    PowerOn,
    RebootSoft,
    RebootHard,
    Pause,
    Unpause,
    Suspend,
    Resume,
    /// Boot the guest from a rescue image, its own disk kept aside.
    Rescue,
    /// Boot the guest from its own disk again.
    Unrescue,
}

impl PowerState {
    /// The state diagnostics name it by.
    pub fn diagnostics_name(self) -> &'static str {
        match self {
            PowerState::NoState => "pending",
            PowerState::Running => "running",
            PowerState::Paused => "paused",
            PowerState::Shutdown => "shutdown",
            PowerState::Suspended => "suspended",
        }
    }
}

impl GuestOp {
    /// The power state the guest is in once the operation succeeded.
    pub fn power_state(self) -> PowerState {
        match self {
            GuestOp::PowerOff => PowerState::Shutdown,
            GuestOp::Pause => PowerState::Paused,
            GuestOp::Suspend => PowerState::Suspended,
            _ => PowerState::Running,
        }
    }
}

/// The kinds of remote console a guest can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleProtocol {
    Vnc,
    Spice,
    Serial,
    Mks,
}

/// Where a guest's console listens on its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleEndpoint {
    pub host: String,
    pub port: u16,
    /// SPICE's TLS port.
    pub tls_port: Option<u16>,
    /// What a proxy asks for after connecting (a serial port's path...).
    pub internal_access_path: Option<String>,
}

/// Why a driver operation failed (becomes the server's fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DriverError(pub String);

/// A virtualization driver.
#[async_trait::async_trait]
pub trait Driver: Send + Sync {
    /// What the node has and uses now.
    async fn resources(&self) -> NodeResources;
    /// Creates and starts the guest of a server.
    async fn spawn(&self, build: &BuildInstance) -> Result<(), DriverError>;
    /// Stops and removes a guest; a guest that is not there is already gone.
    async fn destroy(&self, uuid: &str) -> Result<(), DriverError>;
    /// Changes a guest's power (stop, start, reboot, pause, suspend and back).
    async fn operate(&self, uuid: &str, op: GuestOp) -> Result<(), DriverError>;
    /// What the driver knows of a guest (server diagnostics).
    async fn diagnostics(&self, uuid: &str) -> Result<Diagnostics, DriverError>;
    /// Connects a volume to a guest at `device`, as the volume host's
    /// `connection_info` says to reach it.
    async fn attach_volume(
        &self,
        uuid: &str,
        device: &str,
        connection_info: &serde_json::Value,
    ) -> Result<(), DriverError>;
    /// Disconnects the volume at `device` from a guest; one not there is gone.
    async fn detach_volume(&self, uuid: &str, device: &str) -> Result<(), DriverError>;
    /// Snapshots the volume at `device` of a guest into a new overlay file, as
    /// the volume host's `create_info` (`snapshot_id`, `type`, `new_file`) says.
    async fn volume_snapshot_create(
        &self,
        uuid: &str,
        device: &str,
        create_info: &serde_json::Value,
    ) -> Result<(), DriverError>;
    /// Deletes snapshot `snapshot_id` of the volume at `device` of a guest,
    /// merging its file as the volume host's `delete_info` says.
    async fn volume_snapshot_delete(
        &self,
        uuid: &str,
        device: &str,
        snapshot_id: &str,
        delete_info: &serde_json::Value,
    ) -> Result<(), DriverError>;
    /// Plugs a port into a running guest (its host device `vif.devname`).
    async fn attach_interface(&self, uuid: &str, vif: &Vif) -> Result<(), DriverError>;
    /// Unplugs port `port_id` from a guest; one not there is gone.
    async fn detach_interface(&self, uuid: &str, port_id: &str) -> Result<(), DriverError>;
    /// Source of a move: the guest powered off, its disk ready to go.
    async fn migrate_disk_and_power_off(&self, uuid: &str) -> Result<(), DriverError> {
        self.operate(uuid, GuestOp::PowerOff).await
    }
    /// Destination of a move: the guest built with its new flavor, running
    /// unless it was stopped.
    async fn finish_migration(
        &self,
        build: &BuildInstance,
        power_on: bool,
    ) -> Result<(), DriverError> {
        self.spawn(build).await?;
        if !power_on {
            self.operate(&build.uuid, GuestOp::PowerOff).await?;
        }
        Ok(())
    }
    /// Source of a reverted move: the guest as it was (rebuilt with its old
    /// flavor when the move stayed on this host), running unless it was stopped.
    async fn finish_revert_migration(
        &self,
        build: &BuildInstance,
        power_on: bool,
        same_host: bool,
    ) -> Result<(), DriverError> {
        if same_host {
            // The guest of the new flavor makes way for the old one.
            self.destroy(&build.uuid).await?;
            self.spawn(build).await?;
            if !power_on {
                self.operate(&build.uuid, GuestOp::PowerOff).await?;
            }
        } else if power_on {
            self.operate(&build.uuid, GuestOp::PowerOn).await?;
        }
        Ok(())
    }
    /// The guest's root disk as raw data, for an image.
    async fn snapshot(&self, uuid: &str) -> Result<Vec<u8>, DriverError>;
    /// What the guest's serial console printed.
    async fn console_output(&self, uuid: &str) -> Result<String, DriverError>;
    /// Where a guest's console of `protocol` listens; `None` when this
    /// driver gives its guests no such console.
    async fn console(
        &self,
        uuid: &str,
        protocol: ConsoleProtocol,
    ) -> Result<Option<ConsoleEndpoint>, DriverError>;
    /// Sets the administrator password inside a running guest.
    async fn set_admin_password(&self, uuid: &str, password: &str) -> Result<(), DriverError>;
}

/// The drivers `compute_driver` can name.
pub const DRIVERS: Registry<Arc<dyn Driver>> = Registry {
    plugins: &[super::fake::PLUGIN],
};
