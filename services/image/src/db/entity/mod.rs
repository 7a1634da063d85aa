//! sea-orm entities, one file per table.

pub mod image;
pub mod location;
pub mod member;
pub mod property;
pub mod tag;
