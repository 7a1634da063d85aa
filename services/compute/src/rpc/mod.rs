//! What the compute roles say to each other: a topic per role and its typed
//! methods, and the messages (`proto/`).

/// The messages between the roles, generated from `proto/`.
pub mod messages {
    include!(concat!(env!("OUT_DIR"), "/ferrostack.compute.v1.rs"));
}

/// The conductor: it builds servers and writes what the agents report.
pub mod conductor {
    use super::messages as m;
    ferrostack_rpc::rpc_topic! {
        /// `compute-conductor`.
        pub Topic = "compute-conductor" {
            /// A role is alive (`os-services`).
            cast Heartbeat = "service_heartbeat" (m::Heartbeat);
            /// A compute node's resources (`os-hypervisors`).
            cast ReportNode = "report_node" (m::NodeReport);
            /// Place new servers (through the scheduler) and have their hosts build them.
            cast BuildInstances = "schedule_and_build_instances" (m::BuildInstances);
            /// A server's new state after an agent's operation.
            call InstanceUpdate = "instance_update" (m::InstanceUpdate);
            /// Move a server (resize, cold migration) through the scheduler.
            cast MigrateServer = "migrate_server" (m::MigrateServer);
            /// How a step of a migration ended.
            call MigrationUpdate = "migration_update" (m::MigrationUpdate);
            /// A volume attached to a server or gone from it.
            call VolumeUpdate = "volume_update" (m::VolumeUpdate);
        }
    }
}

/// The scheduler: picks hosts and claims their resources.
pub mod scheduler {
    use super::messages as m;
    ferrostack_rpc::rpc_topic! {
        /// `compute-scheduler`.
        pub Topic = "compute-scheduler" {
            /// A host for each server of a request, resources claimed, or NoValidHost.
            call SelectDestinations = "select_destinations" (m::RequestSpec) -> m::Destinations;
        }
    }
}

/// The agents, each addressed by its host.
pub mod agent {
    use super::messages as m;
    ferrostack_rpc::rpc_topic! {
        /// `compute`.
        pub Topic = "compute" {
            /// Build and start a server placed here.
            cast BuildAndRun = "build_and_run_instance" (m::BuildInstance);
            /// Other services' events about servers here (a port plugged).
            cast ExternalInstanceEvent = "external_instance_event" (m::InstanceEvents);
            /// Rebuild a server here from its (new) image: its guest replaced.
            cast Rebuild = "rebuild_instance" (m::BuildInstance);
            /// Stop, start, reboot, pause, suspend, resume, unshelve, offload or
            /// delete a server here.
            cast Operate = "operate_instance" (m::InstanceOp);
            /// Connect a reserved volume to a server here.
            cast AttachVolume = "attach_volume" (m::VolumeAttach);
            /// Disconnect a volume from a server here and end its attachment.
            cast DetachVolume = "detach_volume" (m::VolumeAttach);
            /// Snapshot a volume attached to a server here, for the volume host.
            cast VolumeSnapshotCreate = "volume_snapshot_create" (m::AssistedSnapshot);
            /// Delete a volume snapshot made for the volume host here.
            cast VolumeSnapshotDelete = "volume_snapshot_delete" (m::AssistedSnapshot);
            /// Make or take a port for a server here and plug it into its guest.
            call AttachInterface = "attach_interface" (m::InterfaceAttach) -> m::InterfaceAttached;
            /// Unplug a port from a server's guest here, then delete or release it.
            call DetachInterface = "detach_interface" (m::InterfaceDetach) -> ();
            /// What the driver sees of a server's guest here.
            call GetDiagnostics = "get_instance_diagnostics" (m::DiagnosticsRequest) -> m::Diagnostics;
            /// Source: power a server off and hand it to the destination.
            cast ResizeInstance = "resize_instance" (m::ResizeStep);
            /// Destination: build the moved server with its new flavor.
            cast FinishResize = "finish_resize" (m::ResizeStep);
            /// Source of a live migration: hand the running guest to the destination.
            cast LiveMigration = "live_migration" (m::ResizeStep);
            /// Destination of a live migration: run the guest here, then free the source.
            cast FinishLiveMigration = "post_live_migration_at_destination" (m::ResizeStep);
            /// Destination of an evacuation: build the server of a dead host here.
            cast Evacuate = "rebuild_evacuated_instance" (m::ResizeStep);
            /// Source: a confirmed move leaves nothing here.
            cast ConfirmResize = "confirm_resize" (m::ResizeStep);
            /// Destination: a reverted move leaves nothing here; the source takes it back.
            cast RevertResize = "revert_resize" (m::ResizeStep);
            /// Source: run the server again as it was.
            cast FinishRevertResize = "finish_revert_resize" (m::ResizeStep);
            /// Shelve a server here (its disk saved into an image).
            cast Shelve = "shelve_instance" (m::Shelve);
            /// Snapshot a server's disk here into an image.
            cast Snapshot = "snapshot_instance" (m::Snapshot);
            /// What a server's console printed here.
            call GetConsoleOutput = "get_console_output" (m::ConsoleOutputRequest) -> m::ConsoleOutput;
            /// Where a server's remote console is reached here.
            call GetConsole = "get_console" (m::ConsoleRequest) -> m::ConsoleConnection;
            /// Set the administrator password of a server's guest here.
            call SetAdminPassword = "set_admin_password" (m::AdminPassword) -> ();
            /// The host's uptime (os-hypervisors uptime).
            call GetHostUptime = "get_host_uptime" (()) -> m::HostUptime;
        }
    }
}
