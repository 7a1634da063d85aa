//! Persistence: sea-orm entities and migrations (the api role's database).

pub mod entity;
pub mod migration;
mod servers_schema;

pub use migration::Migrator;
