//! Protobuf messages shared between a service's roles, generated from the `.proto`
//! files beside this crate.

/// The RPC envelope: request, context, reply and remote error.
pub mod rpc {
    include!(concat!(env!("OUT_DIR"), "/ferrostack.rpc.v1.rs"));
}

/// Block storage: the messages between the api, scheduler and volume roles.
pub mod block_storage {
    include!(concat!(env!("OUT_DIR"), "/ferrostack.block_storage.v1.rs"));
}
