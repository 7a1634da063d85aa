use super::*;

const MIB: usize = 1 << 20;

fn put(buf: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    if buf.len() < at + bytes.len() {
        buf.resize(at + bytes.len(), 0);
    }
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

fn inspect(declared: DiskFormat, data: &[u8]) -> Result<Report, InspectError> {
    let mut inspector = Inspector::new(declared);
    inspector.feed(data);
    inspector.finish()
}

/// Feeds `data` in chunks of 1 to 7 bytes.
fn inspect_dribbled(declared: DiskFormat, data: &[u8]) -> Result<Report, InspectError> {
    let mut inspector = Inspector::new(declared);
    let mut rest = data;
    for size in (1..=7).cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        inspector.feed(chunk);
        rest = tail;
    }
    inspector.finish()
}

fn ok(detected: DiskFormat, virtual_size: u64) -> Result<Report, InspectError> {
    Ok(Report {
        detected,
        virtual_size: Some(virtual_size),
    })
}

fn mismatch(declared: DiskFormat, detected: &'static str) -> Result<Report, InspectError> {
    Err(InspectError::Mismatch { declared, detected })
}

fn assert_unsafe(result: Result<Report, InspectError>, needle: &str) {
    match result {
        Err(InspectError::Unsafe(reason)) => assert!(reason.contains(needle), "{reason}"),
        other => panic!("expected unsafe ({needle}), got {other:?}"),
    }
}

fn assert_invalid(result: Result<Report, InspectError>, needle: &str) {
    match result {
        Err(InspectError::Invalid(reason)) => assert!(reason.contains(needle), "{reason}"),
        other => panic!("expected invalid ({needle}), got {other:?}"),
    }
}

const QCOW2_SIZE: u64 = 10 << 30;

fn qcow2(version: u32, backing_offset: u64, incompatible: u64) -> Vec<u8> {
    let mut img = vec![0; 64 * 1024];
    put(&mut img, 0, b"QFI\xfb");
    put(&mut img, 4, &version.to_be_bytes());
    put(&mut img, 8, &backing_offset.to_be_bytes());
    put(&mut img, 20, &16u32.to_be_bytes());
    put(&mut img, 24, &QCOW2_SIZE.to_be_bytes());
    put(&mut img, 72, &incompatible.to_be_bytes());
    put(&mut img, 100, &104u32.to_be_bytes());
    img
}

const VMDK_SECTORS: u64 = 20480;

fn vmdk_descriptor(create_type: &str, extent: &str) -> String {
    format!(
        "# Disk DescriptorFile\nversion=1\nCID=1d2b2fbb\nparentCID=ffffffff\n\
         createType=\"{create_type}\"\n\n# Extent description\n{extent}\n\n\
         # The Disk Data Base\n#DDB\n\nddb.virtualHWVersion = \"4\"\n\
         ddb.adapterType = \"ide\"\n"
    )
}

/// A hosted sparse extent with `descriptor` embedded at sector 1.
fn vmdk(descriptor: &str, gd_offset: u64) -> Vec<u8> {
    let mut img = vec![0; 64 * 1024];
    put(&mut img, 0, &vmdk_header(gd_offset));
    put(&mut img, 512, descriptor.as_bytes());
    img
}

fn vmdk_header(gd_offset: u64) -> Vec<u8> {
    let mut h = vec![0; 512];
    put(&mut h, 0, b"KDMV");
    put(&mut h, 4, &1u32.to_le_bytes());
    put(&mut h, 8, &3u32.to_le_bytes());
    put(&mut h, 12, &VMDK_SECTORS.to_le_bytes());
    put(&mut h, 20, &128u64.to_le_bytes());
    put(&mut h, 28, &1u64.to_le_bytes());
    put(&mut h, 36, &20u64.to_le_bytes());
    put(&mut h, 44, &512u32.to_le_bytes());
    put(&mut h, 56, &gd_offset.to_le_bytes());
    put(&mut h, 73, b"\n \r\n");
    h
}

fn monolithic_sparse() -> Vec<u8> {
    vmdk(
        &vmdk_descriptor("monolithicSparse", "RW 20480 SPARSE \"disk.vmdk\""),
        26,
    )
}

