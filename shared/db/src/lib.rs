//! ferrostack-db
