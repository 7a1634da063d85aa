//! oslo.policy's rule language evaluated in Rust: `role:`, `rule:`, generic
//! `key:value` checks against credentials with `%(target.path)s` substitution, `@`,
//! `!`, `and`/`or`/`not` and parentheses, plus scope types and YAML overrides.

pub mod access_rules;
mod check;
mod enforcer;
mod parser;
mod target;

pub use check::{Check, Credentials};
pub use enforcer::{defaults_yaml, Enforcer, PolicyError, RuleDefault};
pub use parser::parse;
pub use target::PolicyTarget;
