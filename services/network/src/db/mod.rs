//! Persistence: sea-orm entities and migrations (the server role's database).

pub mod entity;
pub mod migration;

pub use migration::Migrator;
