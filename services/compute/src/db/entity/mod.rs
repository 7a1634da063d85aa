//! sea-orm entities, one file per table.

pub mod flavor;
pub mod flavor_extra_spec;
pub mod flavor_project;
pub mod key_pair;
