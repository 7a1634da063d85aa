//! The services `ferrostack up` runs, with their upstream ports.

/// Where a service appears in the catalog.
#[derive(Debug, Clone, Copy)]
pub struct CatalogEntry {
    /// Catalog type (`image`).
    pub kind: &'static str,
    /// Service name (`glance`).
    pub name: &'static str,
}

/// One service: its binary, port and the path of its versioned URL.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    /// Short name, used as log prefix and in file names.
    pub name: &'static str,
    pub binary: &'static str,
    pub port: u16,
    /// Path appended to the base URL in the catalog.
    pub url_path: &'static str,
    /// Registered in identity by `ferrostack up` (identity registers itself).
    pub catalog: Option<CatalogEntry>,
    /// Extra configuration written to `<data>/<name>.conf` before the service starts.
    pub config: &'static str,
}

/// Every service built so far, in start order; identity comes first.
pub const SERVICES: &[ServiceSpec] = &[
    ServiceSpec {
        name: "identity",
        binary: "ferrostack-identity",
        port: 5000,
        url_path: "/v3",
        catalog: None,
        config: "",
    },
    ServiceSpec {
        name: "image",
        binary: "ferrostack-image",
        port: 9292,
        url_path: "",
        catalog: Some(CatalogEntry {
            kind: "image",
            name: "glance",
        }),
        config: "[DEFAULT]\nenabled_backends = local:file, backup:file\n\n[glance_store]\ndefault_backend = local\n\n[local]\nstore_description = Image data under the data directory\n\n[backup]\nstore_description = A second file store, for copy-image\n",
    },
];
