//! sea-orm entities, one file per table.

pub mod aggregate;
pub mod aggregate_host;
pub mod aggregate_metadata;
pub mod allocation;
pub mod block_device_mapping;
pub mod compute_node;
pub mod console_auth_token;
pub mod flavor;
pub mod flavor_extra_spec;
pub mod flavor_project;
pub mod instance;
pub mod instance_action;
pub mod instance_action_event;
pub mod instance_fault;
pub mod instance_metadata;
pub mod instance_network;
pub mod instance_system_metadata;
pub mod instance_tag;
pub mod key_pair;
pub mod migration;
pub mod project_user_quota;
pub mod quota;
pub mod quota_class;
pub mod server_group;
pub mod server_group_member;
pub mod service_record;

/// The service registry's table (`shared/db`).
pub use ferrostack_db::service_registry::entity as service;
