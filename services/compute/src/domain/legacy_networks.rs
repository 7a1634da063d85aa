//! Nova's network proxies from nova-network days (`os-networks` and
//! `os-tenant-networks` up to 2.35): the networks the caller sees, in the
//! shapes Nova still returns with Neutron.

use serde_json::{json, Value};

use super::servers::networks::failure;
use super::{Caller, Nova, NovaError, Result};
use crate::network_api::NetworkApiError;

/// The nova-network fields `os-networks` shows everyone, then admins.
const FIELDS: &[&str] = &[
    "id",
    "cidr",
    "netmask",
    "gateway",
    "broadcast",
    "dns1",
    "dns2",
    "cidr_v6",
    "gateway_v6",
    "label",
    "netmask_v6",
];
const ADMIN_FIELDS: &[&str] = &[
    "created_at",
    "updated_at",
    "deleted_at",
    "deleted",
    "injected",
    "bridge",
    "vlan",
    "vpn_public_address",
    "vpn_public_port",
    "vpn_private_address",
    "dhcp_start",
    "project_id",
    "host",
    "bridge_interface",
    "multi_host",
    "priority",
    "rxtx_base",
    "mtu",
    "dhcp_server",
    "enable_dhcp",
    "share_address",
];

/// Which proxy a network is shown by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkProxy {
    /// `os-networks`: every nova-network field, only the id and label set.
    Networks,
    /// `os-tenant-networks`: id, label, and the cidr `"None"`.
    TenantNetworks,
}

impl NetworkProxy {
    fn policy(self, action: &str) -> String {
        match self {
            NetworkProxy::Networks => format!("os_compute_api:os-networks:{action}"),
            NetworkProxy::TenantNetworks => format!("os_compute_api:os-tenant-networks:{action}"),
        }
    }

    /// Nova's view of a Neutron network.
    pub fn view(self, network: &Value, admin: bool) -> Value {
        match self {
            NetworkProxy::TenantNetworks => {
                json!({"id": network["id"], "cidr": "None", "label": network["name"]})
            }
            NetworkProxy::Networks => {
                let admin_fields = if admin { ADMIN_FIELDS } else { &[] };
                let mut view = serde_json::Map::new();
                for field in FIELDS.iter().chain(admin_fields) {
                    let value = match *field {
                        "id" => network["id"].clone(),
                        "label" => network["name"].clone(),
                        _ => Value::Null,
                    };
                    view.insert(field.to_string(), value);
                }
                Value::Object(view)
            }
        }
    }
}

impl Nova {
    /// The networks the caller sees.
    pub async fn proxied_networks(
        &self,
        caller: &Caller,
        proxy: NetworkProxy,
    ) -> Result<Vec<Value>> {
        self.authorize(
            caller,
            &proxy.policy("list"),
            &json!({"project_id": caller.project()}),
        )?;
        self.networks
            .networks(&caller.ctx.token.0, "")
            .await
            .map_err(failure)
    }

    /// Network `id` if the caller sees it.
    pub async fn proxied_network(
        &self,
        caller: &Caller,
        proxy: NetworkProxy,
        id: &str,
    ) -> Result<Value> {
        self.authorize(
            caller,
            &proxy.policy("show"),
            &json!({"project_id": caller.project()}),
        )?;
        match self.networks.network(&caller.ctx.token.0, id).await {
            Err(NetworkApiError::NotFound) => Err(NovaError::NotFound("Network not found".into())),
            other => other.map_err(failure),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_show_what_nova_shows() {
        let network = json!({"id": "n", "name": "private"});
        let user = NetworkProxy::Networks.view(&network, false);
        assert_eq!(user.as_object().unwrap().len(), FIELDS.len());
        assert_eq!(
            (user["id"].clone(), user["label"].clone()),
            (json!("n"), json!("private"))
        );
        assert_eq!(user["cidr"], Value::Null);
        let admin = NetworkProxy::Networks.view(&network, true);
        assert!(admin.get("project_id").is_some());
        assert_eq!(
            NetworkProxy::TenantNetworks.view(&network, true),
            json!({"id": "n", "cidr": "None", "label": "private"})
        );
    }
}