/// A stream-optimized VMDK whose grain directory is in the footer.
fn stream_optimized() -> Vec<u8> {
    let mut img = vmdk(
        &vmdk_descriptor("streamOptimized", "RW 20480 SPARSE \"disk.vmdk\""),
        u64::MAX,
    );
    let mut marker = vec![0; 512];
    put(&mut marker, 0, &1u64.to_le_bytes());
    put(&mut marker, 12, &3u32.to_le_bytes());
    img.extend_from_slice(&marker);
    img.extend_from_slice(&vmdk_header(130));
    img.extend_from_slice(&[0; 512]);
    img
}

const VHD_SIZE: u64 = 1 << 30;

fn vhd() -> Vec<u8> {
    let mut img = vec![0; 4096];
    put(&mut img, 0, b"conectix");
    put(&mut img, 40, &VHD_SIZE.to_be_bytes());
    put(&mut img, 48, &VHD_SIZE.to_be_bytes());
    put(&mut img, 60, &3u32.to_be_bytes());
    put(&mut img, 512, b"cxsparse");
    img
}

const VHDX_SIZE: u64 = 3 << 30;
const METADATA_GUID: [u8; 16] = vhdx::METADATA_REGION;
const SIZE_GUID: [u8; 16] = vhdx::VIRTUAL_DISK_SIZE;

/// A VHDX whose metadata region lies at `metadata` (qemu uses 2 MiB).
fn vhdx(metadata: usize) -> Vec<u8> {
    let mut img = vec![0; 64 * 1024];
    put(&mut img, 0, b"vhdxfile");
    let table = 192 * 1024;
    put(&mut img, table, b"regi");
    put(&mut img, table + 8, &2u32.to_le_bytes());
    // A BAT entry first, then the metadata region entry.
    put(&mut img, table + 16, &[0x66; 16]);
    put(&mut img, table + 32, &(3 * MIB as u64).to_le_bytes());
    put(&mut img, table + 48, &METADATA_GUID);
    put(&mut img, table + 64, &(metadata as u64).to_le_bytes());
    put(&mut img, table + 72, &(MIB as u32).to_le_bytes());
    put(&mut img, metadata, b"metadata");
    put(&mut img, metadata + 10, &2u16.to_le_bytes());
    put(&mut img, metadata + 32, &[0x77; 16]);
    put(&mut img, metadata + 64, &SIZE_GUID);
    put(&mut img, metadata + 80, &(64 * 1024u32 + 8).to_le_bytes());
    put(&mut img, metadata + 84, &8u32.to_le_bytes());
    put(&mut img, metadata + 64 * 1024 + 8, &VHDX_SIZE.to_le_bytes());
    img.resize(img.len() + 4096, 0);
    img
}

const ISO_BLOCKS: u32 = 300;

fn iso() -> Vec<u8> {
    let mut img = vec![0; 40 * 1024];
    put(&mut img, 0x8000, b"\x01CD001\x01");
    put(&mut img, 0x8000 + 80, &ISO_BLOCKS.to_le_bytes());
    put(&mut img, 0x8000 + 84, &ISO_BLOCKS.to_be_bytes());
    put(&mut img, 0x8000 + 128, &2048u16.to_le_bytes());
    put(&mut img, 0x8000 + 130, &2048u16.to_be_bytes());
    put(&mut img, 0x8800, b"\xffCD001\x01");
    img
}

/// A disk with a valid protective MBR.
fn gpt() -> Vec<u8> {
    let mut img = vec![0; 4096];
    put(
        &mut img,
        446,
        &[
            0, 0, 2, 0, 0xee, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0xff, 0x0f, 0, 0,
        ],
    );
    put(&mut img, 510, &[0x55, 0xaa]);
    img
}

fn vdi() -> Vec<u8> {
    let mut img = vec![0; 4096];
    put(&mut img, 0, b"<<< Oracle VM VirtualBox Disk Image >>>\n");
    put(&mut img, 0x40, &0xbeda_107fu32.to_le_bytes());
    put(&mut img, 0x170, &(5u64 << 30).to_le_bytes());
    img
}

