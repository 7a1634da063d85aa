//! ferrostack-proto
