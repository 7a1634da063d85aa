//! The all-in-one's external network, made once as DevStack makes it: `public`
//! (flat on physical network `public`, external) with `public-subnet`
//! 172.24.4.0/24 (gateway .1, no DHCP), for routers' gateways and floating
//! IPs. Left alone when a network named `public` exists.

use reqwest::Method;
use serde_json::json;

use crate::register::Registrar;

/// Makes `public` and its subnet at `network_url` unless it exists.
pub async fn ensure(registrar: &Registrar, network_url: &str) -> anyhow::Result<bool> {
    let networks = format!("{network_url}/v2.0/networks");
    let found = registrar
        .request(Method::GET, &format!("{networks}?name=public"), None)
        .await?;
    if found["networks"].as_array().is_some_and(|n| !n.is_empty()) {
        return Ok(false);
    }
    let made = registrar
        .request(
            Method::POST,
            &networks,
            Some(json!({"network": {
                "name": "public",
                "router:external": true,
                "provider:network_type": "flat",
                "provider:physical_network": "public",
            }})),
        )
        .await?;
    let id = made["network"]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("network answer without an id: {made}"))?;
    registrar
        .request(
            Method::POST,
            &format!("{network_url}/v2.0/subnets"),
            Some(json!({"subnet": {
                "name": "public-subnet",
                "network_id": id,
                "ip_version": 4,
                "cidr": "172.24.4.0/24",
                "gateway_ip": "172.24.4.1",
                "enable_dhcp": false,
                "allocation_pools": [{"start": "172.24.4.2", "end": "172.24.4.254"}],
            }})),
        )
        .await?;
    Ok(true)
}
