//! Servers (Nova's instances): create, read, update, delete and the power
//! actions, with their metadata, tags, faults and action records.

mod flavor;

pub use flavor::InstanceFlavor;