fn luks(version: u16) -> Vec<u8> {
    let mut img = vec![0; 8192];
    put(&mut img, 0, b"LUKS\xba\xbe");
    put(&mut img, 6, &version.to_be_bytes());
    put(&mut img, 8, b"aes");
    put(&mut img, 104, &4096u32.to_be_bytes());
    img
}

#[test]
fn qcow2_v3_without_backing_is_accepted() {
    let img = qcow2(3, 0, 0);
    assert_eq!(
        inspect(DiskFormat::Qcow2, &img),
        ok(DiskFormat::Qcow2, QCOW2_SIZE)
    );
}

#[test]
fn qcow2_v2_and_known_features_are_accepted() {
    assert_eq!(
        inspect(DiskFormat::Qcow2, &qcow2(2, 0, 0)),
        ok(DiskFormat::Qcow2, QCOW2_SIZE)
    );
    // dirty, corrupt and compression-type bits are known to upstream.
    let img = qcow2(3, 0, 0b1011);
    assert_eq!(
        inspect(DiskFormat::Qcow2, &img),
        ok(DiskFormat::Qcow2, QCOW2_SIZE)
    );
}

#[test]
fn qcow2_backing_file_is_unsafe() {
    let err = inspect(DiskFormat::Qcow2, &qcow2(3, 0x200, 0)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Image is unsafe: qcow2 backing file is not allowed"
    );
}

#[test]
fn qcow2_data_file_is_unsafe() {
    assert_unsafe(
        inspect(DiskFormat::Qcow2, &qcow2(3, 0, 1 << 2)),
        "external data file",
    );
}

#[test]
fn qcow2_unknown_features_and_versions_are_unsafe() {
    // Extended L2 entries (bit 4) are beyond what upstream knows.
    assert_unsafe(
        inspect(DiskFormat::Qcow2, &qcow2(3, 0, 1 << 4)),
        "unknown incompatible",
    );
    assert_unsafe(
        inspect(DiskFormat::Qcow2, &qcow2(3, 0, 1 << 40)),
        "unknown incompatible",
    );
    assert_unsafe(inspect(DiskFormat::Qcow2, &qcow2(1, 0, 0)), "version 1");
}

#[test]
fn qcow2_declared_raw_is_a_mismatch() {
    let err = inspect(DiskFormat::Raw, &qcow2(3, 0, 0)).unwrap_err();
    assert_eq!(
        err,
        InspectError::Mismatch {
            declared: DiskFormat::Raw,
            detected: "qcow2"
        }
    );
    assert_eq!(
        err.to_string(),
        "Image content does not match disk_format raw (detected qcow2)"
    );
    // Even a header too short for qemu to need more than the magic.
    assert_eq!(
        inspect(DiskFormat::Raw, &qcow2(3, 72, 0)[..100]),
        mismatch(DiskFormat::Raw, "qcow2")
    );
}

#[test]
fn truncated_qcow2_is_invalid() {
    assert_invalid(
        inspect(DiskFormat::Qcow2, &qcow2(3, 0, 0)[..300]),
        "truncated",
    );
}

#[test]
fn raw_zeros_are_raw() {
    let img = vec![0; 3 * MIB];
    assert_eq!(
        inspect(DiskFormat::Raw, &img),
        ok(DiskFormat::Raw, 3 * MIB as u64)
    );
    assert_eq!(
        inspect(DiskFormat::Raw, &[]),
        Ok(Report {
            detected: DiskFormat::Raw,
            virtual_size: None
        })
    );
    assert_eq!(inspect(DiskFormat::Raw, b"tiny"), ok(DiskFormat::Raw, 4));
}

#[test]
fn raw_declared_as_another_format_is_a_mismatch() {
    let zeros = vec![0; MIB];
    for declared in [
        DiskFormat::Qcow2,
        DiskFormat::Vmdk,
        DiskFormat::Vhd,
        DiskFormat::Vhdx,
        DiskFormat::Iso,
        DiskFormat::Vdi,
    ] {
        assert_eq!(inspect(declared, &zeros), mismatch(declared, "raw"));
        assert_eq!(inspect(declared, &[]), mismatch(declared, "raw"));
    }
    assert_eq!(
        inspect(DiskFormat::Vmdk, &qcow2(3, 0, 0)),
        mismatch(DiskFormat::Vmdk, "qcow2")
    );
}

