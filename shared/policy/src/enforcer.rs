use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::check::target_value;
use crate::{parse, Check, Credentials};

/// A service's default rule, as upstream declares it in code.
#[derive(Debug, Clone, Copy)]
pub struct RuleDefault {
    pub name: &'static str,
    pub check_str: &'static str,
    pub description: &'static str,
    /// Token scopes the rule accepts; empty means any.
    pub scope_types: &'static [&'static str],
}

/// Why a rule refused, or could not be loaded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("policy does not allow {0} to be performed")]
    Forbidden(String),
    #[error("the token's scope is not allowed for {0}")]
    InvalidScope(String),
    #[error("invalid policy rule {name}: {reason}")]
    Invalid { name: String, reason: String },
    #[error("cannot read policy file: {0}")]
    File(String),
}

/// Evaluates rules: the service's defaults with the operator's YAML overrides.
#[derive(Debug)]
pub struct Enforcer {
    rules: HashMap<String, Check>,
    scopes: HashMap<String, &'static [&'static str]>,
}

impl Enforcer {
    /// Parses `defaults`, then the override file if any (`"name": "check"` YAML).
    pub fn new(
        defaults: &[RuleDefault],
        override_file: Option<&Path>,
    ) -> Result<Self, PolicyError> {
        let mut rules = HashMap::new();
        let mut scopes = HashMap::new();
        for default in defaults {
            let check = parse(default.check_str).map_err(|reason| PolicyError::Invalid {
                name: default.name.into(),
                reason,
            })?;
            rules.insert(default.name.to_string(), check);
            scopes.insert(default.name.to_string(), default.scope_types);
        }
        if let Some(path) = override_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| PolicyError::File(format!("{}: {e}", path.display())))?;
            let overrides: HashMap<String, String> =
                serde_norway::from_str::<Option<HashMap<String, String>>>(&text)
                    .map_err(|e| PolicyError::File(format!("{}: {e}", path.display())))?
                    .unwrap_or_default();
            for (name, check_str) in overrides {
                let check = parse(&check_str).map_err(|reason| PolicyError::Invalid {
                    name: name.clone(),
                    reason,
                })?;
                rules.insert(name, check);
            }
        }
        Ok(Enforcer { rules, scopes })
    }

    /// Whether a rule of this name exists (a default or an override).
    pub fn has_rule(&self, rule: &str) -> bool {
        self.rules.contains_key(rule)
    }

    /// Allows or refuses `rule` for `creds` on `target`. An unknown rule refuses.
    pub fn enforce(
        &self,
        rule: &str,
        target: &Value,
        creds: &Credentials,
    ) -> Result<(), PolicyError> {
        if let Some(scope_types) = self.scopes.get(rule) {
            if !scope_types.is_empty() && !scope_types.contains(&creds.scope()) {
                return Err(PolicyError::InvalidScope(rule.into()));
            }
        }
        let check = self
            .rules
            .get(rule)
            .ok_or_else(|| PolicyError::Forbidden(rule.into()))?;
        if self.evaluate(check, target, creds, 0) {
            Ok(())
        } else {
            Err(PolicyError::Forbidden(rule.into()))
        }
    }

    fn evaluate(&self, check: &Check, target: &Value, creds: &Credentials, depth: usize) -> bool {
        if depth > 32 {
            return false;
        }
        match check {
            Check::Always => true,
            Check::Never => false,
            Check::Role(role) => {
                let wanted = substitute(role, target)
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                creds.roles.iter().any(|r| r.to_ascii_lowercase() == wanted)
            }
            Check::Rule(name) => self
                .rules
                .get(name)
                .is_some_and(|inner| self.evaluate(inner, target, creds, depth + 1)),
            Check::Generic { key, value } => {
                let Some(expected) = substitute(value, target) else {
                    return false;
                };
                let actual = literal(key).or_else(|| creds.attribute(key));
                actual.is_some_and(|a| a == expected)
            }
            Check::Field { attribute, value } => {
                target_value(target, attribute).is_some_and(|actual| {
                    match value.strip_prefix('~') {
                        Some(pattern) => {
                            regex::Regex::new(pattern).is_ok_and(|re| re.is_match(&actual))
                        }
                        None => actual == *value,
                    }
                })
            }
            Check::Not(inner) => !self.evaluate(inner, target, creds, depth + 1),
            Check::And(items) => items
                .iter()
                .all(|c| self.evaluate(c, target, creds, depth + 1)),
            Check::Or(items) => items
                .iter()
                .any(|c| self.evaluate(c, target, creds, depth + 1)),
        }
    }
}

/// The left side of a generic check as a Python literal, as oslo tries first:
/// quoted strings, `None`, `True`, `False` and numbers.
fn literal(key: &str) -> Option<String> {
    let quoted = |q: char| key.len() >= 2 && key.starts_with(q) && key.ends_with(q);
    if quoted('\'') || quoted('"') {
        return Some(key[1..key.len() - 1].to_string());
    }
    match key {
        "None" | "True" | "False" => Some(key.to_string()),
        _ if key.parse::<f64>().is_ok() => Some(key.to_string()),
        _ => None,
    }
}

