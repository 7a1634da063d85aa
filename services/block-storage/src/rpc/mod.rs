//! What the block-storage roles say to each other: a topic per role and its
//! methods (typed: each names its request, its reply and how it is sent), the
//! messages (`proto/`), and small helpers.

use ferrostack_rpc::RemoteError;

/// The messages between the roles, generated from `proto/`.
pub mod messages {
    include!(concat!(env!("OUT_DIR"), "/ferrostack.block_storage.v1.rs"));
}

/// The api role: it alone writes the database, from the other roles' reports.
pub mod api {
    use super::messages as m;
    ferrostack_rpc::rpc_topic! {
        /// `block-storage-api`.
        pub Topic = "block-storage-api" {
            /// A volume's new state (or a keepalive of its operation, or a claim
            /// placing it on a host).
            call VolumeUpdate = "volume_update" (m::VolumeUpdate);
            /// A snapshot's new state.
            call SnapshotUpdate = "snapshot_update" (m::SnapshotUpdate);
            /// A backup's new state, with its volume's or snapshot's.
            call BackupUpdate = "backup_update" (m::BackupUpdate);
            /// A role is alive (`os-services`).
            cast Heartbeat = "service_heartbeat" (m::Heartbeat);
        }
    }
}

/// The scheduler: places volumes on backends from their capabilities.
pub mod scheduler {
    use super::messages as m;
    ferrostack_rpc::rpc_topic! {
        /// `block-storage-scheduler`.
        pub Topic = "block-storage-scheduler" {
            /// Place a new volume and ask its backend to make it.
            cast CreateVolume = "create_volume" (m::CreateVolume);
            /// Give a volume another type, moving it when its backend does not suit.
            cast Retype = "retype" (m::RetypeVolume);
            /// os-migrate_volume to a named backend.
            cast MigrateToHost = "migrate_volume_to_host" (m::MigrateToHost);
            /// The backends with fresh reports.
            call GetPools = "get_pools" (()) -> m::Pools;
            /// A backend's capabilities, to every scheduler.
            fanout UpdateCapabilities = "update_capabilities" (m::Capabilities);
        }
    }
}

/// The volume hosts, each addressed as `host@backend`.
pub mod volume {
    use super::messages as m;
    ferrostack_rpc::rpc_topic! {
        /// `block-storage-volume`.
        pub Topic = "block-storage-volume" {
            cast CreateVolume = "create_volume" (m::CreateVolume);
            cast DeleteVolume = "delete_volume" (m::DeleteVolume);
            cast ExtendVolume = "extend_volume" (m::ExtendVolume);
            /// Write an image over a volume's data (os-reimage).
            cast ReimageVolume = "reimage_volume" (m::ReimageVolume);
            /// Copy a volume's data into an image the api role created.
            cast UploadImage = "upload_image" (m::UploadImage);
            /// Move a volume to a backend of this host or of another.
            cast MigrateVolume = "migrate_volume" (m::MigrateVolume);
            cast CreateSnapshot = "create_snapshot" (m::SnapshotRequest);
            cast DeleteSnapshot = "delete_snapshot" (m::SnapshotRequest);
            cast RevertToSnapshot = "revert_to_snapshot" (m::SnapshotRequest);
            /// Export a volume to a connector; the reply is Cinder's connection_info.
            call InitializeConnection = "initialize_connection" (m::ConnectionRequest) -> m::ConnectionInfo;
            call TerminateConnection = "terminate_connection" (m::ConnectionRequest) -> m::ConnectionInfo;
            /// Source host → destination host: make and export an empty volume
            /// to copy a migrating volume into.
            call CreateMigrationTarget = "create_migration_target" (m::CreateMigrationTarget) -> m::MigrationTargetReady;
            /// Source → destination: drop a failed copy.
            call DeleteMigrationTarget = "delete_migration_target" (m::ConnectionRequest);
            /// Backup host → volume host: export the volume (or a temporary
            /// copy of the snapshot) a backup reads.
            call ExportForBackup = "export_for_backup" (m::BackupExport) -> m::ConnectionInfo, timeout = 900;
            /// Backup host → volume host: end that export (dropping the copy).
            call ReleaseBackupExport = "release_backup_export" (m::BackupExport);
            /// What the backend reports now.
            call GetCapabilities = "get_capabilities" (()) -> m::Capabilities;
        }
    }
}

/// The backup hosts: any of them takes a backup's work.
pub mod backup {
    use super::messages as m;
    ferrostack_rpc::rpc_topic! {
        /// `block-storage-backup`.
        pub Topic = "block-storage-backup" {
            cast CreateBackup = "create_backup" (m::CreateBackup);
            cast RestoreBackup = "restore_backup" (m::RestoreBackup);
            cast DeleteBackup = "delete_backup" (m::BackupData);
            /// An imported record: check the repository holds its data.
            cast ImportRecord = "import_record" (m::BackupData);
        }
    }
}

/// An error reply.
pub fn remote(kind: &str, message: impl Into<String>) -> RemoteError {
    RemoteError {
        kind: kind.into(),
        message: message.into(),
    }
}
