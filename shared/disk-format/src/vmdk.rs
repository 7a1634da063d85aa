//! VMware VMDK: a hosted sparse extent header (`KDMV`) with its text
//! descriptor embedded at sector 1, and for stream-optimized images whose
//! grain directory is at the end, a footer in the last three sectors.

use super::capture::{u32_le, u64_le, TAIL_LEN};
use super::InspectError;

const SPARSE_MAGIC: &[u8] = b"KDMV";
/// Legacy VMDK3 sparse files, which qemu opens but upstream does not know.
const COWD_MAGIC: &[u8] = b"COWD";
/// Bytes of the sparse header that are parsed.
const HEADER_MIN: usize = 64;
/// Upstream (like qemu) only accepts the embedded descriptor at sector 1...
const DESC_OFFSET: usize = 0x200;
/// ...and reads at most 1 MiB - 1 of it.
const DESC_MAX: usize = (1 << 20) - 1;
/// The prefix of the stream that holds any descriptor this module reads.
pub(super) const DESC_END: usize = DESC_OFFSET + DESC_MAX;
/// qemu looks for a parent file name in this much of the descriptor.
const QEMU_DESC_WINDOW: usize = 20 * 512;
/// Grain directory offset meaning "see the footer".
const GD_AT_END: u64 = u64::MAX;
const MARKER_EOS: u32 = 0;
const MARKER_FOOTER: u32 = 3;
/// Descriptor key qemu turns into a backing file, wherever it appears.
const PARENT_HINT: &[u8] = b"parentFileNameHint";
const ALLOWED_TYPES: [&str; 2] = ["monolithicsparse", "streamoptimized"];
const EXTENT_ACCESS: [&str; 3] = ["rw", "rdonly", "noaccess"];

fn unsafe_image(reason: impl Into<String>) -> InspectError {
    InspectError::Unsafe(reason.into())
}

/// A sparse header, or a standalone text descriptor as upstream recognises
/// it (printable first sector naming a `createType`).
pub(super) fn matches(head: &[u8]) -> bool {
    head.starts_with(SPARSE_MAGIC)
        || head.starts_with(COWD_MAGIC)
        || text_descriptor(head).is_some()
}

/// The create type of a standalone descriptor file.
fn text_descriptor(head: &[u8]) -> Option<String> {
    if head.len() < HEADER_MIN || !head[..head.len().min(512)].iter().all(|&b| is_text(b)) {
        return None;
    }
    let text = descriptor_text(&head[..head.len().min(DESC_MAX)])?;
    create_type(&text).map(str::to_string)
}

/// Whitespace as Python's `str.isspace` sees ASCII.
fn is_space(b: u8) -> bool {
    b == b' ' || (0x09..=0x0d).contains(&b) || (0x1c..=0x1f).contains(&b)
}

/// Printable or whitespace as Python's `str` methods see ASCII.
fn is_text(b: u8) -> bool {
    (0x20..=0x7e).contains(&b) || is_space(b)
}