#[test]
fn vmdk_monolithic_sparse_is_accepted() {
    let size = VMDK_SECTORS * 512;
    assert_eq!(
        inspect(DiskFormat::Vmdk, &monolithic_sparse()),
        ok(DiskFormat::Vmdk, size)
    );
    assert_eq!(
        inspect(DiskFormat::Vmdk, &stream_optimized()),
        ok(DiskFormat::Vmdk, size)
    );
    assert_eq!(
        inspect(DiskFormat::Raw, &monolithic_sparse()),
        mismatch(DiskFormat::Raw, "vmdk")
    );
}

#[test]
fn vmdk_extent_naming_another_file_is_unsafe() {
    let desc = vmdk_descriptor("monolithicSparse", "RW 20480 SPARSE \"/etc/passwd\"");
    assert_unsafe(
        inspect(DiskFormat::Vmdk, &vmdk(&desc, 26)),
        "extent refers to another file",
    );
    let desc = vmdk_descriptor("monolithicSparse", "RW 10 FLAT \"../other.vmdk\" 0");
    assert_unsafe(
        inspect(DiskFormat::Vmdk, &vmdk(&desc, 26)),
        "extent refers to another file",
    );
}

#[test]
fn vmdk_other_create_types_are_unsafe() {
    let desc = vmdk_descriptor("monolithicFlat", "RW 20480 FLAT \"disk-flat.vmdk\" 0");
    assert_unsafe(
        inspect(DiskFormat::Vmdk, &vmdk(&desc, 26)),
        "\"monolithicflat\" is not allowed",
    );
    // The same as a standalone descriptor file.
    assert_unsafe(
        inspect(DiskFormat::Vmdk, desc.as_bytes()),
        "descriptor file without a sparse extent",
    );
    assert_eq!(
        inspect(DiskFormat::Raw, desc.as_bytes()),
        mismatch(DiskFormat::Raw, "vmdk")
    );
}

#[test]
fn vmdk_descriptor_quirks_are_unsafe() {
    let cases = [
        (
            vmdk_descriptor("monolithicSparse", "RW 20480 SPARSE \"disk.vmdk\"").replace(
                "parentCID=ffffffff",
                "parentCID=1\nparentFileNameHint=\"/var/lib/x\"",
            ),
            "parent",
        ),
        (
            vmdk_descriptor("monolithicSparse", "# no extents"),
            "no extents",
        ),
        (
            vmdk_descriptor(
                "monolithicSparse",
                "RW 20480 SPARSE \"disk.vmdk\"\nbogus line here",
            ),
            "unsupported line",
        ),
        (
            "version=1\nRW 10 SPARSE \"x.vmdk\"\n".to_string(),
            "no createType",
        ),
        (String::new(), "missing"),
    ];
    for (desc, needle) in cases {
        assert_unsafe(inspect(DiskFormat::Vmdk, &vmdk(&desc, 26)), needle);
    }
}

#[test]
fn vmdk_bad_footer_is_unsafe() {
    let mut img = stream_optimized();
    let eos = img.len() - 512;
    img[eos + 12] = 1;
    assert_unsafe(inspect(DiskFormat::Vmdk, &img), "end-of-stream marker");
    let mut img = stream_optimized();
    let copy = img.len() - 1024;
    put(&mut img, copy + 56, &u64::MAX.to_le_bytes());
    assert_unsafe(inspect(DiskFormat::Vmdk, &img), "another footer");
}

#[test]
fn vmdk_structural_errors_are_invalid() {
    let mut img = monolithic_sparse();
    put(&mut img, 4, &7u32.to_le_bytes());
    assert_invalid(inspect(DiskFormat::Vmdk, &img), "version 7");
    let mut img = monolithic_sparse();
    put(&mut img, 28, &2u64.to_le_bytes());
    assert_invalid(inspect(DiskFormat::Vmdk, &img), "not at sector 1");
    assert_invalid(
        inspect(DiskFormat::Vmdk, &monolithic_sparse()[..2048]),
        "descriptor is truncated",
    );
    assert_invalid(
        inspect(DiskFormat::Vmdk, &monolithic_sparse()[..40]),
        "header is truncated",
    );
}

