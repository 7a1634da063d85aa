//! ferrostack-config
