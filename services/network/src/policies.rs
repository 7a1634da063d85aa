//! Network default policies: Neutron's current defaults (rule names and check
//! strings as `neutron.conf.policies` ships them, with neutron-lib's base
//! rules) for the APIs ferrostack implements. Operators override them with
//! `[oslo_policy] policy_file`; `ferrostack-network policy defaults` prints
//! them. Attribute rules (`create_network:shared`) are checked for each
//! attribute a request sets.

use ferrostack_policy::RuleDefault;

const PROJECT: &[&str] = &["project"];

macro_rules! rules {
    ($($name:literal => $check:literal, $description:literal;)*) => {
        &[$(RuleDefault { name: $name, check_str: $check, description: $description, scope_types: PROJECT }),*]
    };
}

/// Every default rule.
pub const DEFAULTS: &[RuleDefault] = rules! {
    "context_is_admin" => "role:admin", "Rule for cloud admin access";
    "admin_only" => "rule:context_is_admin", "Rule for admin-only access";
    "network_owner" => "tenant_id:%(network:tenant_id)s", "Rule for resource owner access of a network's resources";
    "sg_owner" => "tenant_id:%(security_group:tenant_id)s", "Rule for the owner of a security group";
    "shared" => "field:networks:shared=True", "Definition of a shared network";
    "external" => "field:networks:router:external=True", "Definition of an external network";
    "admin_or_project_member" => "rule:context_is_admin or (role:member and project_id:%(project_id)s)", "An admin, or a member of the resource's project";
    "admin_or_project_reader" => "rule:context_is_admin or (role:reader and project_id:%(project_id)s)", "An admin, or a reader of the resource's project";
    "admin_or_net_owner_member" => "rule:context_is_admin or (role:member and rule:network_owner)", "An admin, or a member of the network's project";
    "admin_or_net_owner_reader" => "rule:context_is_admin or (role:reader and rule:network_owner)", "An admin, or a reader of the network's project";

    "create_network" => "rule:admin_or_project_member", "Create a network";
    "create_network:shared" => "rule:admin_only", "Create a shared network";
    "create_network:router:external" => "rule:admin_only", "Create an external network";
    "create_network:provider:network_type" => "rule:admin_only", "Specify provider:network_type when creating a network";
    "create_network:provider:physical_network" => "rule:admin_only", "Specify provider:physical_network when creating a network";
    "create_network:provider:segmentation_id" => "rule:admin_only", "Specify provider:segmentation_id when creating a network";
    "get_network" => "rule:admin_or_project_reader or rule:shared or rule:external", "Get a network";
    "get_network:provider:network_type" => "rule:admin_only", "Get provider:network_type";
    "get_network:provider:physical_network" => "rule:admin_only", "Get provider:physical_network";
    "get_network:provider:segmentation_id" => "rule:admin_only", "Get provider:segmentation_id";
    "update_network" => "rule:admin_or_project_member", "Update a network";
    "update_network:shared" => "rule:admin_only", "Update shared attribute of a network";
    "update_network:router:external" => "rule:admin_only", "Update router:external attribute of a network";
    "update_network:provider:network_type" => "rule:admin_only", "Update provider:network_type of a network";
    "update_network:provider:physical_network" => "rule:admin_only", "Update provider:physical_network of a network";
    "update_network:provider:segmentation_id" => "rule:admin_only", "Update provider:segmentation_id of a network";
    "delete_network" => "rule:admin_or_project_member", "Delete a network";

    "restrict_wildcard" => "(not field:rbac_policy:target_tenant=*) or rule:admin_only", "Definition of a wildcard target_tenant";
    "create_rbac_policy" => "rule:admin_or_project_member", "Create an RBAC policy";
    "create_rbac_policy:target_tenant" => "rule:restrict_wildcard", "Specify target_tenant when creating an RBAC policy";
    "update_rbac_policy" => "rule:admin_or_project_member", "Update an RBAC policy";
    "update_rbac_policy:target_tenant" => "rule:restrict_wildcard and rule:admin_or_project_member", "Update target_tenant attribute of an RBAC policy";
    "get_rbac_policy" => "rule:admin_or_project_reader", "Get an RBAC policy";
    "delete_rbac_policy" => "rule:admin_or_project_member", "Delete an RBAC policy";

    "create_subnet" => "rule:admin_or_project_member or rule:admin_or_net_owner_member", "Create a subnet";
    "create_subnet:service_types" => "rule:admin_only", "Specify service_types attribute when creating a subnet";
    "update_subnet:service_types" => "rule:admin_only", "Update service_types attribute of a subnet";
    "get_subnet" => "rule:admin_or_project_reader or rule:shared", "Get a subnet";
    "update_subnet" => "rule:admin_or_project_member or rule:admin_or_net_owner_member", "Update a subnet";
    "delete_subnet" => "rule:admin_or_project_member or rule:admin_or_net_owner_member", "Delete a subnet";

    "create_port" => "rule:admin_or_project_member", "Create a port";
    "create_port:device_owner" => "not rule:network_device or rule:admin_or_net_owner_member", "Specify device_owner attribute when creating a port";
    "network_device" => "field:port:device_owner=~^network:", "Definition of port with network device_owner";
    "create_port:mac_address" => "rule:admin_or_net_owner_member", "Specify mac_address attribute when creating a port";
    "create_port:fixed_ips:ip_address" => "rule:admin_or_net_owner_member", "Specify IP address in fixed_ips when creating a port";
    "create_port:port_security_enabled" => "rule:admin_or_net_owner_member", "Specify port_security_enabled attribute when creating a port";
    "create_port:binding:host_id" => "rule:admin_only", "Specify binding:host_id attribute when creating a port";
    "create_port:binding:profile" => "rule:admin_only", "Specify binding:profile attribute when creating a port";
    "create_port:allowed_address_pairs" => "rule:admin_or_net_owner_member", "Specify allowed_address_pairs attribute when creating a port";
    "get_port" => "rule:admin_or_project_reader or rule:admin_or_net_owner_reader", "Get a port";
    "get_port:binding:vif_type" => "rule:admin_only", "Get binding:vif_type attribute of a port";
    "get_port:binding:vif_details" => "rule:admin_only", "Get binding:vif_details attribute of a port";
    "get_port:binding:host_id" => "rule:admin_only", "Get binding:host_id attribute of a port";
    "get_port:binding:profile" => "rule:admin_only", "Get binding:profile attribute of a port";
    "update_port" => "rule:admin_or_project_member", "Update a port";
    "update_port:device_owner" => "not rule:network_device or rule:admin_or_net_owner_member", "Update device_owner attribute of a port";
    "update_port:mac_address" => "rule:admin_only", "Update mac_address attribute of a port";
    "update_port:fixed_ips:ip_address" => "rule:admin_or_net_owner_member", "Specify IP address in fixed_ips information when updating a port";
    "update_port:port_security_enabled" => "rule:admin_or_net_owner_member", "Update port_security_enabled attribute of a port";
    "update_port:binding:host_id" => "rule:admin_only", "Update binding:host_id attribute of a port";
    "update_port:binding:profile" => "rule:admin_only", "Update binding:profile attribute of a port";
    "update_port:allowed_address_pairs" => "rule:admin_or_net_owner_member", "Update allowed_address_pairs attribute of a port";
    "delete_port" => "rule:admin_or_project_member or rule:admin_or_net_owner_member", "Delete a port";

    "create_router" => "rule:admin_or_project_member", "Create a router";
    "create_router:external_gateway_info:enable_snat" => "rule:admin_only", "Specify enable_snat in external_gateway_info when creating a router";
    "create_router:external_gateway_info:external_fixed_ips" => "rule:admin_only", "Specify external_fixed_ips in external_gateway_info when creating a router";
    "get_router" => "rule:admin_or_project_reader", "Get a router";
    "update_router" => "rule:admin_or_project_member", "Update a router";
    "update_router:external_gateway_info:enable_snat" => "rule:admin_only", "Update enable_snat in external_gateway_info of a router";
    "update_router:external_gateway_info:external_fixed_ips" => "rule:admin_only", "Update external_fixed_ips in external_gateway_info of a router";
    "delete_router" => "rule:admin_or_project_member", "Delete a router";
    "add_router_interface" => "rule:admin_or_project_member", "Add an interface to a router";
    "remove_router_interface" => "rule:admin_or_project_member", "Remove an interface from a router";
    "create_floatingip" => "rule:admin_or_project_member", "Create a floating IP";
    "create_floatingip:floating_ip_address" => "rule:admin_only", "Create a floating IP with a specific IP address";
    "get_floatingip" => "rule:admin_or_project_reader", "Get a floating IP";
    "update_floatingip" => "rule:admin_or_project_member", "Update a floating IP";
    "delete_floatingip" => "rule:admin_or_project_member", "Delete a floating IP";
    "get_agent" => "rule:admin_only", "Get an agent";
    "update_agent" => "rule:admin_only", "Update an agent";
    "delete_agent" => "rule:admin_only", "Delete an agent";
    "get_network_ip_availability" => "rule:admin_only", "Get network IP availability";
    "shared_subnetpools" => "field:subnetpools:shared=True", "Definition of a shared subnet pool";
    "create_subnetpool" => "rule:admin_or_project_member", "Create a subnet pool";
    "create_subnetpool:shared" => "rule:admin_only", "Create a shared subnet pool";
    "create_subnetpool:is_default" => "rule:admin_only", "Specify is_default attribute when creating a subnet pool";
    "get_subnetpool" => "rule:admin_or_project_reader or rule:shared_subnetpools", "Get a subnet pool";
    "update_subnetpool" => "rule:admin_or_project_member", "Update a subnet pool";
    "update_subnetpool:is_default" => "rule:admin_only", "Update is_default attribute of a subnet pool";
    "delete_subnetpool" => "rule:admin_or_project_member", "Delete a subnet pool";
    "get_availability_zone" => "role:reader", "List availability zones";
    "get_quota" => "rule:admin_only", "Get resource quota(s)";
    "update_quota" => "rule:admin_only", "Update resource quota(s)";
    "delete_quota" => "rule:admin_only", "Delete resource quota(s)";
    "create_security_group" => "rule:admin_or_project_member", "Create a security group";
    "get_security_group" => "rule:admin_or_project_reader", "Get a security group";
    "update_security_group" => "rule:admin_or_project_member", "Update a security group";
    "delete_security_group" => "rule:admin_or_project_member", "Delete a security group";
    "create_security_group_rule" => "rule:admin_or_project_member or (role:member and rule:sg_owner)", "Create a security group rule";
    "get_security_group_rule" => "rule:admin_or_project_reader or (role:reader and rule:sg_owner)", "Get a security group rule";
    "delete_security_group_rule" => "rule:admin_or_project_member or (role:member and rule:sg_owner)", "Delete a security group rule";
};
