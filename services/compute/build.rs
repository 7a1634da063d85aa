//! The messages between the compute roles (`proto/`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    ferrostack_protogen::compile(&["ferrostack/compute/v1/compute.proto"], &[])
}
