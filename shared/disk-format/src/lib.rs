//! Streaming disk image format inspection, after oslo.utils' format
//! inspector as Glance and Cinder use it to refuse image data whose content
//! does not match its `disk_format` or that qemu could be tricked by (backing
//! files, external data files, VMDK extents naming other files). Every
//! service that takes image data runs it itself: the image service on every
//! upload, whatever the declared format, and every consumer (a volume made
//! from an image, compute's image cache) on what it downloaded, then tells
//! qemu-img the format it found, never letting qemu-img guess.
//!
//! The upload is fed chunk by chunk; only the first ~1 MiB (the region
//! every header and VMDK descriptor lies in), the last 1.5 KiB (a VMDK
//! stream footer) and up to 64 KiB of VHDX metadata are kept, the rest is
//! only counted. Results do not depend on how the stream is chunked.

mod capture;
mod qcow2;
mod simple;
mod vhdx;
mod vmdk;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use capture::{Region, Tail};

/// Formats Glance knows as `disk_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiskFormat {
    /// Unstructured disk bytes (partition tables and LUKS volumes included).
    Raw,
    /// QEMU copy-on-write v2/v3.
    Qcow2,
    /// VMware, single-file sparse variants only.
    Vmdk,
    /// Virtual PC / Hyper-V VHD.
    Vhd,
    /// Hyper-V VHDX.
    Vhdx,
    /// ISO 9660 or UDF optical disc image.
    Iso,
    /// Amazon machine image: a raw disk, inspected as raw.
    Ami,
    /// Amazon ramdisk image: raw bytes, inspected as raw.
    Ari,
    /// Amazon kernel image: raw bytes, inspected as raw.
    Aki,
    /// VirtualBox disk image.
    Vdi,
    /// Virtuozzo ploop, qemu's `parallels` format.
    Ploop,
}

impl DiskFormat {
    /// The lowercase name Glance uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Qcow2 => "qcow2",
            Self::Vmdk => "vmdk",
            Self::Vhd => "vhd",
            Self::Vhdx => "vhdx",
            Self::Iso => "iso",
            Self::Ami => "ami",
            Self::Ari => "ari",
            Self::Aki => "aki",
            Self::Vdi => "vdi",
            Self::Ploop => "ploop",
        }
    }

    /// Formats whose content is raw bytes under another name.
    fn is_raw_alias(self) -> bool {
        matches!(self, Self::Ami | Self::Ari | Self::Aki)
    }

    /// The name qemu-img's `-f` takes for content found to be this format.
    pub fn qemu_name(self) -> &'static str {
        match self {
            Self::Raw | Self::Iso | Self::Ami | Self::Ari | Self::Aki => "raw",
            Self::Qcow2 => "qcow2",
            Self::Vmdk => "vmdk",
            Self::Vhd => "vpc",
            Self::Vhdx => "vhdx",
            Self::Vdi => "vdi",
            Self::Ploop => "parallels",
        }
    }
}

impl fmt::Display for DiskFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error parsing a [`DiskFormat`] name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDiskFormat(pub String);

impl fmt::Display for UnknownDiskFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown disk_format {:?}", self.0)
    }
}

impl std::error::Error for UnknownDiskFormat {}

impl FromStr for DiskFormat {
    type Err = UnknownDiskFormat;

    /// Parses a lowercase Glance name such as `qcow2`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "raw" => Self::Raw,
            "qcow2" => Self::Qcow2,
            "vmdk" => Self::Vmdk,
            "vhd" => Self::Vhd,
            "vhdx" => Self::Vhdx,
            "iso" => Self::Iso,
            "ami" => Self::Ami,
            "ari" => Self::Ari,
            "aki" => Self::Aki,
            "vdi" => Self::Vdi,
            "ploop" => Self::Ploop,
            _ => return Err(UnknownDiskFormat(s.to_string())),
        })
    }
}

/// Outcome of a successful inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// What the content was recognised as: the declared format, except that
    /// a `raw` upload may hold an ISO (reported as `Iso`) or a partition
    /// table or LUKS volume (reported as `Raw`); ami, ari and aki hold raw
    /// content and report themselves.
    pub detected: DiskFormat,
    /// Virtual disk size in bytes, when known (for raw: the byte count).
    pub virtual_size: Option<u64>,
}

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InspectError {
    /// The content is another format than declared; `detected` is its qemu
    /// name (`raw` when nothing was recognised, also `gpt`, `qed`, `luks`).
    Mismatch {
        /// The `disk_format` given for the upload.
        declared: DiskFormat,
        /// The format found in the content.
        detected: &'static str,
    },
    /// The content is the declared format but could make qemu access other
    /// files, uses unsupported features, or is ambiguous.
    Unsafe(String),
    /// The content is the declared format but truncated or malformed.
    Invalid(String),
}

impl fmt::Display for InspectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mismatch { declared, detected } => write!(
                f,
                "Image content does not match disk_format {declared} (detected {detected})"
            ),
            Self::Unsafe(reason) => write!(f, "Image is unsafe: {reason}"),
            Self::Invalid(reason) => write!(f, "Image data is invalid: {reason}"),
        }
    }
}

impl std::error::Error for InspectError {}

/// A format recognised in the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    Raw,
    Qcow2,
    Qed,
    Vhd,
    Vhdx,
    Vmdk,
    Vdi,
    Iso,
    Gpt,
    Luks,
    Parallels,
}

