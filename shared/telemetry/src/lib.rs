//! Observability every service shares: log setup, Prometheus metrics for HTTP
//! requests, and the health endpoints Kubernetes probes (HTTP and grpc.health.v1).

mod grpc_health;
mod http_metrics;
mod logging;

pub use grpc_health::serve_grpc_health;
pub use http_metrics::{record_request, render_metrics};
pub use logging::{init_logging, LogFormat};
