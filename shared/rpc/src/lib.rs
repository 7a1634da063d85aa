//! ferrostack-rpc
