//! tgtd's management protocol, spoken on its control socket
//! (`/var/run/tgtd/socket.<control port>`) as `tgtadm` speaks it: a fixed request
//! header, then `key=value,...` parameters; a fixed response header, then text.
//! Talking to tgtd directly keeps CHAP secrets off every command line (`tgtadm
//! --password` puts them in `/proc/<pid>/cmdline` for any local user to read) and
//! out of error texts, which name the operation, never its parameters.

use std::path::PathBuf;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

/// `enum tgtadm_op`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    New = 0,
    Delete = 1,
    Show = 2,
    Bind = 3,
}

/// `enum tgtadm_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    System = 0,
    Target = 1,
    /// `--mode logicalunit`.
    Device = 2,
    Account = 7,
}

/// One management request.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub mode: Mode,
    pub op: Op,
    /// -1 when the request names no target.
    pub tid: i32,
    /// `u64::MAX` when it names no logical unit.
    pub lun: u64,
    pub force: bool,
    /// Parameters as `tgtadm` sends them (`targetname`, `path`, `user`, ...).
    pub params: &'a [(&'a str, &'a str)],
}

impl<'a> Request<'a> {
    pub fn new(mode: Mode, op: Op) -> Self {
        Request {
            mode,
            op,
            tid: -1,
            lun: u64::MAX,
            force: false,
            params: &[],
        }
    }

    pub fn tid(self, tid: u32) -> Self {
        Request {
            tid: i32::try_from(tid).unwrap_or(-1),
            ..self
        }
    }

    pub fn lun(self, lun: u64) -> Self {
        Request { lun, ..self }
    }

    pub fn force(self) -> Self {
        Request {
            force: true,
            ..self
        }
    }

    pub fn params(self, params: &'a [(&'a str, &'a str)]) -> Self {
        Request { params, ..self }
    }

    /// What an error names: the operation, never the parameters.
    fn describe(&self) -> String {
        format!("{:?} {:?} (tid {})", self.op, self.mode, self.tid)
    }

    /// `struct tgtadm_req` (120 bytes, x86-64/aarch64 layout) and the NUL-ended
    /// parameter text.
    fn encode(&self) -> Vec<u8> {
        let params = self
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        let body: Vec<u8> = if params.is_empty() {
            Vec::new()
        } else {
            let mut b = params.into_bytes();
            b.push(0);
            b
        };
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        out.extend_from_slice(&(self.mode as u32).to_ne_bytes());
        out.extend_from_slice(&(self.op as u32).to_ne_bytes());
        let mut lld = [0u8; 64];
        lld[..5].copy_from_slice(b"iscsi");
        out.extend_from_slice(&lld);
        out.extend_from_slice(&((HEADER_LEN + body.len()) as u32).to_ne_bytes());
        out.extend_from_slice(&self.tid.to_ne_bytes());
        out.extend_from_slice(&0u64.to_ne_bytes()); // sid
        out.extend_from_slice(&self.lun.to_ne_bytes());
        out.extend_from_slice(&0u32.to_ne_bytes()); // cid
        out.extend_from_slice(&0u32.to_ne_bytes()); // host_no
        out.extend_from_slice(&0u32.to_ne_bytes()); // device_type: disk
        out.extend_from_slice(&0u32.to_ne_bytes()); // ac_dir: incoming
        out.extend_from_slice(&0u32.to_ne_bytes()); // pack
        out.extend_from_slice(&u32::from(self.force).to_ne_bytes());
        debug_assert_eq!(out.len(), HEADER_LEN);
        out.extend_from_slice(&body);
        out
    }
}

const HEADER_LEN: usize = 120;

/// `tgtadm_strerror`'s texts, by `enum tgtadm_errno`.
fn error_text(code: u32) -> &'static str {
    const TEXTS: [&str; 25] = [
        "success",
        "unknown error",
        "out of memory",
        "can't find the driver",
        "can't find the target",
        "can't find the logical unit",
        "can't find the session",
        "can't find the connection",
        "can't find the binding",
        "this target already exists",
        "this logical unit number already exists",
        "this access control rule already exists",
        "this access control rule already exists",
        "this access control rule does not exist",
        "this account already exists",
        "can't find the account",
        "too many accounts",
        "invalid request",
        "this target already has an outgoing account",
        "this target is still active",
        "this logical unit is still active",
        "this driver is busy",
        "this operation isn't supported",
        "unknown parameter",
        "this device has Prevent Removal set",
    ];
    TEXTS.get(code as usize).copied().unwrap_or("unknown error")
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum TgtError {
    /// tgtd does not answer on the control socket.
    #[error("tgtd does not answer on {0}: {1}")]
    Unreachable(String, std::io::Error),
    /// tgtd refused the request.
    #[error("tgtd refused {what}: {text}")]
    Refused {
        what: String,
        code: u32,
        text: &'static str,
    },
}

