//! Token authentication for every service but identity, with keystonemiddleware's
//! semantics: the `X-Auth-Token` of each request is validated against identity
//! (`GET /v3/auth/tokens` with the service's own token), validations are cached
//! in-process and, when configured, in memcached — never past the token's expiry —
//! and the request carries an [`AuthContext`]. `X-Service-Token` is honoured: with a
//! valid service token the user's token may be expired. Failures are 401 with
//! `WWW-Authenticate: Keystone uri="..."`.

mod cache;
mod cache_crypt;
mod context;
mod identity_client;
pub mod image_api;
mod middleware;
mod options;
pub mod service_endpoint;
pub mod service_http;

pub use context::{AuthContext, UserToken};
pub use middleware::{gate, Authenticator};
pub use options::{AuthOptions, AUTHTOKEN_OPTS};
