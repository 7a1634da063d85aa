//! Nova's floating IP proxy to the network API (`os-floating-ips` and
//! `os-floating-ip-pools` up to 2.35, `addFloatingIp`/`removeFloatingIp` up
//! to 2.43): the project's floating IPs in Nova's shape, allocated from an
//! external network (the pool) and pointed at a server's fixed address.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::servers::networks::{failure, parse_vifs, stored_json};
use super::{Caller, Nova, NovaError, Result};
use crate::db::entity::instance;
use crate::network_api::{query, NetworkApiError, FLOATING_IPS, NETWORKS};
use sea_orm::EntityTrait;

/// Nova's view of a Neutron floating IP; `pools` the external networks'
/// names by id.
pub fn view(fip: &Value, pools: &BTreeMap<String, String>) -> Value {
    let network = fip["floating_network_id"].as_str().unwrap_or_default();
    let pool = pools
        .get(network)
        .filter(|name| !name.is_empty())
        .cloned()
        .unwrap_or_else(|| network.to_string());
    json!({
        "id": fip["id"],
        "ip": fip["floating_ip_address"],
        "fixed_ip": fip["fixed_ip_address"],
        "instance_id": fip["port_details"]["device_id"].as_str().filter(|d| !d.is_empty()),
        "pool": pool,
    })
}

fn not_found_id(id: &str) -> NovaError {
    NovaError::NotFound(format!("Floating IP not found for ID {id}"))
}

impl Nova {
    fn authorize_fips(&self, caller: &Caller, action: &str, project: &str) -> Result<()> {
        self.authorize(
            caller,
            &format!("os_compute_api:os-floating-ips:{action}"),
            &json!({ "project_id": project }),
        )
    }

    /// The names of the networks `fips` come from, by id (one request).
    async fn pool_names(&self, token: &str, fips: &[Value]) -> Result<BTreeMap<String, String>> {
        let mut pairs: Vec<(&str, &str)> = fips
            .iter()
            .filter_map(|f| f["floating_network_id"].as_str())
            .map(|id| ("id", id))
            .collect();
        if pairs.is_empty() {
            return Ok(BTreeMap::new());
        }
        pairs.extend([("fields", "id"), ("fields", "name")]);
        Ok(self
            .networks
            .list(token, &NETWORKS, &query(&pairs))
            .await
            .map_err(failure)?
            .iter()
            .filter_map(|n| {
                Some((
                    n["id"].as_str()?.to_string(),
                    n["name"].as_str().unwrap_or_default().to_string(),
                ))
            })
            .collect())
    }

    async fn fip_views(&self, token: &str, fips: &[Value]) -> Result<Vec<Value>> {
        let pools = self.pool_names(token, fips).await?;
        Ok(fips.iter().map(|f| view(f, &pools)).collect())
    }

    async fn neutron_fip(&self, caller: &Caller, id: &str) -> Result<Value> {
        match self
            .networks
            .show(&caller.ctx.token.0, &FLOATING_IPS, id)
            .await
        {
            Err(NetworkApiError::NotFound) => Err(not_found_id(id)),
            other => other.map_err(failure),
        }
    }

    /// The floating IP at `address`: 404 when there is none.
    async fn fip_at(&self, caller: &Caller, address: &str) -> Result<Value> {
        let found = self
            .networks
            .list(
                &caller.ctx.token.0,
                &FLOATING_IPS,
                &query(&[("floating_ip_address", address)]),
            )
            .await
            .map_err(failure)?;
        match found.as_slice() {
            [fip] => Ok(fip.clone()),
            [] => Err(NovaError::NotFound(format!(
                "Floating IP not found for address {address}."
            ))),
            _ => Err(NovaError::Conflict(format!(
                "Multiple floating IPs are found for address {address}."
            ))),
        }
    }

    /// Reads the network info of the server a floating IP pointed at again,
    /// when it is one of compute's.
    async fn refresh_pointed(&self, fip: &Value) -> Result<()> {
        let Some(device) = fip["port_details"]["device_id"].as_str() else {
            return Ok(());
        };
        if instance::Entity::find_by_id(device)
            .one(&self.db)
            .await?
            .is_some_and(|row| !row.deleted)
        {
            self.refresh_network_info(device).await?;
        }
        Ok(())
    }

    /// `GET /os-floating-ips`: the project's floating IPs.
    pub async fn list_floating_ips(&self, caller: &Caller) -> Result<Vec<Value>> {
        self.authorize_fips(caller, "list", caller.project())?;
        let token = caller.ctx.token.0.as_str();
        let fips = self
            .networks
            .list(
                token,
                &FLOATING_IPS,
                &query(&[("tenant_id", caller.project())]),
            )
            .await
            .map_err(failure)?;
        self.fip_views(token, &fips).await
    }

