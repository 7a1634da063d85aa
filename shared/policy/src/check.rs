use serde_json::Value;

/// A parsed rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Always,
    Never,
    Role(String),
    Rule(String),
    /// `key:value`: a credential attribute against a literal or `%(target)s`.
    Generic {
        key: String,
        value: String,
    },
    Not(Box<Check>),
    And(Vec<Check>),
    Or(Vec<Check>),
}

/// What the caller's token says, as keystonemiddleware hands it to oslo.policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub user_id: Option<String>,
    pub user_domain_id: Option<String>,
    pub project_id: Option<String>,
    pub project_domain_id: Option<String>,
    pub domain_id: Option<String>,
    /// Role names, implied roles included.
    pub roles: Vec<String>,
    /// `Some("all")` for system-scoped tokens.
    pub system_scope: Option<String>,
    pub is_admin_project: bool,
}

impl Credentials {
    /// A credential attribute as text, as oslo's generic check sees it.
    pub fn attribute(&self, key: &str) -> Option<String> {
        match key {
            "user_id" => self.user_id.clone(),
            "user_domain_id" => self.user_domain_id.clone(),
            "project_id" | "tenant_id" | "tenant" => self.project_id.clone(),
            "project_domain_id" => self.project_domain_id.clone(),
            "domain_id" => self.domain_id.clone(),
            "system_scope" => self.system_scope.clone(),
            "is_admin_project" => Some(
                if self.is_admin_project {
                    "True"
                } else {
                    "False"
                }
                .to_string(),
            ),
            _ => None,
        }
    }

    /// The token's scope type: system, domain or project (None when unscoped).
    pub fn scope(&self) -> Option<&'static str> {
        if self.system_scope.is_some() {
            Some("system")
        } else if self.domain_id.is_some() {
            Some("domain")
        } else if self.project_id.is_some() {
            Some("project")
        } else {
            None
        }
    }
}

/// Looks up `a.b.c` in a JSON target: first as a flat key (oslo flattens), then as
/// a nested path. Strings, numbers and booleans compare as text.
pub fn target_value(target: &Value, path: &str) -> Option<String> {
    let found = target.get(path).or_else(|| {
        path.split('.')
            .try_fold(target, |node, part| node.get(part))
    })?;
    match found {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "True".into() } else { "False".into() }),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
