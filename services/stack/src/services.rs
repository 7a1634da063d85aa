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
    /// Catalog entries registered by `ferrostack up` (identity registers itself).
    pub catalog: &'static [CatalogEntry],
    /// The service user's name, when the service validates tokens.
    pub user: Option<&'static str>,
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
        catalog: &[],
        user: None,
        config: "",
    },
    ServiceSpec {
        name: "image",
        binary: "ferrostack-image",
        port: 9292,
        url_path: "",
        catalog: &[CatalogEntry {
            kind: "image",
            name: "glance",
        }],
        user: Some("glance"),
        config: "[DEFAULT]\nenabled_backends = local:file, backup:file\n\n[glance_store]\ndefault_backend = local\n\n[local]\nstore_description = Image data under the data directory\n\n[backup]\nstore_description = A second file store, for copy-image\n",
    },
    ServiceSpec {
        name: "block-storage",
        binary: "ferrostack-block-storage",
        port: 8776,
        url_path: "/v3/%(project_id)s",
        catalog: &[
            CatalogEntry {
                kind: "volumev3",
                name: "cinderv3",
            },
            CatalogEntry {
                kind: "block-storage",
                name: "cinder",
            },
        ],
        user: Some("cinder"),
        config: "[DEFAULT]\nenabled_backends = file, qcow2\n\n[file]\nvolume_driver = file\nvolume_backend_name = file\n\n# A second backend, for retype and migration.\n[qcow2]\nvolume_driver = file\nvolume_format = qcow2\nvolume_backend_name = qcow2\n",
    },
];
