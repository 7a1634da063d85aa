//! Formats judged from a fixed header near the start of the stream: VHD,
//! VDI, QED, ISO 9660/UDF, MBR/GPT partition tables, LUKS and Parallels
//! (ploop).

use super::capture::{u16_be, u16_le, u32_le, u64_be, u64_le};
use super::InspectError;

/// Header length upstream captures for VHD and VDI before judging them.
const SECTOR: usize = 512;

fn truncated(what: &str) -> InspectError {
    InspectError::Invalid(format!("{what} is truncated"))
}

/// A dynamic VHD starts with a copy of its `conectix` footer (a fixed VHD,
/// footer only at the end, is raw data to qemu's probe and to upstream).
pub(super) fn is_vhd(head: &[u8]) -> bool {
    head.starts_with(b"conectix")
}

/// The VHD "original size" field.
pub(super) fn vhd_size(head: &[u8]) -> Result<Option<u64>, InspectError> {
    if head.len() < SECTOR {
        return Err(truncated("VHD footer copy"));
    }
    Ok(Some(u64_be(head, 40)).filter(|&size| size != 0))
}

const VDI_MAGIC: u32 = 0xbeda_107f;

pub(super) fn is_vdi(head: &[u8]) -> bool {
    head.len() >= 0x44 && u32_le(head, 0x40) == VDI_MAGIC
}

pub(super) fn vdi_size(head: &[u8]) -> Result<Option<u64>, InspectError> {
    if head.len() < SECTOR {
        return Err(truncated("VDI header"));
    }
    Ok(Some(u64_le(head, 0x170)).filter(|&size| size != 0))
}

/// Parallels (Virtuozzo ploop) images start with one of two signatures.
const PARALLELS_MAGICS: [&[u8; 16]; 2] = [b"WithoutFreeSpace", b"WithouFreSpacExt"];
/// Header fields read: signature, version, geometry, BAT size, sector count.
const PARALLELS_HEADER: usize = 44;

pub(super) fn is_parallels(head: &[u8]) -> bool {
    PARALLELS_MAGICS.iter().any(|m| head.starts_with(&m[..]))
}

/// Version 2 only (qemu's); the size is the sector count at offset 36. The
/// format has no backing or external data files.
pub(super) fn parallels_size(head: &[u8]) -> Result<Option<u64>, InspectError> {
    if head.len() < PARALLELS_HEADER {
        return Err(truncated("Parallels header"));
    }
    let version = u32_le(head, 16);
    if version != 2 {
        return Err(InspectError::Unsafe(format!(
            "unsupported Parallels version {version}"
        )));
    }
    Ok(u64_le(head, 36).checked_mul(512).filter(|&size| size != 0))
}

/// QED is recognised only to be refused.
pub(super) fn is_qed(head: &[u8]) -> bool {
    head.starts_with(b"QED\0")
}

/// Volume descriptors are 2 KiB sectors after the 32 KiB system area.
const ISO_SECTOR: usize = 2048;
const ISO_PRIMARY: usize = 0x8000;
const ISO_DESCRIPTORS: [usize; 3] = [ISO_PRIMARY, 0x8800, 0x9000];
const ISO_IDS: [&[u8]; 3] = [b"CD001", b"NSR02", b"NSR03"];

pub(super) fn is_iso(head: &[u8]) -> bool {
    ISO_DESCRIPTORS.iter().any(|&at| {
        head.get(at..at + ISO_SECTOR)
            .is_some_and(|desc| ISO_IDS.contains(&&desc[1..6]))
    })
}

/// Volume space size times logical block size of the primary volume
/// descriptor, if the first descriptor is one.
pub(super) fn iso_size(head: &[u8]) -> Option<u64> {
    let desc = head.get(ISO_PRIMARY..ISO_PRIMARY + ISO_SECTOR)?;
    if desc[0] != 1 {
        return None;
    }
    let size = u64::from(u32_le(desc, 80)) * u64::from(u16_le(desc, 128));
    Some(size).filter(|&size| size != 0)
}

const MBR_ENTRIES: usize = 446;
const GPT_PROTECTIVE: u8 = 0xee;

/// A boot sector signature, unless the sector is a FAT volume boot record
/// (two FATs on a fixed disk), which carries the same signature.
pub(super) fn is_mbr(head: &[u8]) -> bool {
    head.len() >= SECTOR
        && head[510..512] == [0x55, 0xaa]
        && !(head[0x10] == 2 && head[0x15] == 0xf8)
}

/// Upstream's "mbr" safety check on the four primary partition entries.
pub(super) fn check_mbr(head: &[u8]) -> Result<(), InspectError> {
    let unsafe_mbr = |reason: String| Err(InspectError::Unsafe(reason));
    let mut used = Vec::new();
    let mut protective = false;
    for (i, entry) in head[MBR_ENTRIES..MBR_ENTRIES + 64].chunks(16).enumerate() {
        if entry[0] != 0 && entry[0] != 0x80 {
            return unsafe_mbr(format!("MBR partition entry {i} has an invalid boot flag"));
        }
        if entry[4] != 0 {
            used.push(i);
        }
        if entry[4] == GPT_PROTECTIVE {
            protective = true;
            if entry[1..4] != [0, 2, 0] {
                return unsafe_mbr("GPT protective MBR has an invalid start CHS".into());
            }
            if u32_le(entry, 8) != 1 {
                return unsafe_mbr("GPT protective MBR has an invalid start LBA".into());
            }
        }
    }
    if protective && used != [0] {
        return unsafe_mbr("GPT protective MBR defines extra partitions".into());
    }
    if used.is_empty() {
        return unsafe_mbr("MBR defines no partitions".into());
    }
    Ok(())
}

const LUKS_HEADER: usize = 592;

pub(super) fn is_luks(head: &[u8]) -> bool {
    head.starts_with(b"LUKS\xba\xbe")
}

/// Only LUKS version 1 is accepted, as upstream.
pub(super) fn check_luks(head: &[u8]) -> Result<(), InspectError> {
    if head.len() < LUKS_HEADER {
        return Err(truncated("LUKS header"));
    }
    match u16_be(head, 6) {
        1 => Ok(()),
        v => Err(InspectError::Unsafe(format!(
            "LUKS version {v} is not supported"
        ))),
    }
}
