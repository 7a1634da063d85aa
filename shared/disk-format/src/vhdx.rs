//! Microsoft VHDX: the virtual size is reached by following the region
//! table (at 192 KiB) to the metadata region, whose table points at the
//! "virtual disk size" item. Both may lie anywhere in the file, so they are
//! located while the stream goes by.

use super::capture::{u16_le, u32_le, u64_le, Region};
use super::InspectError;

const SIGNATURE: &[u8] = b"vhdxfile";
const REGION_TABLE: usize = 192 * 1024;
/// End of the (first) region table: the stream prefix needed to start.
pub(super) const REGION_TABLE_END: usize = REGION_TABLE + 64 * 1024;
const REGION_SIGNATURE: &[u8] = b"regi";
const METADATA_SIGNATURE: &[u8] = b"metadata";
/// Entry limit of both tables, from qemu.
const MAX_ENTRIES: usize = 2047;
const ENTRY_LEN: usize = 32;
/// A metadata table header plus `MAX_ENTRIES` entries.
const TABLE_MAX: usize = ENTRY_LEN * (MAX_ENTRIES + 1);
/// GUID 8B7CA206-4790-4B9A-B8FE-575F050F886E in on-disk byte order.
pub(super) const METADATA_REGION: [u8; 16] = [
    0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b, 0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e,
];
/// GUID 2FA54224-CD1B-4876-B211-5DBED83BF4B8 in on-disk byte order.
pub(super) const VIRTUAL_DISK_SIZE: [u8; 16] = [
    0x24, 0x42, 0xa5, 0x2f, 0x1b, 0xcd, 0x76, 0x48, 0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8,
];

pub(super) fn matches(head: &[u8]) -> bool {
    head.starts_with(SIGNATURE)
}

/// Progress towards the virtual disk size item.
pub(super) enum Locator {
    /// The region table has not streamed by yet.
    Start,
    /// Capturing the metadata table.
    Table(Region),
    /// Capturing the 8-byte virtual disk size.
    Size(Region),
    /// The structures are invalid.
    Failed(String),
}

impl Locator {
    /// Takes the next chunk (at stream position `pos`); `head` is the
    /// retained stream prefix, which already includes the chunk's bytes.
    pub(super) fn feed(&mut self, head: &[u8], pos: u64, chunk: &[u8]) {
        if let Self::Table(region) | Self::Size(region) = self {
            region.offer(pos, chunk);
        }
        loop {
            let next = match self {
                Self::Start if head.len() >= REGION_TABLE_END && matches(head) => {
                    match metadata_offset(&head[REGION_TABLE..REGION_TABLE_END]) {
                        Ok(offset) => {
                            Self::Table(backfilled(offset, TABLE_MAX, head, None, pos, chunk))
                        }
                        Err(reason) => Self::Failed(reason),
                    }
                }
                Self::Table(table) => match size_item(table.data()) {
                    Ok(None) => return,
                    Ok(Some(item)) => match table.offset().checked_add(item) {
                        Some(offset) => {
                            Self::Size(backfilled(offset, 8, head, Some(table), pos, chunk))
                        }
                        None => Self::Failed("VHDX virtual disk size is out of range".into()),
                    },
                    Err(reason) => Self::Failed(reason),
                },
                _ => return,
            };
            *self = next;
        }
    }
}

/// A new window, given whatever of it has already streamed by: from the
/// retained prefix, the region captured before it, and the current chunk.
fn backfilled(
    offset: u64,
    len: usize,
    head: &[u8],
    earlier: Option<&Region>,
    pos: u64,
    chunk: &[u8],
) -> Region {
    let mut region = Region::new(offset, len);
    region.offer(0, head);
    if let Some(earlier) = earlier {
        region.offer(earlier.offset(), earlier.data());
    }
    region.offer(pos, chunk);
    region
}

/// Finds the metadata region in the region table.
fn metadata_offset(table: &[u8]) -> Result<u64, String> {
    if !table.starts_with(REGION_SIGNATURE) {
        return Err("VHDX region table signature is missing".into());
    }
    let count = u32_le(table, 8) as usize;
    if count > MAX_ENTRIES {
        return Err(format!(
            "VHDX region table has {count} entries (limit {MAX_ENTRIES})"
        ));
    }
    table[16..16 + count * ENTRY_LEN]
        .chunks(ENTRY_LEN)
        .find(|entry| entry[..16] == METADATA_REGION)
        .map(|entry| u64_le(entry, 16))
        .ok_or_else(|| "VHDX region table has no metadata region".into())
}

/// Finds the virtual disk size item (offset relative to the metadata
/// region) in the metadata table; `None` until enough of it is captured.
fn size_item(table: &[u8]) -> Result<Option<u64>, String> {
    if table.len() < ENTRY_LEN {
        return Ok(None);
    }
    if !table.starts_with(METADATA_SIGNATURE) {
        return Err("VHDX metadata table signature is missing".into());
    }
    let count = usize::from(u16_le(table, 10));
    if count > MAX_ENTRIES {
        return Err(format!(
            "VHDX metadata table has {count} entries (limit {MAX_ENTRIES})"
        ));
    }
    let Some(entries) = table.get(ENTRY_LEN..ENTRY_LEN * (count + 1)) else {
        return Ok(None);
    };
    let entry = entries
        .chunks(ENTRY_LEN)
        .find(|entry| entry[..16] == VIRTUAL_DISK_SIZE)
        .ok_or("VHDX metadata has no virtual disk size")?;
    if u32_le(entry, 20) != 8 {
        return Err("VHDX virtual disk size item has an invalid length".into());
    }
    Ok(Some(u64::from(u32_le(entry, 16))))
}

/// The virtual size, once the whole stream has been fed.
pub(super) fn inspect(total: u64, locator: &Locator) -> Result<Option<u64>, InspectError> {
    match locator {
        _ if total < REGION_TABLE_END as u64 => {
            Err(InspectError::Invalid("VHDX header is truncated".into()))
        }
        Locator::Size(size) if size.is_complete() => {
            Ok(Some(u64_le(size.data(), 0)).filter(|&size| size != 0))
        }
        Locator::Failed(reason) => Err(InspectError::Invalid(reason.clone())),
        _ => Err(InspectError::Invalid("VHDX metadata is truncated".into())),
    }
}
