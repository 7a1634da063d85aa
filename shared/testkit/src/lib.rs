//! ferrostack-testkit
