//! Keystone-compatible Fernet tokens: the key repository on disk and the versioned
//! msgpack payloads, so tokens interoperate with upstream Keystone sharing the keys.

mod keys;
mod payload;

pub use keys::{KeyRepository, KeySet, LiveKeys};
pub use payload::{new_audit_id, AuthMethod, TokenPayload, TokenScope};