/// `%(path)s` → the target's value (None when missing); literals as they are.
fn substitute(value: &str, target: &Value) -> Option<String> {
    match value.strip_prefix("%(").and_then(|v| v.strip_suffix(")s")) {
        Some(path) => target_value(target, path),
        None => Some(value.to_string()),
    }
}

/// The defaults as a commented sample file, like `oslopolicy-sample-generator`.
pub fn defaults_yaml(defaults: &[RuleDefault]) -> String {
    let mut out = String::new();
    for default in defaults {
        for line in default.description.lines() {
            out.push_str(&format!("# {line}\n"));
        }
        if !default.scope_types.is_empty() {
            out.push_str(&format!(
                "# Intended scope(s): {}\n",
                default.scope_types.join(", ")
            ));
        }
        out.push_str(&format!(
            "#\"{}\": \"{}\"\n\n",
            default.name, default.check_str
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEFAULTS: &[RuleDefault] = &[
        RuleDefault { name: "admin_required", check_str: "role:admin or is_admin:1", description: "", scope_types: &[] },
        RuleDefault {
            name: "identity:get_project",
            check_str: "(role:reader and system_scope:all) or (role:reader and domain_id:%(target.project.domain_id)s) or project_id:%(target.project.id)s",
            description: "Show project details.",
            scope_types: &["system", "domain", "project"],
        },
        RuleDefault { name: "identity:create_project", check_str: "rule:admin_required", description: "", scope_types: &["system", "domain", "project"] },
        RuleDefault { name: "identity:system_only", check_str: "role:reader", description: "", scope_types: &["system"] },
        RuleDefault { name: "identity:list_user_projects", check_str: "user_id:%(target.user.id)s", description: "", scope_types: &["system", "domain", "project"] },
    ];

    fn project_creds(project: &str, roles: &[&str]) -> Credentials {
        Credentials {
            user_id: Some("u".into()),
            project_id: Some(project.into()),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            ..Credentials::default()
        }
    }

    #[test]
    fn targets_roles_and_rules() {
        let enforcer = Enforcer::new(DEFAULTS, None).unwrap();
        let target = json!({"target": {"project": {"id": "p1", "domain_id": "d"}}});
        assert!(enforcer
            .enforce(
                "identity:get_project",
                &target,
                &project_creds("p1", &["member"])
            )
            .is_ok());
        assert_eq!(
            enforcer.enforce(
                "identity:get_project",
                &target,
                &project_creds("p2", &["member"])
            ),
            Err(PolicyError::Forbidden("identity:get_project".into()))
        );
        assert!(enforcer
            .enforce(
                "identity:create_project",
                &target,
                &project_creds("p2", &["Admin"])
            )
            .is_ok());
        assert!(enforcer
            .enforce(
                "identity:create_project",
                &target,
                &project_creds("p2", &["reader"])
            )
            .is_err());
        let system = Credentials {
            system_scope: Some("all".into()),
            roles: vec!["reader".into()],
            ..Credentials::default()
        };
        assert!(enforcer
            .enforce("identity:get_project", &target, &system)
            .is_ok());
        let missing = json!({});
        assert!(enforcer
            .enforce(
                "identity:get_project",
                &missing,
                &project_creds("p1", &["member"])
            )
            .is_err());
    }

    /// Neutron's field checks compare an attribute of the target.
    #[test]
    fn field_checks_read_the_target() {
        const RULES: &[RuleDefault] = &[RuleDefault {
            name: "shared",
            check_str: "field:networks:shared=True",
            description: "",
            scope_types: &[],
        }];
        let enforcer = Enforcer::new(RULES, None).unwrap();
        let creds = project_creds("p", &["member"]);
        assert!(enforcer
            .enforce("shared", &json!({"shared": true}), &creds)
            .is_ok());
        assert!(enforcer
            .enforce("shared", &json!({"shared": false}), &creds)
            .is_err());
        assert!(enforcer.enforce("shared", &json!({}), &creds).is_err());
        assert!(crate::parse("field:networks").is_err());
        let owner = crate::parse("field:port:device_owner=~^network:").unwrap();
        let enforcer = Enforcer::new(
            &[RuleDefault {
                name: "network_device",
                check_str: "field:port:device_owner=~^network:",
                description: "",
                scope_types: &[],
            }],
            None,
        )
        .unwrap();
        assert!(matches!(owner, crate::Check::Field { .. }));
        assert!(enforcer
            .enforce(
                "network_device",
                &json!({"device_owner": "network:dhcp"}),
                &creds
            )
            .is_ok());
        assert!(enforcer
            .enforce(
                "network_device",
                &json!({"device_owner": "compute:nova"}),
                &creds
            )
            .is_err());
        assert!(crate::parse("field:port:device_owner=~(").is_err());
    }

    /// Keystone's current rules lean on oslo's literal and `None` semantics.
    #[test]
    fn literals_none_and_token_paths_behave_as_oslo() {
        const RULES: &[RuleDefault] = &[
            RuleDefault { name: "managed", check_str: "'manager':%(target.role.name)s or 'member':%(target.role.name)s", description: "", scope_types: &[] },
            RuleDefault { name: "global_role", check_str: "None:%(target.role.domain_id)s", description: "", scope_types: &[] },
            RuleDefault { name: "domain_scoped", check_str: "role:manager and not domain_id:None", description: "", scope_types: &[] },
            RuleDefault { name: "same_domain", check_str: "role:reader and domain_id:%(target.domain_id)s and not None:%(target.domain_id)s", description: "", scope_types: &[] },
            RuleDefault { name: "user_domain", check_str: "token.domain.id:%(target.user.domain_id)s", description: "", scope_types: &[] },
        ];
        let enforcer = Enforcer::new(RULES, None).unwrap();
        let project = project_creds("p1", &["manager", "reader"]);
        let domain = Credentials {
            user_id: Some("u".into()),
            domain_id: Some("d1".into()),
            roles: vec!["manager".into(), "reader".into()],
            ..Credentials::default()
        };
        let allowed = |rule: &str, target: Value, creds: &Credentials| {
            enforcer
                .enforce(rule, &json!({ "target": target }), creds)
                .is_ok()
        };
        assert!(allowed(
            "managed",
            json!({"role": {"name": "member"}}),
            &project
        ));
        assert!(!allowed(
            "managed",
            json!({"role": {"name": "admin"}}),
            &project
        ));
        assert!(allowed(
            "global_role",
            json!({"role": {"domain_id": null}}),
            &project
        ));
        assert!(!allowed(
            "global_role",
            json!({"role": {"domain_id": "d1"}}),
            &project
        ));
        assert!(
            !allowed("global_role", json!({"role": {}}), &project),
            "a missing key fails"
        );
        assert!(!allowed("domain_scoped", json!({}), &project));
        assert!(allowed("domain_scoped", json!({}), &domain));
        assert!(allowed("same_domain", json!({"domain_id": "d1"}), &domain));
        assert!(
            !allowed("same_domain", json!({"domain_id": null}), &project),
            "None == None is guarded"
        );
        assert!(!allowed("same_domain", json!({}), &project));
        assert!(allowed(
            "user_domain",
            json!({"user": {"domain_id": "d1"}}),
            &domain
        ));
        assert!(
            !allowed(
                "user_domain",
                json!({"user": {"domain_id": "None"}}),
                &project
            ),
            "no token.domain on a project token"
        );
    }

    #[test]
    fn scope_types_are_enforced() {
        let enforcer = Enforcer::new(DEFAULTS, None).unwrap();
        assert_eq!(
            enforcer.enforce(
                "identity:system_only",
                &json!({}),
                &project_creds("p", &["reader"])
            ),
            Err(PolicyError::InvalidScope("identity:system_only".into()))
        );
        assert!(enforcer
            .enforce("identity:get_project", &json!({}), &Credentials::default())
            .is_err());
    }

    /// An unscoped token counts as project-scoped for scope types, as
    /// oslo.policy has it (Horizon lists a user's projects with one).
    #[test]
    fn unscoped_tokens_count_as_project_scoped() {
        let enforcer = Enforcer::new(DEFAULTS, None).unwrap();
        let unscoped = Credentials {
            user_id: Some("u".into()),
            ..Credentials::default()
        };
        let own = json!({"target": {"user": {"id": "u"}}});
        assert_eq!(
            enforcer.enforce("identity:list_user_projects", &own, &unscoped),
            Ok(())
        );
        assert_eq!(
            enforcer.enforce("identity:system_only", &json!({}), &unscoped),
            Err(PolicyError::InvalidScope("identity:system_only".into()))
        );
    }

    #[test]
    fn overrides_replace_defaults() {
        let path = std::env::temp_dir().join(format!("ferro-policy-{}.yaml", std::process::id()));
        std::fs::write(&path, "\"identity:create_project\": \"@\"\n").unwrap();
        let enforcer = Enforcer::new(DEFAULTS, Some(&path)).unwrap();
        assert!(enforcer
            .enforce(
                "identity:create_project",
                &json!({}),
                &project_creds("p", &[])
            )
            .is_ok());
        std::fs::write(&path, "\"identity:create_project\": \"role:a or\"\n").unwrap();
        assert!(matches!(
            Enforcer::new(DEFAULTS, Some(&path)),
            Err(PolicyError::Invalid { .. })
        ));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn sample_lists_every_default() {
        let yaml = defaults_yaml(DEFAULTS);
        assert!(yaml.contains("#\"identity:create_project\": \"rule:admin_required\""));
        assert!(yaml.contains("# Show project details."));
    }
}
