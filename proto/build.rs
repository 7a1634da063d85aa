//! Generates the prost types of every `.proto` file under this crate.

fn main() -> std::io::Result<()> {
    let files = [
        "ferrostack/rpc/v1/envelope.proto",
        "ferrostack/block_storage/v1/volume.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    prost_build::compile_protos(&files, &["."])
}
