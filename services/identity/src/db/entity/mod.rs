//! sea-orm entities, one file per table.

pub mod access_rule;
pub mod app_cred_access_rule;
pub mod application_credential;
pub mod assignment;
pub mod consumer;
pub mod credential;
pub mod domain;
pub mod domain_config;
pub mod endpoint;
pub mod endpoint_group;
pub mod group;
pub mod group_member;
pub mod implied_role;
pub mod policy_blob;
pub mod project;
pub mod project_endpoint;
pub mod project_endpoint_group;
pub mod project_tag;
pub mod region;
pub mod revision;
pub mod revocation_event;
pub mod role;
pub mod service;
pub mod trust;
pub mod trust_role;
pub mod user;
