//! sea-orm entities, one file per table.

pub mod agent;
pub mod default_security_group;
pub mod floating_ip;
pub mod ip_allocation;
pub mod network;
pub mod network_rbac;
pub mod port;
pub mod port_security_group;
pub mod quota;
pub mod router;
pub mod security_group;
pub mod security_group_rule;
pub mod segment_allocation;
pub mod subnet;
pub mod subnet_pool;
pub mod tag;