#[test]
fn vhd_is_detected() {
    assert_eq!(
        inspect(DiskFormat::Vhd, &vhd()),
        ok(DiskFormat::Vhd, VHD_SIZE)
    );
    assert_eq!(
        inspect(DiskFormat::Raw, &vhd()),
        mismatch(DiskFormat::Raw, "vhd")
    );
    assert_invalid(inspect(DiskFormat::Vhd, &vhd()[..100]), "truncated");
}

#[test]
fn vhdx_is_detected() {
    // Metadata after the retained prefix (as qemu lays it out) and inside it.
    for metadata in [2 * MIB, 320 * 1024] {
        let img = vhdx(metadata);
        assert_eq!(
            inspect(DiskFormat::Vhdx, &img),
            ok(DiskFormat::Vhdx, VHDX_SIZE)
        );
        assert_eq!(
            inspect(DiskFormat::Raw, &img),
            mismatch(DiskFormat::Raw, "vhdx")
        );
    }
}

#[test]
fn vhdx_structural_errors_are_invalid() {
    let img = vhdx(2 * MIB);
    assert_invalid(
        inspect(DiskFormat::Vhdx, &img[..200 * 1024]),
        "header is truncated",
    );
    assert_invalid(
        inspect(DiskFormat::Vhdx, &img[..2 * MIB + 1024]),
        "metadata is truncated",
    );
    let mut bad = img.clone();
    put(&mut bad, 2 * MIB, b"garbage!");
    assert_invalid(inspect(DiskFormat::Vhdx, &bad), "metadata table signature");
    let mut bad = img.clone();
    put(&mut bad, 192 * 1024, b"nope");
    assert_invalid(inspect(DiskFormat::Vhdx, &bad), "region table signature");
    let mut bad = img;
    put(&mut bad, 2 * MIB + 64, &[0; 16]);
    assert_invalid(inspect(DiskFormat::Vhdx, &bad), "no virtual disk size");
}

#[test]
fn iso_is_detected() {
    let size = u64::from(ISO_BLOCKS) * 2048;
    assert_eq!(inspect(DiskFormat::Iso, &iso()), ok(DiskFormat::Iso, size));
    // Upstream (and Glance) accept ISO content declared raw, sized as raw.
    assert_eq!(
        inspect(DiskFormat::Raw, &iso()),
        ok(DiskFormat::Iso, 40 * 1024)
    );
    // A UDF-only volume announces itself in a later descriptor.
    let mut udf = vec![0; 40 * 1024];
    put(&mut udf, 0x8000, b"\x00BEA01\x01");
    put(&mut udf, 0x8800, b"\x00NSR02\x01");
    assert_eq!(
        inspect(DiskFormat::Iso, &udf),
        Ok(Report {
            detected: DiskFormat::Iso,
            virtual_size: None
        })
    );
    assert_eq!(
        inspect(DiskFormat::Iso, &iso()[..0x8400]),
        mismatch(DiskFormat::Iso, "raw")
    );
}

#[test]
fn hybrid_iso_with_partition_table_is_iso() {
    let mut img = iso();
    put(&mut img, 0, &gpt()[..512]);
    let size = u64::from(ISO_BLOCKS) * 2048;
    assert_eq!(inspect(DiskFormat::Iso, &img), ok(DiskFormat::Iso, size));
}