    /// `GET /os-floating-ips/{id}`.
    pub async fn show_floating_ip(&self, caller: &Caller, id: &str) -> Result<Value> {
        self.authorize_fips(caller, "show", caller.project())?;
        let fip = self.neutron_fip(caller, id).await?;
        Ok(self.fip_views(&caller.ctx.token.0, &[fip]).await?.remove(0))
    }

    /// `POST /os-floating-ips`: a floating IP from `pool` (an external
    /// network's name or id; `[neutron] default_floating_pool` when none).
    pub async fn allocate_floating_ip(&self, caller: &Caller, pool: Option<&str>) -> Result<Value> {
        self.authorize_fips(caller, "create", caller.project())?;
        let token = caller.ctx.token.0.as_str();
        let named = pool.is_some();
        let pool = pool.unwrap_or(&self.cfg.default_floating_pool);
        let key = if uuid::Uuid::parse_str(pool).is_ok() {
            "id"
        } else {
            "name"
        };
        let networks = self
            .networks
            .networks(
                token,
                &query(&[("router:external", "True"), (key, pool), ("fields", "id")]),
            )
            .await
            .map_err(failure)?;
        let network = match networks.as_slice() {
            [network] => network["id"].as_str().unwrap_or_default().to_string(),
            [] => return Err(NovaError::NotFound("Floating IP pool not found.".into())),
            _ => {
                return Err(NovaError::BadRequest(format!(
                    "Multiple floating IP pools matches found for name '{pool}'"
                )))
            }
        };
        let in_pool = |what: &str| {
            if named {
                format!("{what} in pool {pool}.")
            } else {
                format!("{what}.")
            }
        };
        let fip = match self
            .networks
            .create(
                token,
                &FLOATING_IPS,
                json!({ "floating_network_id": network }),
            )
            .await
        {
            Ok(fip) => fip,
            Err(NetworkApiError::Refused { kind, message, .. }) => {
                return Err(match kind.as_str() {
                    "IpAddressGenerationFailure" | "ExternalIpAddressExhausted" => {
                        NovaError::NotFound(if named {
                            in_pool("No more floating IPs")
                        } else {
                            "No more floating IPs available.".into()
                        })
                    }
                    "OverQuota" => NovaError::Forbidden(in_pool("IP allocation over quota")),
                    _ => NovaError::BadRequest(format!("Bad floating IP request: {message}")),
                })
            }
            Err(e) => return Err(failure(e)),
        };
        Ok(self.fip_views(token, &[fip]).await?.remove(0))
    }

    /// `DELETE /os-floating-ips/{id}`: released, and taken off its server.
    pub async fn release_floating_ip(&self, caller: &Caller, id: &str) -> Result<()> {
        self.authorize_fips(caller, "delete", caller.project())?;
        let fip = self.neutron_fip(caller, id).await?;
        match self
            .networks
            .delete(&caller.ctx.token.0, &FLOATING_IPS, id)
            .await
        {
            Ok(()) => {}
            Err(NetworkApiError::NotFound) => return Err(not_found_id(id)),
            Err(NetworkApiError::Refused {
                status: 403,
                message,
                ..
            }) => return Err(NovaError::Forbidden(message)),
            Err(e) => return Err(failure(e)),
        }
        self.refresh_pointed(&fip).await
    }

