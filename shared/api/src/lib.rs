//! ferrostack-api
