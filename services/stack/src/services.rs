//! The services `ferrostack up` runs, with their upstream ports.

/// One service: its binary, port and the path of its versioned URL.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    /// Short name, used as log prefix and in file names.
    pub name: &'static str,
    pub binary: &'static str,
    pub port: u16,
    /// Path appended to the base URL in the catalog.
    pub url_path: &'static str,
}

/// Every service built so far, in start order.
pub const SERVICES: &[ServiceSpec] = &[ServiceSpec {
    name: "identity",
    binary: "ferrostack-identity",
    port: 5000,
    url_path: "/v3",
}];
