//! ferrostack-policy
