//! Compiles a crate's own `.proto` files into prost types, from its `build.rs`.
//! Files live under the crate's `proto/` directory (also the import root) and
//! are parsed by protox, pure Rust, so no build needs a system `protoc`. The
//! generated modules land in `OUT_DIR`, one per protobuf package
//! (`ferrostack.block_storage.v1.rs`), for the crate to `include!`.

use std::error::Error;

/// Compiles `files` (paths under `proto/`); messages named in `skip_debug`
/// (fully qualified, `ferrostack.rpc.v1.Context`) get no derived `Debug`, so the
/// crate can write one that hides secrets.
pub fn compile(files: &[&str], skip_debug: &[&str]) -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=proto");
    let paths: Vec<String> = files.iter().map(|f| format!("proto/{f}")).collect();
    let descriptors = protox::compile(&paths, ["proto"])?;
    prost_build::Config::new()
        .skip_debug(skip_debug.iter().copied())
        .compile_fds(descriptors)?;
    Ok(())
}
