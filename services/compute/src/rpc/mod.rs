//! What the compute roles say to each other: a topic per role and its typed
//! methods, and the messages (`proto/`).

/// The messages between the roles, generated from `proto/`.
pub mod messages {
    include!(concat!(env!("OUT_DIR"), "/ferrostack.compute.v1.rs"));
}

/// The conductor: it writes what the agents report.
pub mod conductor {
    use super::messages as m;
    ferrostack_rpc::rpc_topic! {
        /// `compute-conductor`.
        pub Topic = "compute-conductor" {
            /// A role is alive (`os-services`).
            cast Heartbeat = "service_heartbeat" (m::Heartbeat);
            /// A compute node's resources (`os-hypervisors`).
            cast ReportNode = "report_node" (m::NodeReport);
        }
    }
}
