//! ferrostack-auth
