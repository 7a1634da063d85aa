//! sea-orm entities, one file per table.

pub mod attachment;
pub mod backup;
pub mod encryption;
pub mod frozen_backend;
pub mod group;
pub mod group_snapshot;
pub mod group_type;
pub mod group_volume_type;
pub mod message;
pub mod qos_specs;
pub mod quota;
pub mod quota_class;
pub mod snapshot;
pub mod transfer;
pub mod volume;
pub mod volume_type;
pub mod volume_type_project;

/// The service registry's table (`shared/db`).
pub use ferrostack_db::service_registry::entity as service;
