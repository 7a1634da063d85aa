//! Windows of the upload kept while it streams by, and readers for the
//! integer fields found in them.

/// A window `[offset, offset + len)` of the stream, filled as its bytes go
/// by. Only bytes that extend the window contiguously are kept, so data fed
/// twice or out of reach is ignored rather than misplaced.
pub(super) struct Region {
    offset: u64,
    len: usize,
    data: Vec<u8>,
}

impl Region {
    pub(super) fn new(offset: u64, len: usize) -> Self {
        Self {
            offset,
            len,
            data: Vec::new(),
        }
    }

    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    /// Offers `bytes`, which start at stream position `pos`.
    pub(super) fn offer(&mut self, pos: u64, bytes: &[u8]) {
        let missing = self.len - self.data.len();
        let want = self.offset.saturating_add(self.data.len() as u64);
        if missing == 0 || want < pos {
            return;
        }
        let Ok(start) = usize::try_from(want - pos) else {
            return;
        };
        let Some(rest) = bytes.get(start..) else {
            return;
        };
        let take = &rest[..rest.len().min(missing)];
        // Grow geometrically, but never beyond the window's length.
        let needed = self.data.len() + take.len();
        if needed > self.data.capacity() {
            let target = (2 * self.data.capacity()).max(needed).min(self.len);
            self.data.reserve_exact(target - self.data.len());
        }
        self.data.extend_from_slice(take);
    }

    pub(super) fn is_complete(&self) -> bool {
        self.data.len() == self.len
    }

    /// The bytes captured so far, starting at the window's offset.
    pub(super) fn data(&self) -> &[u8] {
        &self.data
    }
}

/// The last `TAIL_LEN` bytes of the stream.
#[derive(Default)]
pub(super) struct Tail {
    buf: Vec<u8>,
}

/// How much of the end of the stream is kept (a VMDK stream footer).
pub(super) const TAIL_LEN: usize = 1536;

impl Tail {
    pub(super) fn push(&mut self, bytes: &[u8]) {
        if bytes.len() >= TAIL_LEN {
            self.buf.clear();
            self.buf.extend_from_slice(&bytes[bytes.len() - TAIL_LEN..]);
            return;
        }
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > 2 * TAIL_LEN {
            self.buf.drain(..self.buf.len() - TAIL_LEN);
        }
    }

    /// The last `TAIL_LEN` bytes, or fewer if the stream is shorter.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.buf[self.buf.len().saturating_sub(TAIL_LEN)..]
    }
}

/// Copies `N` bytes at `at`; bytes past the end of `b` read as zero.
fn field<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    if let Some(src) = b.get(at..).map(|s| &s[..s.len().min(N)]) {
        out[..src.len()].copy_from_slice(src);
    }
    out
}

pub(super) fn u16_be(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes(field(b, at))
}

pub(super) fn u32_be(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(field(b, at))
}

pub(super) fn u64_be(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(field(b, at))
}

pub(super) fn u16_le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(field(b, at))
}

pub(super) fn u32_le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(field(b, at))
}

pub(super) fn u64_le(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(field(b, at))
}
