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
    /// Neutron's `field:<resource>:<attribute>=<value>`: an attribute of the
    /// target against a literal, or against a regular expression when the
    /// value starts with `~`.
    Field {
        attribute: String,
        value: String,
    },
    Not(Box<Check>),
    And(Vec<Check>),
    Or(Vec<Check>),
}

/// A boolean as Python prints it.
fn python_bool(value: bool) -> String {
    if value { "True" } else { "False" }.to_string()
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
    /// The service's own verdict on the caller (its `context_is_admin` rule), as
    /// oslo.context's `is_admin` for `is_admin:True` checks.
    pub is_admin: bool,
}

impl Credentials {
    /// A credential attribute as text, as oslo's generic check sees it: the keys of
    /// `RequestContext.to_policy_values()` always exist (`"None"` when unset); the
    /// `token.*` paths Keystone adds exist only for the parts the token has.
    pub fn attribute(&self, key: &str) -> Option<String> {
        let or_none = |v: &Option<String>| Some(v.clone().unwrap_or_else(|| "None".into()));
        match key {
            "user_id" => or_none(&self.user_id),
            "user_domain_id" => or_none(&self.user_domain_id),
            "project_id" | "tenant_id" | "tenant" => or_none(&self.project_id),
            "project_domain_id" => or_none(&self.project_domain_id),
            "domain_id" => or_none(&self.domain_id),
            "system_scope" => or_none(&self.system_scope),
            "is_admin_project" => Some(python_bool(self.is_admin_project)),
            "is_admin" => Some(python_bool(self.is_admin)),
            "token.user.id" => self.user_id.clone(),
            "token.user.domain.id" => self.user_domain_id.clone(),
            "token.project.id" => self.project_id.clone(),
            "token.project.domain.id" => self.project_domain_id.clone(),
            "token.domain.id" => self.domain_id.clone(),
            _ => None,
        }
    }

    /// The token's scope type for scope-type checks: system, domain, or
    /// project — which an unscoped token counts as, as oslo.policy has it.
    pub fn scope(&self) -> &'static str {
        if self.system_scope.is_some() {
            "system"
        } else if self.domain_id.is_some() {
            "domain"
        } else {
            "project"
        }
    }
}

/// Looks up `a.b.c` in a JSON target: first as a flat key (oslo flattens), then as
/// a nested path. Strings, numbers and booleans compare as text, and `null` as
/// `"None"` (Python's `%` formatting); a missing key is `None`.
pub fn target_value(target: &Value, path: &str) -> Option<String> {
    let found = target.get(path).or_else(|| {
        path.split('.')
            .try_fold(target, |node, part| node.get(part))
    })?;
    match found {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "True".into() } else { "False".into() }),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => Some("None".into()),
        _ => None,
    }
}
