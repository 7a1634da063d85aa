//! ferrostack image: Glance v2 in Rust.

pub mod inspect;
