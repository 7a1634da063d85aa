//! Persistence: sea-orm entities, migrations, and the connection with its
//! cross-process write counter.

pub mod entity;
pub mod migration;
mod store;

pub use migration::Migrator;
pub use store::Store;
