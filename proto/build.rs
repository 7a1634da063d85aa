//! Generates the prost types of every `.proto` file under this crate.
//!
//! The files are parsed by protox (pure Rust), so building needs no system `protoc`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "ferrostack/rpc/v1/envelope.proto",
        "ferrostack/block_storage/v1/volume.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["."])?;
    // The context carries the caller's token: its Debug (in proto/src/lib.rs) hides it.
    prost_build::Config::new()
        .skip_debug(["ferrostack.rpc.v1.Context"])
        .compile_fds(descriptors)?;
    Ok(())
}