/// The bytes before the first NUL.
fn until_nul(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

/// The descriptor up to its NUL padding, lowercased; `None` unless ASCII.
fn descriptor_text(bytes: &[u8]) -> Option<String> {
    let text = until_nul(bytes);
    text.is_ascii()
        .then(|| String::from_utf8_lossy(text).to_ascii_lowercase())
}

/// The quoted `createType` value (at most 63 characters, as upstream).
fn create_type(text: &str) -> Option<&str> {
    const KEY: &str = "createtype=\"";
    let start = text.find(KEY)? + KEY.len();
    let len = text[start..].find('"')?;
    (len < 64).then(|| &text[start..start + len])
}

/// The sparse header fields this module uses.
struct SparseHeader {
    version: u32,
    capacity: u64,
    desc_sector: u64,
    desc_sectors: u64,
    gd_offset: u64,
}

impl SparseHeader {
    fn parse(b: &[u8]) -> Self {
        Self {
            version: u32_le(b, 4),
            capacity: u64_le(b, 12),
            desc_sector: u64_le(b, 28),
            desc_sectors: u64_le(b, 36),
            gd_offset: u64_le(b, 56),
        }
    }
}

/// Checks header, descriptor and footer; returns the virtual size.
pub(super) fn inspect(head: &[u8], tail: &[u8], total: u64) -> Result<Option<u64>, InspectError> {
    if head.starts_with(COWD_MAGIC) {
        return Err(unsafe_image("legacy VMDK3 (COWD) images are not supported"));
    }
    if !head.starts_with(SPARSE_MAGIC) {
        let kind = text_descriptor(head).unwrap_or_default();
        return Err(unsafe_image(format!(
            "VMDK descriptor file without a sparse extent (createType \"{kind}\") is not allowed"
        )));
    }
    let invalid = |reason: &str| Err(InspectError::Invalid(reason.into()));
    if head.len() < HEADER_MIN {
        return invalid("VMDK header is truncated");
    }
    let header = SparseHeader::parse(head);
    if !(1..=3).contains(&header.version) {
        return Err(InspectError::Invalid(format!(
            "VMDK version {} is not supported",
            header.version
        )));
    }
    if header.desc_sector != 1 {
        return invalid("VMDK embedded descriptor is not at sector 1");
    }
    let desc_len = header.desc_sectors.saturating_mul(512).min(DESC_MAX as u64) as usize;
    let Some(descriptor) = head.get(DESC_OFFSET..DESC_OFFSET + desc_len) else {
        return invalid("VMDK descriptor is truncated");
    };
    let footer = header.gd_offset == GD_AT_END;
    if footer && total < TAIL_LEN as u64 {
        return invalid("VMDK footer is truncated");
    }

    let mut problems: Vec<String> = check_descriptor(descriptor).into_iter().collect();
    let window = &head[DESC_OFFSET..head.len().min(DESC_OFFSET + desc_len.max(QEMU_DESC_WINDOW))];
    if until_nul(window)
        .windows(PARENT_HINT.len())
        .any(|w| w.eq_ignore_ascii_case(PARENT_HINT))
    {
        problems.push("VMDK parent (backing) file is not allowed".into());
    }
    if footer {
        problems.extend(check_footer(&header, tail));
    }
    if !problems.is_empty() {
        return Err(InspectError::Unsafe(problems.join("; ")));
    }
    match header.capacity.checked_mul(512) {
        Some(size) => Ok(Some(size).filter(|&size| size != 0)),
        None => invalid("VMDK capacity is out of range"),
    }
}

/// Upstream's cautious descriptor parse: an allowed create type, only lines
/// it understands, at least one extent and no path in any extent.
fn check_descriptor(descriptor: &[u8]) -> Option<String> {
    let Some(text) = descriptor_text(descriptor) else {
        return Some("VMDK descriptor is not ASCII text".into());
    };
    if text.is_empty() {
        return Some("VMDK descriptor is missing".into());
    }
    match create_type(&text) {
        Some(kind) if ALLOWED_TYPES.contains(&kind) => {}
        Some(kind) => return Some(format!("VMDK createType \"{kind}\" is not allowed")),
        None => return Some("VMDK descriptor has no createType".into()),
    }
    let mut extents = Vec::new();
    for line in text
        .split('\n')
        .map(|l| l.trim_matches(|c: char| is_space(c as u8)))
    {
        let header_field = line
            .split_once('=')
            .is_some_and(|(key, _)| !key.contains(' '));
        if line.is_empty() || line.starts_with('#') || line.starts_with("ddb") || header_field {
            continue;
        }
        if EXTENT_ACCESS.contains(&line.split(' ').next().unwrap_or_default()) {
            extents.push(line);
        } else {
            return Some("VMDK descriptor contains an unsupported line".into());
        }
    }
    if extents.iter().any(|extent| extent.contains('/')) {
        return Some("VMDK extent refers to another file".into());
    }
    extents
        .is_empty()
        .then(|| "VMDK descriptor defines no extents".into())
}

/// The footer must repeat the header's descriptor location and be framed by
/// a footer marker and an end-of-stream marker.
fn check_footer(header: &SparseHeader, tail: &[u8]) -> Option<String> {
    let copy = &tail[512..1024];
    let footer = SparseHeader::parse(copy);
    let problem = if !copy.starts_with(SPARSE_MAGIC) || footer.version != header.version {
        "VMDK footer does not match its header"
    } else if (footer.desc_sector, footer.desc_sectors) != (header.desc_sector, header.desc_sectors)
    {
        "VMDK footer specifies a different descriptor than its header"
    } else if footer.gd_offset == GD_AT_END {
        "VMDK footer points to another footer"
    } else if !is_marker(&tail[..512], MARKER_FOOTER) {
        "VMDK footer marker is invalid"
    } else if !is_marker(&tail[1024..], MARKER_EOS) || u64_le(tail, 1024) != 0 {
        "VMDK end-of-stream marker is invalid"
    } else {
        return None;
    };
    Some(problem.into())
}

/// A metadata marker sector: zero size, the given type, zero padding.
fn is_marker(sector: &[u8], kind: u32) -> bool {
    u32_le(sector, 8) == 0 && u32_le(sector, 12) == kind && sector[16..].iter().all(|&b| b == 0)
}
