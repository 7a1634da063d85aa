//! The options a domain-specific configuration may hold (Keystone's whitelisted and
//! sensitive options) and their defaults, as a stock keystone.conf sets them.

use serde_json::{json, Map, Value};

/// Options stored and rendered, per group, in Keystone's order.
const IDENTITY: &[&str] = &["driver", "list_limit"];
const LDAP: &[&str] = &[
    "url",
    "user",
    "suffix",
    "query_scope",
    "page_size",
    "alias_dereferencing",
    "debug_level",
    "chase_referrals",
    "user_tree_dn",
    "user_filter",
    "user_objectclass",
    "user_id_attribute",
    "user_name_attribute",
    "user_mail_attribute",
    "user_description_attribute",
    "user_pass_attribute",
    "user_enabled_attribute",
    "user_enabled_invert",
    "user_enabled_mask",
    "user_enabled_default",
    "user_attribute_ignore",
    "user_default_project_id_attribute",
    "user_enabled_emulation",
    "user_enabled_emulation_dn",
    "user_enabled_emulation_use_group_config",
    "user_additional_attribute_mapping",
    "group_tree_dn",
    "group_filter",
    "group_objectclass",
    "group_id_attribute",
    "group_name_attribute",
    "group_members_are_ids",
    "group_member_attribute",
    "group_desc_attribute",
    "group_attribute_ignore",
    "group_additional_attribute_mapping",
    "tls_cacertfile",
    "tls_cacertdir",
    "use_tls",
    "tls_req_cert",
    "use_pool",
    "pool_size",
    "pool_retry_max",
    "pool_retry_delay",
    "pool_connection_timeout",
    "pool_connection_lifetime",
    "use_auth_pool",
    "auth_pool_size",
    "auth_pool_connection_lifetime",
];

/// The groups a domain configuration may hold.
pub const GROUPS: [&str; 2] = ["identity", "ldap"];

/// The options of `group` that are rendered; `None` for an unsupported group.
pub fn whitelisted(group: &str) -> Option<&'static [&'static str]> {
    match group {
        "identity" => Some(IDENTITY),
        "ldap" => Some(LDAP),
        _ => None,
    }
}

/// Whether an option is stored but never rendered (`ldap.password`).
pub fn sensitive(group: &str, option: &str) -> bool {
    group == "ldap" && option == "password"
}

/// The default of a whitelisted option (null where keystone.conf has none).
pub fn default(group: &str, option: &str) -> Value {
    match (group, option) {
        ("identity", "driver") => json!("sql"),
        ("ldap", "url") => json!("ldap://localhost"),
        ("ldap", "suffix") => json!("cn=example,cn=com"),
        ("ldap", "query_scope") => json!("one"),
        ("ldap", "page_size" | "user_enabled_mask") => json!(0),
        ("ldap", "alias_dereferencing") => json!("default"),
        ("ldap", "user_objectclass") => json!("inetOrgPerson"),
        ("ldap", "user_id_attribute" | "group_id_attribute") => json!("cn"),
        ("ldap", "user_name_attribute") => json!("sn"),
        ("ldap", "user_mail_attribute") => json!("mail"),
        ("ldap", "user_description_attribute" | "group_desc_attribute") => json!("description"),
        ("ldap", "user_pass_attribute") => json!("userPassword"),
        ("ldap", "user_enabled_attribute") => json!("enabled"),
        ("ldap", "user_enabled_default") => json!("True"),
        ("ldap", "user_attribute_ignore") => json!(["default_project_id"]),
        (
            "ldap",
            "user_enabled_invert"
            | "user_enabled_emulation"
            | "user_enabled_emulation_use_group_config"
            | "group_members_are_ids"
            | "use_tls",
        ) => json!(false),
        (
            "ldap",
            "user_additional_attribute_mapping"
            | "group_attribute_ignore"
            | "group_additional_attribute_mapping",
        ) => json!([]),
        ("ldap", "group_objectclass") => json!("groupOfNames"),
        ("ldap", "group_name_attribute") => json!("ou"),
        ("ldap", "group_member_attribute") => json!("member"),
        ("ldap", "tls_req_cert") => json!("demand"),
        ("ldap", "use_pool" | "use_auth_pool") => json!(true),
        ("ldap", "pool_size") => json!(10),
        ("ldap", "pool_retry_max") => json!(3),
        ("ldap", "pool_retry_delay") => json!(0.1),
        ("ldap", "pool_connection_timeout") => json!(-1),
        ("ldap", "pool_connection_lifetime") => json!(600),
        ("ldap", "auth_pool_size") => json!(100),
        ("ldap", "auth_pool_connection_lifetime") => json!(60),
        _ => Value::Null,
    }
}

/// Every default of a group, as `{option: value}`.
pub fn group_defaults(group: &str) -> Map<String, Value> {
    whitelisted(group)
        .unwrap_or_default()
        .iter()
        .map(|option| (option.to_string(), default(group, option)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitelists_and_defaults() {
        assert_eq!(LDAP.len(), 49);
        assert!(whitelisted("resource").is_none());
        assert!(sensitive("ldap", "password"));
        assert!(!whitelisted("ldap").unwrap().contains(&"password"));
        assert_eq!(group_defaults("identity")["driver"], "sql");
        assert_eq!(group_defaults("identity")["list_limit"], Value::Null);
        assert_eq!(group_defaults("ldap").len(), 49);
    }
}
