//! ferrostack-telemetry
