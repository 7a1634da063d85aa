//! Image default policies: Glance's current defaults (rule names, check strings and
//! scope types as `glance.policies` ships them) for the APIs ferrostack implements.
//! Operators override them with `[oslo_policy] policy_file`; `ferrostack-image
//! policy defaults` prints them.

use ferrostack_policy::RuleDefault;

/// Every default rule.
pub const DEFAULTS: &[RuleDefault] = &[
    RuleDefault { name: "default", check_str: "", description: "Defines the default rule used for policies that historically had an empty policy in the supplied policy.json file.", scope_types: &[] },
    RuleDefault { name: "context_is_admin", check_str: "role:admin", description: "Defines the rule for the is_admin:True check.", scope_types: &[] },
    RuleDefault { name: "service_api", check_str: "role:service or role:admin", description: "Default rule for the service-to-service API.", scope_types: &[] },
    RuleDefault { name: "add_image", check_str: "rule:context_is_admin or (role:member and project_id:%(project_id)s and project_id:%(owner)s)", description: "Create new image", scope_types: &["project"] },
    RuleDefault { name: "delete_image", check_str: "rule:context_is_admin or (role:member and project_id:%(project_id)s)", description: "Deletes the image", scope_types: &["project"] },
    RuleDefault { name: "get_image", check_str: "rule:context_is_admin or (role:reader and (project_id:%(project_id)s or project_id:%(member_id)s or 'community':%(visibility)s or 'public':%(visibility)s or 'shared':%(visibility)s))", description: "Get specified image", scope_types: &["project"] },
    RuleDefault { name: "get_images", check_str: "rule:context_is_admin or (role:reader and project_id:%(project_id)s)", description: "Get all available images", scope_types: &["project"] },
    RuleDefault { name: "modify_image", check_str: "rule:context_is_admin or (role:member and project_id:%(project_id)s)", description: "Updates given image", scope_types: &["project"] },
    RuleDefault { name: "publicize_image", check_str: "rule:context_is_admin", description: "Publicize given image", scope_types: &["project"] },
    RuleDefault { name: "communitize_image", check_str: "rule:context_is_admin or (role:member and project_id:%(project_id)s)", description: "Communitize given image", scope_types: &["project"] },
    RuleDefault { name: "download_image", check_str: "rule:context_is_admin or (role:member and (project_id:%(project_id)s or project_id:%(member_id)s or 'community':%(visibility)s or 'public':%(visibility)s or 'shared':%(visibility)s))", description: "Downloads given image", scope_types: &["project"] },
    RuleDefault { name: "download_from_store", check_str: "rule:context_is_admin or (role:member and (project_id:%(project_id)s or project_id:%(member_id)s or 'community':%(visibility)s or 'public':%(visibility)s or 'shared':%(visibility)s))", description: "Downloads image from specific store using store selection parameters", scope_types: &["project"] },
    RuleDefault { name: "upload_image", check_str: "rule:context_is_admin or (role:member and project_id:%(project_id)s)", description: "Uploads data to specified image", scope_types: &["project"] },
    RuleDefault { name: "delete_image_location", check_str: "rule:context_is_admin", description: "Deletes the location of given image", scope_types: &["project"] },
    RuleDefault { name: "get_image_location", check_str: "rule:context_is_admin or (role:reader and project_id:%(project_id)s)", description: "Reads the location of the image", scope_types: &["project"] },
    RuleDefault { name: "set_image_location", check_str: "rule:context_is_admin or (role:member and project_id:%(project_id)s)", description: "Sets location URI to given image", scope_types: &["project"] },
    RuleDefault { name: "add_image_location", check_str: "rule:service_api or (role:member and project_id:%(project_id)s and project_id:%(owner)s)", description: "Add location URI to given image", scope_types: &["project"] },
    RuleDefault { name: "fetch_image_location", check_str: "rule:service_api", description: "Show all locations associated to given image", scope_types: &["project"] },
    RuleDefault { name: "add_member", check_str: "rule:context_is_admin or (role:member and project_id:%(project_id)s)", description: "Create image member", scope_types: &["project"] },
    RuleDefault { name: "delete_member", check_str: "rule:context_is_admin or (role:member and project_id:%(project_id)s)", description: "Delete image member", scope_types: &["project"] },
    RuleDefault { name: "get_member", check_str: "rule:context_is_admin or role:reader and (project_id:%(project_id)s or project_id:%(member_id)s)", description: "Show image member details", scope_types: &["project"] },
    RuleDefault { name: "get_members", check_str: "rule:context_is_admin or role:reader and (project_id:%(project_id)s or project_id:%(member_id)s)", description: "List image members", scope_types: &["project"] },
    RuleDefault { name: "modify_member", check_str: "rule:context_is_admin or (role:member and project_id:%(member_id)s)", description: "Update image member", scope_types: &["project"] },
    RuleDefault { name: "deactivate", check_str: "rule:context_is_admin or (role:member and project_id:%(project_id)s)", description: "Deactivate image", scope_types: &["project"] },
    RuleDefault { name: "reactivate", check_str: "rule:context_is_admin or (role:member and project_id:%(project_id)s)", description: "Reactivate image", scope_types: &["project"] },
    RuleDefault { name: "copy_image", check_str: "rule:context_is_admin", description: "Copy existing image to other stores", scope_types: &["project"] },
    RuleDefault { name: "stores_info_detail", check_str: "rule:context_is_admin or rule:service_api", description: "Expose store specific information", scope_types: &["project"] },
];
