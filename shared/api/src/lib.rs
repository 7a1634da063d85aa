//! The HTTP building blocks every ferrostack API shares: one generic server
//! ([`serve`]), the failure type rendered in each service's upstream error envelope,
//! request ids, a JSON extractor whose failures are upstream 400s, version documents,
//! microversion negotiation and marker/limit pagination.

mod envelope;
mod failure;
mod json;
pub mod microversion;
pub mod openapi;
mod options;
pub mod pagination;
mod request_id;
mod server;
mod urls;

pub use envelope::Envelope;
pub use failure::Failure;
pub use json::{parse as parse_json, Json};
pub use options::{ServiceOptions, SERVICE_OPTS};
pub use request_id::RequestId;
pub use server::{run, serve, shutdown_signal, ApiService, Gate};
pub use urls::base_url;
