//! The services `ferrostack up` runs: one row each, so adding a service is adding
//! a row.

/// Where a service appears in the catalog.
#[derive(Debug, Clone, Copy)]
pub struct CatalogEntry {
    /// Catalog type (`image`).
    pub kind: &'static str,
    /// Service name (`glance`).
    pub name: &'static str,
}

/// What happens before a service first serves.
#[derive(Debug, Clone, Copy)]
pub enum Setup {
    /// `<binary> bootstrap` makes the admin, the roles and the service's own catalog
    /// entry: the identity service, which every other row registers with.
    Bootstrap,
    /// Registered through the identity API: its catalog entries and a service user
    /// (admin and service roles on project `service`) whose credentials go into its
    /// `[keystone_authtoken]`.
    Register {
        user: &'static str,
        catalog: &'static [CatalogEntry],
    },
}

/// One service.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    /// Short name: log tag, state directory and configuration file name.
    pub name: &'static str,
    pub binary: &'static str,
    /// Its roles, all run by the one process `ferrostack up` starts.
    pub roles: &'static [&'static str],
    /// Upstream port (plus `--port-offset`).
    pub port: u16,
    /// Path appended to the base URL in the catalog.
    pub url_path: &'static str,
    pub setup: Setup,
    /// Configuration sections written to its configuration file before it starts.
    pub config: &'static str,
    /// What it is given once it serves.
    pub seed: Seed,
}

/// What `ferrostack up` makes in a service once it serves (when missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    Nothing,
    /// The external network `public` (see `public_network.rs`).
    PublicNetwork,
}

/// Every service built so far, in start order: identity first, since the others
/// register with it.
pub const SERVICES: &[ServiceSpec] = &[
    ServiceSpec {
        name: "identity",
        binary: "ferrostack-identity",
        roles: &["api"],
        port: 5000,
        url_path: "/v3",
        setup: Setup::Bootstrap,
        config: "",
        seed: Seed::Nothing,
    },
    ServiceSpec {
        name: "image",
        binary: "ferrostack-image",
        roles: &["api"],
        port: 9292,
        url_path: "",
        setup: Setup::Register {
            user: "glance",
            catalog: &[CatalogEntry {
                kind: "image",
                name: "glance",
            }],
        },
        config: "[DEFAULT]\nenabled_backends = backup:file, local:file\n\n[glance_store]\ndefault_backend = local\n\n[local]\nstore_description = Image data under the data directory\n\n[backup]\nstore_description = A second file store, for copy-image\n",
        seed: Seed::Nothing,
    },
    ServiceSpec {
        name: "block-storage",
        binary: "ferrostack-block-storage",
        roles: &["api", "scheduler", "volume", "backup"],
        port: 8776,
        url_path: "/v3/%(project_id)s",
        setup: Setup::Register {
            user: "cinder",
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
        },
        config: "[DEFAULT]\nenabled_backends = file, qcow2\n\n[file]\nvolume_driver = file\nvolume_backend_name = file\n\n# A second backend, for retype and migration.\n[qcow2]\nvolume_driver = file\nvolume_format = qcow2\nvolume_backend_name = qcow2\n",
        seed: Seed::Nothing,
    },
    ServiceSpec {
        name: "compute",
        binary: "ferrostack-compute",
        roles: &["api", "conductor", "scheduler", "agent"],
        port: 8774,
        url_path: "/v2.1",
        setup: Setup::Register {
            user: "nova",
            catalog: &[CatalogEntry {
                kind: "compute",
                name: "nova",
            }],
        },
        config: "[DEFAULT]\n# One host: a resize stays on it.\nallow_resize_to_same_host = true\n",
        seed: Seed::Nothing,
    },
    ServiceSpec {
        name: "network",
        binary: "ferrostack-network",
        roles: &["server", "agent"],
        port: 9696,
        url_path: "",
        setup: Setup::Register {
            user: "neutron",
            catalog: &[CatalogEntry {
                kind: "network",
                name: "neutron",
            }],
        },
        config: "[ml2]\n# Project networks get VXLAN ids of this range.\ntenant_network_types = vxlan\n\n[ml2_type_vxlan]\nvni_ranges = 1:1000\n",
        seed: Seed::PublicNetwork,
    },
];

/// The identity service: the row that bootstraps.
pub fn identity() -> &'static ServiceSpec {
    SERVICES
        .iter()
        .find(|s| matches!(s.setup, Setup::Bootstrap))
        .expect("the table has an identity service")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_starts_before_every_service_that_registers_with_it() {
        let first_registered = SERVICES
            .iter()
            .position(|s| matches!(s.setup, Setup::Register { .. }))
            .unwrap();
        let bootstraps = SERVICES
            .iter()
            .position(|s| matches!(s.setup, Setup::Bootstrap))
            .unwrap();
        assert!(bootstraps < first_registered);
        assert_eq!(identity().name, "identity");
    }

    #[test]
    fn names_and_ports_are_distinct() {
        for (i, a) in SERVICES.iter().enumerate() {
            for b in &SERVICES[i + 1..] {
                assert_ne!(a.name, b.name);
                assert_ne!(a.port, b.port);
            }
        }
    }
}
