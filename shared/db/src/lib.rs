//! Database access every service shares: connect by URL (`sqlite://`, `mysql://`,
//! `postgres://`) with pooling, run a service's migrations, and classify errors so
//! unique and foreign-key violations become conflicts instead of 500s.

mod connect;
mod error;
pub mod keyset;
pub mod quota_lock;
pub mod schema;
pub mod service_registry;
mod snapshot;

pub use connect::{connect, migrate, DbOptions, DATABASE_OPTS};
pub use error::{is_deadlock, DbError, DbResult};
pub use sea_orm;
pub use sea_orm_migration;
pub use snapshot::begin_snapshot;
