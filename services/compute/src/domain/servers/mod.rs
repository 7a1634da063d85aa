//! Servers (Nova's instances): create, read, update, delete and the power
//! actions, with their metadata, tags, faults and action records.

mod block_devices;
mod build;
mod create;
mod diagnostics;
mod flavor;
mod guest;
pub mod interfaces;
mod list;
mod metadata;
pub mod networks;
pub(crate) mod ops;
mod password;
mod read;
mod rebuild;
mod rebuild_volume;
mod resize;
mod shelve;
mod snapshot;
pub mod zones;

pub use build::build_message;
pub use create::{generate_password, sanitize_hostname, BlockDevice, Created, Networks, NewServer};
pub use flavor::InstanceFlavor;
pub use list::{ServerFilters, SortKey};
pub use metadata::{MetadataWrite, MAX_TAGS};
pub use ops::{LockRequest, ServerOp};
pub use read::{Server, ServerUpdate};
pub use rebuild::RebuildRequest;
pub use resize::MoveRequest;
pub use shelve::UnshelveRequest;
pub use snapshot::ImageRequest;

/// The API `status` of a server's vm_state and task_state (Nova's state map).
pub fn status(vm_state: &str, task_state: Option<&str>) -> &'static str {
    let task = task_state.unwrap_or("");
    match vm_state {
        "building" => "BUILD",
        "active" => match task {
            "rebooting" | "reboot_pending" | "reboot_started" => "REBOOT",
            "rebooting_hard" | "reboot_pending_hard" | "reboot_started_hard" => "HARD_REBOOT",
            "rebuilding" | "rebuild_block_device_mapping" | "rebuild_spawning" => "REBUILD",
            "updating_password" => "PASSWORD",
            "migrating" => "MIGRATING",
            "resize_prep" | "resize_migrating" | "resize_migrated" | "resize_finish" => "RESIZE",
            _ => "ACTIVE",
        },
        "stopped" => match task {
            "rebuilding" => "REBUILD",
            "resize_prep" | "resize_migrating" | "resize_migrated" | "resize_finish" => "RESIZE",
            _ => "SHUTOFF",
        },
        "paused" => "PAUSED",
        "suspended" => "SUSPENDED",
        "rescued" => "RESCUE",
        "resized" => "VERIFY_RESIZE",
        "soft-delete" => "SOFT_DELETED",
        "shelved" => "SHELVED",
        "shelved_offloaded" => "SHELVED_OFFLOADED",
        "deleted" => "DELETED",
        "error" => "ERROR",
        _ => "UNKNOWN",
    }
}

/// The vm_states a `status` filter selects (`None`: no server has it).
pub fn vm_states_of(status: &str) -> Option<&'static [&'static str]> {
    Some(match status.to_ascii_uppercase().as_str() {
        "BUILD" => &["building"],
        "ACTIVE" | "REBOOT" | "HARD_REBOOT" | "PASSWORD" | "MIGRATING" | "RESIZE" => &["active"],
        "SHUTOFF" => &["stopped"],
        "PAUSED" => &["paused"],
        "SUSPENDED" => &["suspended"],
        "RESCUE" => &["rescued"],
        "VERIFY_RESIZE" => &["resized"],
        "SOFT_DELETED" => &["soft-delete"],
        "SHELVED" => &["shelved"],
        "SHELVED_OFFLOADED" => &["shelved_offloaded"],
        "DELETED" => &["deleted"],
        "ERROR" => &["error"],
        _ => return None,
    })
}

/// The name the hypervisor knows a server by (`instance-` and the start of
/// its id).
pub fn instance_name(uuid: &str) -> String {
    format!("instance-{}", &uuid[..uuid.len().min(8)])
}

#[cfg(test)]
mod tests {
    use super::{status, vm_states_of};

    #[test]
    fn states_map_to_statuses() {
        assert_eq!(status("building", Some("scheduling")), "BUILD");
        assert_eq!(status("active", None), "ACTIVE");
        assert_eq!(status("active", Some("rebooting_hard")), "HARD_REBOOT");
        assert_eq!(status("stopped", Some("powering-on")), "SHUTOFF");
        assert_eq!(vm_states_of("shutoff"), Some(&["stopped"][..]));
        assert_eq!(vm_states_of("bogus"), None);
    }
}
