//! Application credential access rules: the service type, HTTP method and path a
//! restricted credential's tokens may call. In a rule's path `*` matches one path
//! segment and `**` any number of them (keystonemiddleware's semantics).

use serde::{Deserialize, Serialize};

/// One rule, as tokens carry it (`application_credential.access_rules`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRule {
    pub service: String,
    pub method: String,
    pub path: String,
}

/// Whether any rule lets a `method` request to `path` reach `service_type`.
pub fn permits(rules: &[AccessRule], service_type: &str, method: &str, path: &str) -> bool {
    rules.iter().any(|rule| {
        rule.service == service_type
            && rule.method.eq_ignore_ascii_case(method)
            && path_matches(&rule.path, path)
    })
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

fn path_matches(rule: &str, path: &str) -> bool {
    fn matches(rule: &[&str], path: &[&str]) -> bool {
        match (rule.first(), path.first()) {
            (None, None) => true,
            (Some(&"**"), _) => (0..=path.len()).any(|skip| matches(&rule[1..], &path[skip..])),
            (Some(&"*"), Some(_)) => matches(&rule[1..], &path[1..]),
            (Some(want), Some(have)) if want == have => matches(&rule[1..], &path[1..]),
            _ => false,
        }
    }
    matches(&segments(rule), &segments(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(service: &str, method: &str, path: &str) -> AccessRule {
        AccessRule {
            service: service.into(),
            method: method.into(),
            path: path.into(),
        }
    }

    #[test]
    fn single_and_multi_segment_wildcards() {
        let rules = [rule("compute", "GET", "/v2.1/servers/*/ips")];
        assert!(permits(&rules, "compute", "GET", "/v2.1/servers/abc/ips"));
        assert!(permits(&rules, "compute", "GET", "/v2.1/servers/abc/ips/"));
        assert!(!permits(&rules, "compute", "GET", "/v2.1/servers/a/b/ips"));
        assert!(!permits(&rules, "compute", "POST", "/v2.1/servers/abc/ips"));
        assert!(!permits(&rules, "image", "GET", "/v2.1/servers/abc/ips"));
        assert!(!permits(&rules, "compute", "GET", "/v2.1/servers/abc"));
        let deep = [rule("image", "GET", "/v2/images/**")];
        assert!(permits(&deep, "image", "GET", "/v2/images/x/file"));
        assert!(permits(&deep, "image", "GET", "/v2/images"));
        assert!(!permits(&deep, "image", "GET", "/v2/schemas/image"));
        assert!(!permits(&[], "image", "GET", "/v2/images"));
    }
}
