//! QEMU qcow2: big-endian header at offset 0.

use super::capture::{u32_be, u64_be};
use super::InspectError;

const MAGIC: &[u8] = b"QFI\xfb";
/// Upstream reads the first sector before judging the header.
const HEADER_LEN: usize = 512;
/// Incompatible feature bit 2: guest data lives in an external file.
const DATA_FILE: u64 = 1 << 2;
/// Incompatible features upstream knows (dirty, corrupt, data file,
/// compression type); any other bit is refused.
const KNOWN_FEATURES: u64 = 0xf;

pub(super) fn matches(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

/// Checks the header; returns the virtual size.
pub(super) fn inspect(head: &[u8]) -> Result<Option<u64>, InspectError> {
    if head.len() < HEADER_LEN {
        return Err(InspectError::Invalid("qcow2 header is truncated".into()));
    }
    let version = u32_be(head, 4);
    let features = u64_be(head, 72);
    let mut problems = Vec::new();
    if u64_be(head, 8) != 0 {
        problems.push("qcow2 backing file is not allowed".to_string());
    }
    match version {
        2 => {}
        3 => {
            if features & DATA_FILE != 0 {
                problems.push("qcow2 external data file is not allowed".into());
            }
            if features & !KNOWN_FEATURES != 0 {
                problems.push("qcow2 image uses unknown incompatible features".into());
            }
        }
        v => problems.push(format!("qcow2 version {v} is not supported")),
    }
    if !problems.is_empty() {
        return Err(InspectError::Unsafe(problems.join("; ")));
    }
    Ok(Some(u64_be(head, 24)).filter(|&size| size != 0))
}
