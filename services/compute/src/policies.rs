//! Compute default policies: Nova's current defaults (rule names, check strings
//! and scope types as `nova.policies` ships them) for the APIs ferrostack
//! implements. Operators override them with `[oslo_policy] policy_file`;
//! `ferrostack-compute policy defaults` prints them.

use ferrostack_policy::RuleDefault;

const PROJECT: &[&str] = &["project"];

/// Every default rule.
pub const DEFAULTS: &[RuleDefault] = &[
    RuleDefault { name: "context_is_admin", check_str: "role:admin", description: "Decides what is required for the 'is_admin:True' check to succeed.", scope_types: &[] },
    RuleDefault { name: "admin_or_owner", check_str: "is_admin:True or project_id:%(project_id)s", description: "Default rule for most non-Admin APIs.", scope_types: &[] },
    RuleDefault { name: "admin_api", check_str: "is_admin:True", description: "Default rule for most Admin APIs.", scope_types: &[] },
    RuleDefault { name: "project_manager_api", check_str: "role:manager and project_id:%(project_id)s", description: "Default rule for Project level management APIs.", scope_types: &[] },
    RuleDefault { name: "project_member_api", check_str: "role:member and project_id:%(project_id)s", description: "Default rule for Project level non admin APIs.", scope_types: &[] },
    RuleDefault { name: "project_reader_api", check_str: "role:reader and project_id:%(project_id)s", description: "Default rule for Project level read only APIs.", scope_types: &[] },
    RuleDefault { name: "service_api", check_str: "role:service", description: "Default rule for service-to-service APIs.", scope_types: &[] },
    RuleDefault { name: "project_manager_or_admin", check_str: "rule:project_manager_api or rule:context_is_admin", description: "Default rule for Project Manager or admin APIs.", scope_types: &[] },
    RuleDefault { name: "project_member_or_admin", check_str: "rule:project_member_api or rule:context_is_admin", description: "Default rule for Project Member or admin APIs.", scope_types: &[] },
    RuleDefault { name: "project_reader_or_admin", check_str: "rule:project_reader_api or rule:context_is_admin", description: "Default rule for Project reader or admin APIs.", scope_types: &[] },
    RuleDefault { name: "service_or_admin", check_str: "rule:service_api or rule:context_is_admin", description: "Default rule for a service or admin APIs.", scope_types: &[] },
    RuleDefault { name: "os_compute_api:os-flavor-manage:create", check_str: "rule:context_is_admin", description: "Create a flavor", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-flavor-manage:update", check_str: "rule:context_is_admin", description: "Update a flavor", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-flavor-manage:delete", check_str: "rule:context_is_admin", description: "Delete a flavor", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-flavor-extra-specs:show", check_str: "rule:project_reader_or_admin", description: "Show an extra spec for a flavor", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-flavor-extra-specs:create", check_str: "rule:context_is_admin", description: "Create extra specs for a flavor", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-flavor-extra-specs:update", check_str: "rule:context_is_admin", description: "Update an extra spec for a flavor", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-flavor-extra-specs:delete", check_str: "rule:context_is_admin", description: "Delete an extra spec for a flavor", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-flavor-extra-specs:index", check_str: "rule:project_reader_or_admin", description: "List extra specs for a flavor. Starting with microversion 2.61, extra specs may be returned in responses for the flavor resource.", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-flavor-access:add_tenant_access", check_str: "rule:context_is_admin", description: "Add flavor access to a tenant", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-flavor-access:remove_tenant_access", check_str: "rule:context_is_admin", description: "Remove flavor access from a tenant", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-flavor-access", check_str: "rule:context_is_admin", description: "List flavor access information", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-keypairs:index", check_str: "(rule:context_is_admin) or user_id:%(user_id)s", description: "List all keypairs", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-keypairs:create", check_str: "(rule:context_is_admin) or user_id:%(user_id)s", description: "Create a keypair", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-keypairs:delete", check_str: "(rule:context_is_admin) or user_id:%(user_id)s", description: "Delete a keypair", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-keypairs:show", check_str: "(rule:context_is_admin) or user_id:%(user_id)s", description: "Show details of a keypair", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-services:list", check_str: "rule:context_is_admin", description: "List all running Compute services in a region.", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-services:update", check_str: "rule:context_is_admin", description: "Update a Compute service.", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-services:delete", check_str: "rule:context_is_admin", description: "Delete a Compute service.", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-hypervisors:list", check_str: "rule:context_is_admin", description: "List all hypervisors.", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-hypervisors:list-detail", check_str: "rule:context_is_admin", description: "List all hypervisors with details", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-hypervisors:statistics", check_str: "rule:context_is_admin", description: "Show summary statistics for all hypervisors over all compute nodes.", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-hypervisors:show", check_str: "rule:context_is_admin", description: "Show details for a hypervisor.", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-availability-zone:list", check_str: "@", description: "List availability zone information without host information", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-availability-zone:detail", check_str: "rule:context_is_admin", description: "List detailed availability zone information with host information", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-aggregates:set_metadata", check_str: "rule:context_is_admin", description: "Create or replace metadata for an aggregate", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-aggregates:add_host", check_str: "rule:context_is_admin", description: "Add a host to an aggregate", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-aggregates:create", check_str: "rule:context_is_admin", description: "Create an aggregate", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-aggregates:remove_host", check_str: "rule:context_is_admin", description: "Remove a host from an aggregate", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-aggregates:update", check_str: "rule:context_is_admin", description: "Update name and/or availability zone for an aggregate", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-aggregates:index", check_str: "rule:context_is_admin", description: "List all aggregates", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-aggregates:delete", check_str: "rule:context_is_admin", description: "Delete an aggregate", scope_types: PROJECT },
    RuleDefault { name: "os_compute_api:os-aggregates:show", check_str: "rule:context_is_admin", description: "Show details for an aggregate", scope_types: PROJECT },
];
