//! Persistence: sea-orm entities and migrations. Only the api role opens the
//! database; the scheduler and volume roles talk to it over RPC.

pub mod entity;
pub mod migration;

pub use migration::Migrator;
