//! What the network roles say to each other: the server's topics (agents'
//! reports and device calls, as Neutron's `q-reports-plugin` and `q-plugin`)
//! and the agents' (`q-agent-notifier`, addressed by host), with their
//! messages (`proto/`).

/// The messages between the roles, generated from `proto/`.
pub mod messages {
    include!(concat!(env!("OUT_DIR"), "/ferrostack.network.v1.rs"));
}

/// The server: it records agents' states and answers for their devices.
pub mod server {
    use super::messages as m;
    ferrostack_rpc::rpc_topic! {
        /// `q-reports-plugin`.
        pub Reports = "q-reports-plugin" {
            /// An agent is alive (`/v2.0/agents`).
            cast ReportState = "report_state" (m::AgentState);
        }
    }
    ferrostack_rpc::rpc_topic! {
        /// `q-plugin`.
        pub Plugin = "q-plugin" {
            /// Every port bound to a host (an agent's full sync).
            call GetDevices = "get_devices_details_list" (m::HostDevices) -> m::DeviceList;
            /// A port is wired or unwired on a host.
            call UpdateDevice = "update_device_status" (m::DeviceStatus);
            /// The networks whose DHCP a host serves (scheduling unserved ones there).
            call GetDhcpNetworks = "get_active_networks_info" (m::HostDevices) -> m::DhcpNetworks;
            /// What serving one network's DHCP on a host takes.
            call GetNetworkInfo = "get_network_info" (m::NetworkQuery) -> m::NetworkInfo;
            /// The routers whose ports are bound to a host.
            call GetRouters = "get_router_ids" (m::HostDevices) -> m::HostRouters;
            /// What serving one router on a host takes.
            call GetRouter = "get_routers" (m::RouterQuery) -> m::RouterInfo;
            /// A router's floating IPs are translated (or failed to be).
            call UpdateFloatingIps = "update_floatingip_statuses" (m::FloatingIpStatuses);
            /// Security groups' rules and members (a host's firewall).
            call GetSecurityGroups = "security_group_info_for_devices" (m::SecurityGroupQuery) -> m::SecurityGroupList;
            /// The tunnel endpoints a host floods a network's traffic to.
            call GetTunnels = "get_tunnels" (m::NetworkQuery) -> m::Tunnels;
        }
    }
}

/// The agents, each addressed by its host.
pub mod agent {
    use super::messages as m;
    ferrostack_rpc::rpc_topic! {
        /// `q-agent-notifier`.
        pub Topic = "q-agent-notifier" {
            /// Wire (or rewire) a port bound here.
            cast PortUpdate = "port_update" (m::PortUpdate);
            /// Unwire a port that left this host.
            cast PortDelete = "port_delete" (m::PortDelete);
            /// A network whose DHCP this host serves changed.
            cast NetworkChanged = "network_update" (m::NetworkChanged);
            /// A router served here changed.
            cast RouterChanged = "routers_updated" (m::RouterChanged);
            /// Security groups' rules or members changed.
            cast SecurityGroupsChanged = "security_groups_rule_updated" (m::SecurityGroupsChanged);
            /// The hosts a network's ports are bound to changed (every agent).
            fanout TunnelsChanged = "update_fdb_entries" (m::NetworkChanged);
        }
    }
}