impl Content {
    fn name(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Qcow2 => "qcow2",
            Self::Qed => "qed",
            Self::Vhd => "vhd",
            Self::Vhdx => "vhdx",
            Self::Vmdk => "vmdk",
            Self::Vdi => "vdi",
            Self::Iso => "iso",
            Self::Gpt => "gpt",
            Self::Luks => "luks",
            Self::Parallels => "parallels",
        }
    }
}

/// Length of the retained stream prefix: up to the end of the largest
/// VMDK descriptor, which also covers ISO volume descriptors and the VHDX
/// region table.
const HEAD_LEN: usize = vmdk::DESC_END;
const _: () = assert!(HEAD_LEN >= vhdx::REGION_TABLE_END);

/// Inspects an upload as it streams.
pub struct Inspector {
    declared: DiskFormat,
    total: u64,
    head: Region,
    tail: Tail,
    vhdx: vhdx::Locator,
}

impl fmt::Debug for Inspector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inspector")
            .field("declared", &self.declared)
            .field("bytes", &self.total)
            .finish_non_exhaustive()
    }
}

impl Inspector {
    /// Starts inspecting data declared as `declared`.
    pub fn new(declared: DiskFormat) -> Self {
        Self {
            declared,
            total: 0,
            head: Region::new(0, HEAD_LEN),
            tail: Tail::default(),
            vhdx: vhdx::Locator::Start,
        }
    }

    /// Feeds the next chunk of the upload, in order. Only the regions
    /// inspection needs are copied (about 1 MiB at most); the rest is counted.
    pub fn feed(&mut self, chunk: &[u8]) {
        let pos = self.total;
        self.total += chunk.len() as u64;
        self.head.offer(pos, chunk);
        self.tail.push(chunk);
        self.vhdx.feed(self.head.data(), pos, chunk);
    }

    /// Judges the upload once the last chunk has been fed.
    ///
    /// # Errors
    ///
    /// [`InspectError::Mismatch`] if the content is not the declared format,
    /// [`InspectError::Unsafe`] if it is but must not be used (or matches
    /// several formats), [`InspectError::Invalid`] if it is truncated or
    /// malformed.
    pub fn finish(self) -> Result<Report, InspectError> {
        let declared = self.declared;
        let head = self.head.data();
        let byte_count = Some(self.total).filter(|&n| n != 0);
        let report = |detected, virtual_size| Report {
            detected,
            virtual_size,
        };
        match (declared, self.detect()?) {
            (alias, Content::Raw) if alias.is_raw_alias() => Ok(report(alias, byte_count)),
            (alias, Content::Gpt) if alias.is_raw_alias() => {
                simple::check_mbr(head).map(|()| report(alias, byte_count))
            }
            (DiskFormat::Ploop, Content::Parallels) => {
                simple::parallels_size(head).map(|s| report(declared, s))
            }
            (DiskFormat::Raw, Content::Raw) => Ok(report(DiskFormat::Raw, byte_count)),
            (DiskFormat::Raw, Content::Iso) => Ok(report(DiskFormat::Iso, byte_count)),
            (DiskFormat::Raw, Content::Gpt) => {
                simple::check_mbr(head).map(|()| report(DiskFormat::Raw, byte_count))
            }
            (DiskFormat::Raw, Content::Luks) => {
                simple::check_luks(head).map(|()| report(DiskFormat::Raw, byte_count))
            }
            (DiskFormat::Qcow2, Content::Qcow2) => {
                qcow2::inspect(head).map(|s| report(declared, s))
            }
            (DiskFormat::Vmdk, Content::Vmdk) => {
                vmdk::inspect(head, self.tail.bytes(), self.total).map(|s| report(declared, s))
            }
            (DiskFormat::Vhd, Content::Vhd) => simple::vhd_size(head).map(|s| report(declared, s)),
            (DiskFormat::Vhdx, Content::Vhdx) => {
                vhdx::inspect(self.total, &self.vhdx).map(|s| report(declared, s))
            }
            (DiskFormat::Vdi, Content::Vdi) => simple::vdi_size(head).map(|s| report(declared, s)),
            (DiskFormat::Iso, Content::Iso) => Ok(report(declared, simple::iso_size(head))),
            (declared, content) => Err(InspectError::Mismatch {
                declared,
                detected: content.name(),
            }),
        }
    }

    /// Runs every detector over the retained data, as upstream runs all
    /// inspectors in parallel: none matching means raw, several is refused
    /// except ISO + partition table (a hybrid ISO), taken as ISO.
    fn detect(&self) -> Result<Content, InspectError> {
        let head = self.head.data();
        let found: Vec<Content> = [
            (Content::Qcow2, qcow2::matches(head)),
            (Content::Qed, simple::is_qed(head)),
            (Content::Vhd, simple::is_vhd(head)),
            (Content::Vhdx, vhdx::matches(head)),
            (Content::Vmdk, vmdk::matches(head)),
            (Content::Vdi, simple::is_vdi(head)),
            (Content::Iso, simple::is_iso(head)),
            (Content::Gpt, simple::is_mbr(head)),
            (Content::Luks, simple::is_luks(head)),
            (Content::Parallels, simple::is_parallels(head)),
        ]
        .into_iter()
        .filter_map(|(content, hit)| hit.then_some(content))
        .collect();
        match found[..] {
            [] => Ok(Content::Raw),
            [one] | [one @ Content::Iso, Content::Gpt] => Ok(one),
            _ => Err(InspectError::Unsafe(format!(
                "content matches several formats ({})",
                found
                    .iter()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}
