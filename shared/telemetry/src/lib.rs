//! Observability every service shares: log setup, Prometheus metrics for HTTP
//! requests, and the health endpoints Kubernetes probes (HTTP and grpc.health.v1).

mod access_log;
mod grpc_health;
mod http_metrics;
mod log_format;
mod log_output;
mod logging;

pub use access_log::{access_log, AccessEntry};
pub use grpc_health::serve_grpc_health;
pub use http_metrics::{record_request, render_metrics};
pub use log_format::{request_scope, RequestIds};
pub use log_output::{LogGuard, FLUSH_INTERVAL};
pub use logging::{init_logging, LogFormat, LogSettings};