impl TgtError {
    /// tgtd's error code, when it answered one.
    pub fn code(&self) -> Option<u32> {
        match self {
            TgtError::Refused { code, .. } => Some(*code),
            TgtError::Unreachable(..) => None,
        }
    }
}

/// `TGTADM_USER_EXIST`.
pub const USER_EXISTS: u32 = 14;
/// `TGTADM_NO_TARGET`.
pub const NO_TARGET: u32 = 4;

/// A tgtd's control socket.
#[derive(Debug, Clone)]
pub struct TgtAdmin {
    socket: PathBuf,
}

impl TgtAdmin {
    /// The tgtd listening on `control_port` (`tgtd -C <port>`).
    pub fn new(control_port: u16) -> Self {
        TgtAdmin {
            socket: PathBuf::from(format!("/var/run/tgtd/socket.{control_port}")),
        }
    }

    /// Sends `request`; returns tgtd's text answer.
    pub async fn request(&self, request: &Request<'_>) -> Result<String, TgtError> {
        let unreachable = |e| TgtError::Unreachable(self.socket.display().to_string(), e);
        let mut stream = UnixStream::connect(&self.socket)
            .await
            .map_err(unreachable)?;
        stream
            .write_all(&request.encode())
            .await
            .map_err(unreachable)?;
        let mut header = [0u8; 8];
        stream.read_exact(&mut header).await.map_err(unreachable)?;
        let code = u32::from_ne_bytes(header[..4].try_into().expect("4 bytes"));
        let len = u32::from_ne_bytes(header[4..].try_into().expect("4 bytes")) as usize;
        if code != 0 {
            return Err(TgtError::Refused {
                what: request.describe(),
                code,
                text: error_text(code),
            });
        }
        let mut text = vec![0u8; len.saturating_sub(header.len())];
        stream.read_exact(&mut text).await.map_err(unreachable)?;
        Ok(String::from_utf8_lossy(&text)
            .trim_end_matches('\0')
            .to_string())
    }

    /// Whether a tgtd answers.
    pub async fn answers(&self) -> bool {
        self.request(&Request::new(Mode::System, Op::Show))
            .await
            .is_ok()
    }

    /// The targets tgtd has: `(tid, name)`.
    pub async fn targets(&self) -> Result<Vec<(u32, String)>, TgtError> {
        let text = self.request(&Request::new(Mode::Target, Op::Show)).await?;
        Ok(parse_targets(&text))
    }
}

/// `Target 1: iqn...` lines of a target listing.
fn parse_targets(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("Target ")?;
            let (tid, name) = rest.split_once(": ")?;
            Some((tid.trim().parse().ok()?, name.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_have_tgtadms_layout() {
        let params = [("user", "u"), ("password", "secret")];
        let request = Request::new(Mode::Account, Op::New).params(&params);
        let bytes = request.encode();
        assert_eq!(&bytes[..4], &7u32.to_ne_bytes());
        assert_eq!(&bytes[4..8], &0u32.to_ne_bytes());
        assert_eq!(&bytes[8..13], b"iscsi");
        let body = b"user=u,password=secret\0";
        assert_eq!(
            &bytes[72..76],
            &((HEADER_LEN + body.len()) as u32).to_ne_bytes()
        );
        assert_eq!(&bytes[76..80], &(-1i32).to_ne_bytes());
        assert_eq!(&bytes[88..96], &u64::MAX.to_ne_bytes());
        assert_eq!(&bytes[HEADER_LEN..], body);
        // Errors name the operation only.
        assert!(!request.describe().contains("secret"));
    }

    #[test]
    fn target_listings_parse() {
        let text = "Target 1: iqn.x:volume-a\n    System information:\nTarget 12: iqn.x:volume-b\n";
        assert_eq!(
            parse_targets(text),
            vec![(1, "iqn.x:volume-a".into()), (12, "iqn.x:volume-b".into())]
        );
        assert_eq!(error_text(4), "can't find the target");
    }
}