#[test]
fn partition_tables_are_raw_when_valid() {
    assert_eq!(inspect(DiskFormat::Raw, &gpt()), ok(DiskFormat::Raw, 4096));
    let mut mbr = vec![0; 4096];
    put(
        &mut mbr,
        446,
        &[
            0x80, 1, 1, 0, 0x83, 0xfe, 0xff, 0xff, 63, 0, 0, 0, 0, 0x10, 0, 0,
        ],
    );
    put(&mut mbr, 510, &[0x55, 0xaa]);
    assert_eq!(inspect(DiskFormat::Raw, &mbr), ok(DiskFormat::Raw, 4096));
    assert_eq!(
        inspect(DiskFormat::Qcow2, &gpt()),
        mismatch(DiskFormat::Qcow2, "gpt")
    );

    let mut empty = gpt();
    put(&mut empty, 446, &[0; 16]);
    assert_unsafe(inspect(DiskFormat::Raw, &empty), "no partitions");
    let mut extra = gpt();
    put(
        &mut extra,
        462,
        &[0, 1, 1, 0, 0x83, 0, 0, 0, 9, 0, 0, 0, 9, 0, 0, 0],
    );
    assert_unsafe(inspect(DiskFormat::Raw, &extra), "extra partitions");
    let mut boot = gpt();
    boot[446] = 0x12;
    assert_unsafe(inspect(DiskFormat::Raw, &boot), "boot flag");
    // A FAT volume boot record is not a partition table.
    let mut fat = vec![0; 4096];
    put(&mut fat, 0x10, &[2]);
    put(&mut fat, 0x15, &[0xf8]);
    put(&mut fat, 510, &[0x55, 0xaa]);
    assert_eq!(inspect(DiskFormat::Raw, &fat), ok(DiskFormat::Raw, 4096));
}

#[test]
fn other_recognised_content_follows_upstream() {
    let size = 5u64 << 30;
    assert_eq!(inspect(DiskFormat::Vdi, &vdi()), ok(DiskFormat::Vdi, size));
    assert_eq!(
        inspect(DiskFormat::Raw, &vdi()),
        mismatch(DiskFormat::Raw, "vdi")
    );
    let mut qed = vec![0; 4096];
    put(&mut qed, 0, b"QED\0");
    assert_eq!(
        inspect(DiskFormat::Raw, &qed),
        mismatch(DiskFormat::Raw, "qed")
    );
    // Encrypted volumes (e.g. uploaded by Cinder) are raw disks.
    assert_eq!(
        inspect(DiskFormat::Raw, &luks(1)),
        ok(DiskFormat::Raw, 8192)
    );
    assert_unsafe(inspect(DiskFormat::Raw, &luks(2)), "LUKS version 2");
    assert_eq!(
        inspect(DiskFormat::Qcow2, &luks(1)),
        mismatch(DiskFormat::Qcow2, "luks")
    );
}

#[test]
fn several_formats_at_once_are_refused() {
    let mut img = qcow2(3, 0, 0);
    put(&mut img, 510, &[0x55, 0xaa]);
    put(&mut img, 446, &gpt()[446..462]);
    assert_unsafe(
        inspect(DiskFormat::Qcow2, &img),
        "several formats (qcow2, gpt)",
    );
}

fn parallels(version: u32, sectors: u64) -> Vec<u8> {
    let mut img = vec![0u8; 64 * 1024];
    put(&mut img, 0, b"WithoutFreeSpace");
    put(&mut img, 16, &version.to_le_bytes());
    put(&mut img, 36, &sectors.to_le_bytes());
    img
}

#[test]
fn amazon_formats_are_inspected_as_raw() {
    for declared in [DiskFormat::Ami, DiskFormat::Ari, DiskFormat::Aki] {
        assert_eq!(
            inspect(declared, &vec![7; 1000]),
            ok(declared, 1000),
            "{declared}"
        );
        assert_eq!(inspect(declared, &gpt()), ok(declared, gpt().len() as u64));
        // The CVE-2024-32498 shape: a qcow2 naming a host file, declared ami.
        assert_eq!(
            inspect(declared, &qcow2(3, 0x200, 0)),
            mismatch(declared, "qcow2"),
            "{declared}"
        );
        assert_eq!(inspect(declared, &iso()), mismatch(declared, "iso"));
        assert_eq!(
            inspect(declared, &stream_optimized()),
            mismatch(declared, "vmdk")
        );
    }
}

#[test]
fn ploop_is_parallels_and_nothing_else() {
    assert_eq!(
        inspect(DiskFormat::Ploop, &parallels(2, 2048)),
        ok(DiskFormat::Ploop, 1 << 20)
    );
    assert_unsafe(inspect(DiskFormat::Ploop, &parallels(3, 2048)), "version 3");
    assert_eq!(
        inspect(DiskFormat::Ploop, &qcow2(3, 0x200, 0)),
        mismatch(DiskFormat::Ploop, "qcow2")
    );
    assert_eq!(
        inspect(DiskFormat::Ploop, &vec![0; 1000]),
        mismatch(DiskFormat::Ploop, "raw")
    );
    assert_eq!(
        inspect(DiskFormat::Raw, &parallels(2, 2048)),
        mismatch(DiskFormat::Raw, "parallels")
    );
}

