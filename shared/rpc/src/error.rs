//! The errors an RPC caller sees.

use std::time::Duration;

use crate::envelope::RemoteError;

/// Why an RPC operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// No reply arrived in time: nobody serves the target, or it was too slow.
    #[error("no reply to {method} on {target} within {timeout:?}")]
    Timeout {
        target: String,
        method: String,
        timeout: Duration,
    },
    /// The remote handler failed; its error, as it reported it.
    #[error("remote error {}: {}", .0.kind, .0.message)]
    Remote(RemoteError),
    /// No queue takes the message: nobody has ever served its target (a mandatory
    /// publish the broker returned).
    #[error("no queue for {0}: no server of it was ever started")]
    Unroutable(String),
    /// The broker could not be reached or did not confirm in time.
    #[error("transport unavailable: {0}")]
    Unavailable(String),
    /// A message that is not what the protocol expects.
    #[error("malformed message: {0}")]
    Decode(String),
    /// The transport URL cannot be used.
    #[error("invalid transport_url: {0}")]
    InvalidUrl(String),
}

impl RpcError {
    /// The remote error, when the handler reported one.
    pub fn remote(&self) -> Option<&RemoteError> {
        match self {
            RpcError::Remote(e) => Some(e),
            _ => None,
        }
    }
}

impl From<prost::DecodeError> for RpcError {
    fn from(e: prost::DecodeError) -> Self {
        RpcError::Decode(e.to_string())
    }
}
