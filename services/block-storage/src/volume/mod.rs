//! The volume role: one manager per configured backend, serving
//! `block-storage-volume.<host>@<backend>`. It builds and removes volumes with its
//! driver, reports results and heartbeats to the api role and capabilities to the
//! schedulers. It holds no database credentials.

pub(crate) mod connection_copy;
mod driver;
mod file;
mod image_transfer;
mod iscsi;
pub(crate) mod keepalive;
mod manager;
mod tgt_admin;
mod tools;

pub use driver::{Driver, DriverError, DriverFactory, DRIVERS};
pub use file::FileDriver;
pub use iscsi::{IscsiDriver, IscsiOptions};
pub use manager::{start, BINARY};
