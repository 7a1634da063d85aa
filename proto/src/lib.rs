//! Protobuf messages shared between a service's roles, generated from the `.proto`
//! files beside this crate.

/// The RPC envelope: request, context, reply and remote error.
pub mod rpc {
    include!(concat!(env!("OUT_DIR"), "/ferrostack.rpc.v1.rs"));
}