    /// `addFloatingIp`: the floating IP at `address` pointed at one of the
    /// server's fixed addresses (`fixed`, else its first IPv4 one).
    pub async fn add_floating_ip(
        &self,
        caller: &Caller,
        id: &str,
        address: &str,
        fixed: Option<&str>,
    ) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-floating-ips:add")
            .await?;
        let vifs = parse_vifs(Some(&stored_json(&self.db, &row.uuid).await?));
        if vifs.is_empty() {
            return Err(NovaError::BadRequest(
                "Instance network is not ready yet".into(),
            ));
        }
        let addresses: Vec<(&str, &str)> = vifs
            .iter()
            .flat_map(|v| {
                v.fixed_ips
                    .iter()
                    .map(move |ip| (v.id.as_str(), ip.address.as_str()))
            })
            .collect();
        if addresses.is_empty() {
            return Err(NovaError::BadRequest(
                "No fixed IPs associated to instance".into(),
            ));
        }
        let (port, fixed) = match fixed {
            Some(wanted) => addresses
                .iter()
                .find(|(_, a)| *a == wanted)
                .copied()
                .ok_or_else(|| {
                    NovaError::BadRequest(
                        "Specified fixed address not assigned to instance".into(),
                    )
                })?,
            None => addresses
                .iter()
                .find(|(_, a)| a.parse::<std::net::Ipv4Addr>().is_ok())
                .copied()
                .ok_or_else(|| NovaError::BadRequest(format!("Unable to associate floating IP {address} to any fixed IPs for instance {id}. Instance has no fixed IPv4 addresses to associate.")))?,
        };
        let fip = match self.fip_at(caller, address).await {
            Err(NovaError::NotFound(_)) => {
                return Err(NovaError::NotFound("floating IP not found".into()))
            }
            other => other?,
        };
        let fip_id = fip["id"].as_str().unwrap_or_default();
        match self
            .networks
            .update(
                &caller.ctx.token.0,
                &FLOATING_IPS,
                fip_id,
                json!({"port_id": port, "fixed_ip_address": fixed}),
            )
            .await
        {
            Ok(_) => {}
            Err(NetworkApiError::Refused {
                status: 403,
                message,
                ..
            }) => return Err(NovaError::Forbidden(message)),
            Err(e @ (NetworkApiError::Refused { .. } | NetworkApiError::NotFound)) => {
                return Err(NovaError::BadRequest(format!("Unable to associate floating IP {address} to fixed IP {fixed} for instance {id}. Error: {e}")))
            }
            Err(e) => return Err(failure(e)),
        }
        if fip["port_details"]["device_id"] != row.uuid.as_str() {
            self.refresh_pointed(&fip).await?;
        }
        self.refresh_network_info(&row.uuid).await
    }

    /// `removeFloatingIp`: the floating IP at `address` taken off server
    /// `id`; 409 when it does not point at that server.
    pub async fn remove_floating_ip(&self, caller: &Caller, id: &str, address: &str) -> Result<()> {
        let fip = self.fip_at(caller, address).await?;
        let device = fip["port_details"]["device_id"]
            .as_str()
            .unwrap_or_default();
        let server = instance::Entity::find_by_id(device)
            .one(&self.db)
            .await?
            .filter(|row| !row.deleted);
        let project = server
            .as_ref()
            .map_or(caller.project(), |row| row.project_id.as_str());
        self.authorize_fips(caller, "remove", project)?;
        if server.is_none() || fip["port_id"].is_null() || device != id {
            return Err(NovaError::Conflict(format!(
                "Floating IP {address} is not associated with instance {id}."
            )));
        }
        self.networks
            .update(
                &caller.ctx.token.0,
                &FLOATING_IPS,
                fip["id"].as_str().unwrap_or_default(),
                json!({ "port_id": null }),
            )
            .await
            .map_err(|e| match e {
                NetworkApiError::Refused {
                    status: 403,
                    message,
                    ..
                } => NovaError::Forbidden(message),
                other => failure(other),
            })?;
        self.refresh_network_info(device).await
    }

    /// `GET /os-floating-ip-pools`: the external networks' names.
    pub async fn floating_ip_pools(&self, caller: &Caller) -> Result<Vec<String>> {
        self.authorize(caller, "os_compute_api:os-floating-ip-pools", &json!({}))?;
        let networks = self
            .networks
            .networks(&caller.ctx.token.0, &query(&[("router:external", "True")]))
            .await
            .map_err(failure)?;
        Ok(networks
            .iter()
            .map(|n| match n["name"].as_str() {
                Some(name) if !name.is_empty() => name.to_string(),
                _ => n["id"].as_str().unwrap_or_default().to_string(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floating_ips_look_like_nova_s() {
        let pools = BTreeMap::from([("ext".to_string(), "public".to_string())]);
        let fip = json!({"id": "f", "floating_ip_address": "172.24.4.9",
            "fixed_ip_address": null, "floating_network_id": "ext", "port_details": null});
        assert_eq!(
            view(&fip, &pools),
            json!({"id": "f", "ip": "172.24.4.9", "fixed_ip": null, "instance_id": null, "pool": "public"})
        );
        let pointed = json!({"id": "f", "floating_ip_address": "172.24.4.9",
            "fixed_ip_address": "10.0.0.4", "floating_network_id": "other",
            "port_details": {"device_id": "s"}});
        let view = view(&pointed, &pools);
        assert_eq!(view["instance_id"], "s");
        assert_eq!(view["pool"], "other");
    }
}
