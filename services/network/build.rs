//! The messages between the network roles (`proto/`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    ferrostack_protogen::compile(&["ferrostack/network/v1/network.proto"], &[])
}
