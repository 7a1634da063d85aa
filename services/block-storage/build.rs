//! The messages between the block-storage roles (`proto/`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    ferrostack_protogen::compile(&["ferrostack/block_storage/v1/volume.proto"], &[])
}
