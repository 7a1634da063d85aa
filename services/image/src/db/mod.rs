//! Persistence: sea-orm entities, migrations and the queries of the image domain.

pub mod entity;
pub mod list;
pub mod members;
mod metadef_schema;
pub mod metadefs;
pub mod migration;
mod repo;
mod task_schema;
pub mod tasks;
pub mod usage;

pub use migration::Migrator;
pub use repo::Repo;