#[test]
fn qemu_names_follow_the_content() {
    assert_eq!(DiskFormat::Vhd.qemu_name(), "vpc");
    assert_eq!(DiskFormat::Ami.qemu_name(), "raw");
    assert_eq!(DiskFormat::Iso.qemu_name(), "raw");
    assert_eq!(DiskFormat::Ploop.qemu_name(), "parallels");
}

#[test]
fn chunking_does_not_change_the_result() {
    let mut samples = vec![
        (DiskFormat::Qcow2, qcow2(3, 0, 0)),
        (DiskFormat::Qcow2, qcow2(3, 0x200, 0)),
        (DiskFormat::Raw, qcow2(3, 0, 0)),
        (DiskFormat::Raw, vec![0; 100_000]),
        (DiskFormat::Vmdk, monolithic_sparse()),
        (DiskFormat::Vmdk, stream_optimized()),
        (
            DiskFormat::Vmdk,
            vmdk(&vmdk_descriptor("monolithicFlat", "RW 1 FLAT \"x\" 0"), 26),
        ),
        (DiskFormat::Vhd, vhd()),
        (DiskFormat::Vhdx, vhdx(2 * MIB)),
        (DiskFormat::Vhdx, vhdx(320 * 1024)),
        (DiskFormat::Iso, iso()),
        (DiskFormat::Raw, gpt()),
        (DiskFormat::Vdi, vdi()),
        (DiskFormat::Ami, qcow2(3, 0, 0)),
        (DiskFormat::Aki, vec![3; 5000]),
        (DiskFormat::Ploop, parallels(2, 4096)),
    ];
    let text = vmdk_descriptor("monolithicFlat", "RW 1 FLAT \"x\" 0");
    samples.push((DiskFormat::Vmdk, text.into_bytes()));
    for (declared, img) in samples {
        let whole = inspect(declared, &img);
        assert_eq!(inspect_dribbled(declared, &img), whole, "{declared}");
        // Also chunks that straddle every region boundary differently.
        let mut inspector = Inspector::new(declared);
        for chunk in img.chunks(65_000) {
            inspector.feed(chunk);
        }
        assert_eq!(inspector.finish(), whole, "{declared}");
    }
}

#[test]
fn memory_stays_bounded() {
    let mut inspector = Inspector::new(DiskFormat::Vhdx);
    let img = vhdx(2 * MIB);
    inspector.feed(&img);
    let chunk = vec![0xa5; 1 << 16];
    for _ in 0..256 {
        inspector.feed(&chunk);
    }
    let locator = match &inspector.vhdx {
        vhdx::Locator::Table(r) | vhdx::Locator::Size(r) => r.data().len(),
        _ => 0,
    };
    let retained = inspector.head.data().len() + inspector.tail.bytes().len() + locator;
    assert!(retained <= MIB + 2 * 1024 + 64 * 1024, "{retained}");
    assert_eq!(inspector.total, (img.len() + 256 * (1 << 16)) as u64);
    assert_eq!(inspector.finish(), ok(DiskFormat::Vhdx, VHDX_SIZE));
}

#[test]
fn disk_format_names_round_trip() {
    for format in [
        DiskFormat::Raw,
        DiskFormat::Qcow2,
        DiskFormat::Vmdk,
        DiskFormat::Vhd,
        DiskFormat::Vhdx,
        DiskFormat::Iso,
        DiskFormat::Ami,
        DiskFormat::Ari,
        DiskFormat::Aki,
        DiskFormat::Vdi,
        DiskFormat::Ploop,
    ] {
        assert_eq!(format.as_str().parse(), Ok(format));
    }
    assert_eq!(
        "QCOW2".parse::<DiskFormat>(),
        Err(UnknownDiskFormat("QCOW2".into()))
    );
}
