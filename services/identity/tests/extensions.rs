//! Keystone's extension APIs over HTTP (OS-EP-FILTER, domain configuration, OAuth1,
//! trusts): one module per extension, one test binary.

mod common;

#[path = "extensions/access_rules.rs"]
mod access_rules;
#[path = "extensions/domain_config.rs"]
mod domain_config;
#[path = "extensions/ec2_tokens.rs"]
mod ec2_tokens;
#[path = "extensions/endpoint_filter.rs"]
mod endpoint_filter;
#[path = "extensions/limits.rs"]
mod limits;
#[path = "extensions/oauth1.rs"]
mod oauth1;
#[path = "extensions/oauth_consumers.rs"]
mod oauth_consumers;
#[path = "extensions/security_compliance.rs"]
mod security_compliance;
#[path = "extensions/trusts.rs"]
mod trusts;
