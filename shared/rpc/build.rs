//! The RPC envelope; the context carries the caller's token, so its Debug
//! (in `src/envelope.rs`) is written by hand to hide it.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    ferrostack_protogen::compile(
        &["ferrostack/rpc/v1/envelope.proto"],
        &["ferrostack.rpc.v1.Context"],
    )
}
