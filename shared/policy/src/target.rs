//! What a policy rule sees of what it guards.

use serde_json::{json, Value};

/// What a rule sees of its target (`%(project_id)s`, `%(user_id)s`, ...):
/// upstream services pass the fetched resource itself.
pub trait PolicyTarget {
    fn policy_target(&self) -> Value;
}

/// A project: the target of creating something in it, or of listing it.
impl PolicyTarget for str {
    fn policy_target(&self) -> Value {
        json!({"project_id": self})
    }
}

impl PolicyTarget for String {
    fn policy_target(&self) -> Value {
        self.as_str().policy_target()
    }
}

/// A target built by hand.
impl PolicyTarget for Value {
    fn policy_target(&self) -> Value {
        self.clone()
    }
}
