//! sea-orm entities, one file per table.

pub mod image;
pub mod location;
pub mod member;
pub mod metadef_association;
pub mod metadef_item;
pub mod metadef_namespace;
pub mod metadef_resource_type;
pub mod property;
pub mod tag;
pub mod task;
