//! A server's ports: the networks a create asks for, checked against the
//! network API on the caller's token, the ports the agent creates (or takes)
//! and binds to its host, and the network info kept of them (Nova's
//! `instance_info_caches`) from which `addresses` and `ips` are shown.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::db::entity::instance_network;
use crate::domain::{Caller, Nova, NovaError, Result};
use crate::network_api::{query, NetworkApi, NetworkApiError};

/// One entry of a create's `networks`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NetworkRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The security groups (ids) of the port made for it (none: the network
    /// service's default).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
}

/// An address of a port, with the floating IPs that point at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedIp {
    pub address: String,
    pub version: u8,
    #[serde(default)]
    pub floating: Vec<String>,
}

/// One of a server's ports as compute keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vif {
    /// The port's id.
    pub id: String,
    pub network_id: String,
    /// The network's name (the key of `addresses`).
    pub label: String,
    pub mac: String,
    pub fixed_ips: Vec<FixedIp>,
    /// The port existed before the server: released, not deleted, with it.
    #[serde(default)]
    pub preserve_on_delete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default)]
    pub vif_type: String,
    #[serde(default)]
    pub vif_details: Value,
    /// The host device (`tap` + the port id's first 11 characters).
    pub devname: String,
    /// The names of the port's security groups.
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// The port was `ACTIVE` when the server took it (its plugging is not
    /// awaited); not stored.
    #[serde(default, skip_serializing)]
    pub active: bool,
}

/// The `devname` Neutron's Linux bridge agent expects for a port.
pub fn devname(port_id: &str) -> String {
    format!("tap{}", &port_id[..port_id.len().min(11)])
}

fn ip_version(address: &str) -> u8 {
    if address.contains(':') {
        6
    } else {
        4
    }
}

impl Vif {
    /// The vif of a port as the network API shows it on `network`, with the
    /// floating IPs of a query of the port's floating IPs.
    pub fn of_port(port: &Value, label: &str, floating: &[Value], preserve: bool) -> Vif {
        let id = port["id"].as_str().unwrap_or_default().to_string();
        let fixed_ips = port["fixed_ips"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|ip| ip["ip_address"].as_str())
            .map(|address| FixedIp {
                address: address.to_string(),
                version: ip_version(address),
                floating: floating
                    .iter()
                    .filter(|f| f["port_id"] == port["id"] && f["fixed_ip_address"] == address)
                    .filter_map(|f| f["floating_ip_address"].as_str().map(str::to_string))
                    .collect(),
            })
            .collect();
        Vif {
            devname: devname(&id),
            id,
            network_id: port["network_id"].as_str().unwrap_or_default().to_string(),
            label: label.to_string(),
            mac: port["mac_address"].as_str().unwrap_or_default().to_string(),
            fixed_ips,
            preserve_on_delete: preserve,
            tag: None,
            vif_type: port["binding:vif_type"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            vif_details: port["binding:vif_details"].clone(),
            security_groups: Vec::new(),
            active: port["status"] == "ACTIVE",
        }
    }
}

/// The security groups a server's views show: each name of its ports' once
/// (none when it has no port with one).
pub fn security_groups(vifs: &[Vif]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in vifs.iter().flat_map(|v| &v.security_groups) {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// The names of the security groups of `ports` (ids as the network API
/// lists them), by port id, looked up in one request.
async fn group_names(
    api: &NetworkApi,
    token: &str,
    ports: &[&Value],
) -> std::result::Result<BTreeMap<String, Vec<String>>, NetworkApiError> {
    let ids: Vec<&str> = ports
        .iter()
        .flat_map(|p| p["security_groups"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    let names: BTreeMap<String, String> = if ids.is_empty() {
        BTreeMap::new()
    } else {
        let mut pairs: Vec<(&str, &str)> = ids.iter().map(|id| ("id", *id)).collect();
        pairs.extend([("fields", "id"), ("fields", "name")]);
        api.security_groups(token, &query(&pairs))
            .await?
            .iter()
            .filter_map(|g| {
                Some((
                    g["id"].as_str()?.to_string(),
                    g["name"].as_str()?.to_string(),
                ))
            })
            .collect()
    };
    Ok(ports
        .iter()
        .map(|p| {
            let groups = p["security_groups"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|id| names.get(id).cloned().unwrap_or_else(|| id.to_string()))
                .collect();
            (p["id"].as_str().unwrap_or_default().to_string(), groups)
        })
        .collect())
}

/// `addresses`: each network's fixed, then floating addresses; `extended`
/// (show and detail) with their type and MAC, else (update, rebuild and the
/// `ips` API) version and address only.
pub fn addresses(vifs: &[Vif], extended: bool) -> Value {
    let mut by_label: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for vif in vifs {
        let entries = by_label.entry(&vif.label).or_default();
        let mut add = |address: &str, kind: &str| {
            let mut entry = json!({"version": ip_version(address), "addr": address});
            if extended {
                entry["OS-EXT-IPS:type"] = json!(kind);
                entry["OS-EXT-IPS-MAC:mac_addr"] = json!(vif.mac);
            }
            entries.push(entry);
        };
        for ip in &vif.fixed_ips {
            add(&ip.address, "fixed");
        }
        for floating in vif.fixed_ips.iter().flat_map(|ip| &ip.floating) {
            add(floating, "floating");
        }
    }
    json!(by_label)
}

/// The vifs of a stored network info (none when it is empty or unreadable).
pub fn parse_vifs(network_info: Option<&str>) -> Vec<Vif> {
    network_info
        .and_then(|info| serde_json::from_str(info).ok())
        .unwrap_or_default()
}

/// A network API failure as the server's create or build tells it.
pub fn failure(e: NetworkApiError) -> NovaError {
    match e {
        NetworkApiError::Refused { message, .. } => NovaError::BadRequest(message),
        NetworkApiError::NotFound => NovaError::BadRequest("Not found".into()),
        unavailable => NovaError::Unavailable(unavailable.to_string()),
    }
}

/// Records what a server asked for and its (empty) network info.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    uuid: &str,
    requested: &[NetworkRequest],
) -> Result<()> {
    instance_network::Entity::insert(instance_network::ActiveModel {
        instance_uuid: Set(uuid.to_string()),
        requested: Set(serde_json::to_string(requested).unwrap_or_default()),
        network_info: Set("[]".into()),
    })
    .exec(db)
    .await?;
    Ok(())
}

/// The stored network info of servers, by server.
pub async fn network_infos<C: ConnectionTrait>(
    db: &C,
    uuids: &[String],
) -> Result<BTreeMap<String, Vec<Vif>>> {
    let mut infos = BTreeMap::new();
    for chunk in uuids.chunks(500) {
        for row in instance_network::Entity::find()
            .filter(instance_network::Column::InstanceUuid.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            infos.insert(row.instance_uuid, parse_vifs(Some(&row.network_info)));
        }
    }
    Ok(infos)
}

/// What server `uuid` asked for at create.
pub async fn requested<C: ConnectionTrait>(db: &C, uuid: &str) -> Result<Vec<NetworkRequest>> {
    Ok(instance_network::Entity::find_by_id(uuid)
        .one(db)
        .await?
        .and_then(|row| serde_json::from_str(&row.requested).ok())
        .unwrap_or_default())
}

/// Begins a transaction holding server `uuid`'s network info locked (its
/// row updated first: a row lock on MariaDB and PostgreSQL, the write lock on
/// SQLite) until it ends, so that a read of the network API and the write of
/// what it said are not overtaken by another change of the same server.
pub async fn lock<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    uuid: &str,
) -> Result<DatabaseTransaction> {
    instance_network::Entity::insert(instance_network::ActiveModel {
        instance_uuid: Set(uuid.to_string()),
        requested: Set("[]".into()),
        network_info: Set("[]".into()),
    })
    .on_conflict(
        // MariaDB needs a column to "update" for nothing.
        OnConflict::column(instance_network::Column::InstanceUuid)
            .do_nothing_on([instance_network::Column::InstanceUuid])
            .to_owned(),
    )
    .do_nothing()
    .exec(db)
    .await?;
    let txn = db.begin().await?;
    instance_network::Entity::update_many()
        .col_expr(
            instance_network::Column::NetworkInfo,
            Expr::col(instance_network::Column::NetworkInfo).into(),
        )
        .filter(instance_network::Column::InstanceUuid.eq(uuid))
        .exec(&txn)
        .await?;
    Ok(txn)
}

/// Server `uuid`'s network info as stored ("" when it has none).
pub async fn stored_json<C: ConnectionTrait>(db: &C, uuid: &str) -> Result<String> {
    Ok(instance_network::Entity::find_by_id(uuid)
        .one(db)
        .await?
        .map(|row| row.network_info)
        .filter(|info| info != "[]")
        .unwrap_or_default())
}

/// Replaces server `uuid`'s network info (its row made when it has none).
pub async fn store<C: ConnectionTrait>(db: &C, uuid: &str, vifs: &[Vif]) -> Result<()> {
    let info = serde_json::to_string(vifs).unwrap_or_else(|_| "[]".into());
    instance_network::Entity::insert(instance_network::ActiveModel {
        instance_uuid: Set(uuid.to_string()),
        requested: Set("[]".into()),
        network_info: Set(info),
    })
    .on_conflict(
        OnConflict::column(instance_network::Column::InstanceUuid)
            .update_column(instance_network::Column::NetworkInfo)
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

impl Nova {
    /// Server `id`'s ports, if `caller` may see them under `rule`.
    pub async fn server_vifs(&self, caller: &Caller, id: &str, rule: &str) -> Result<Vec<Vif>> {
        let row = self.server_row(caller, id, rule).await?;
        Ok(parse_vifs(Some(&stored_json(&self.db, &row.uuid).await?)))
    }

    /// Releases the ports of a server deleted here (its host is down or it
    /// never reached one), on the caller's token.
    pub(crate) async fn release_ports_here(&self, caller: &Caller, uuid: &str) -> Result<()> {
        let vifs = parse_vifs(Some(&stored_json(&self.db, uuid).await?));
        deallocate(&self.networks, &caller.ctx.token.0, &vifs).await;
        Ok(())
    }

    /// Puts the security groups a create names (each name or id one of the
    /// project's groups) on the ports it makes; without networks they go
    /// nowhere, as in Nova.
    pub(crate) async fn resolve_security_groups(
        &self,
        caller: &Caller,
        names: &[String],
        requests: &mut [NetworkRequest],
    ) -> Result<()> {
        if names.is_empty() || !requests.iter().any(|r| r.port_id.is_none()) {
            return Ok(());
        }
        let token = caller.ctx.token.0.as_str();
        let groups = self
            .networks
            .security_groups(
                token,
                &query(&[
                    ("project_id", caller.project()),
                    ("fields", "id"),
                    ("fields", "name"),
                ]),
            )
            .await
            .map_err(failure)?;
        let mut ids = Vec::new();
        for wanted in names {
            let by_id = groups.iter().find(|g| g["id"] == wanted.as_str());
            let by_name: Vec<&Value> = groups
                .iter()
                .filter(|g| g["name"] == wanted.as_str())
                .collect();
            let id = match (by_id, by_name.as_slice()) {
                (Some(group), _) | (None, &[group]) => group["id"].as_str().unwrap_or_default(),
                (None, []) => {
                    return Err(NovaError::BadRequest(format!(
                        "Security group {wanted} not found."
                    )))
                }
                (None, _) => {
                    return Err(NovaError::Conflict(format!(
                        "Multiple security groups found matching '{wanted}'. Use an ID to be more specific."
                    )))
                }
            };
            ids.push(id.to_string());
        }
        for request in requests.iter_mut().filter(|r| r.port_id.is_none()) {
            request.security_groups = ids.clone();
        }
        Ok(())
    }

    /// `injectNetworkInfo` (admin): the server's network info read again
    /// from the network service (the fake driver, like libvirt's, has nothing
    /// to inject into a running guest).
    pub async fn inject_network_info(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self
            .server_row(
                caller,
                id,
                "os_compute_api:os-admin-actions:inject_network_info",
            )
            .await?;
        Self::check_unlocked(caller, &row)?;
        if !self.networks.deployed().await.map_err(failure)? {
            return Ok(());
        }
        self.refresh_network_info(&row.uuid).await
    }

    /// Reads server `uuid`'s ports again from the network API on the
    /// service user's token (after a `network-changed` or
    /// `network-vif-deleted` event): addresses and floating IPs as they are
    /// now, what compute knew of each port (taken or made, tag) kept.
    pub(crate) async fn refresh_network_info(&self, uuid: &str) -> Result<()> {
        let token = self.networks.service_token().await.map_err(failure)?;
        let txn = lock(&self.db, uuid).await?;
        let known = parse_vifs(Some(&stored_json(&txn, uuid).await?));
        let ports: Vec<Value> = self
            .networks
            .ports(&token, &query(&[("device_id", uuid)]))
            .await
            .map_err(failure)?
            .into_iter()
            .filter(|p| {
                p["device_owner"]
                    .as_str()
                    .is_some_and(|o| o.starts_with("compute:"))
            })
            .collect();
        let port_ids: Vec<(&str, &str)> = ports
            .iter()
            .filter_map(|p| p["id"].as_str())
            .map(|id| ("port_id", id))
            .collect();
        let floating = if port_ids.is_empty() {
            Vec::new()
        } else {
            self.networks
                .floating_ips(&token, &query(&port_ids))
                .await
                .map_err(failure)?
        };
        let mut groups = group_names(&self.networks, &token, &ports.iter().collect::<Vec<_>>())
            .await
            .map_err(failure)?;
        let mut labels: BTreeMap<String, String> = BTreeMap::new();
        let mut vifs = Vec::new();
        for port in &ports {
            let network = port["network_id"].as_str().unwrap_or_default().to_string();
            if !labels.contains_key(&network) {
                let name = match self.networks.network(&token, &network).await {
                    Ok(n) => n["name"].as_str().unwrap_or_default().to_string(),
                    Err(_) => String::new(),
                };
                labels.insert(network.clone(), name);
            }
            let was = known.iter().find(|v| port["id"] == v.id.as_str());
            let mut vif = Vif::of_port(
                port,
                &labels[&network],
                &floating,
                was.is_some_and(|v| v.preserve_on_delete),
            );
            vif.tag = was.and_then(|v| v.tag.clone());
            vif.security_groups = groups.remove(&vif.id).unwrap_or_default();
            vifs.push(vif);
        }
        // Ports in the order the server got them, new ones last.
        vifs.sort_by_key(|v| {
            known
                .iter()
                .position(|k| k.id == v.id)
                .unwrap_or(usize::MAX)
        });
        store(&txn, uuid, &vifs).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The networks a create asks for, checked on the caller's token: `auto`
    /// (and no `networks` before 2.37) is the one network the project may use,
    /// none when it may use none; more than one is ambiguous (409).
    pub(crate) async fn resolve_networks(
        &self,
        caller: &Caller,
        networks: Option<&super::Networks>,
        max_count: i64,
    ) -> Result<Vec<NetworkRequest>> {
        let token = caller.ctx.token.0.as_str();
        if !matches!(networks, Some(super::Networks::None))
            && !self.networks.deployed().await.map_err(failure)?
        {
            return self.without_network_service(caller, networks);
        }
        let requests = match networks {
            Some(super::Networks::None) => return Ok(Vec::new()),
            Some(super::Networks::Requested(requests)) => requests.clone(),
            Some(super::Networks::Auto) | None => {
                let explicit = networks.is_some();
                return self.auto_network(caller, explicit).await;
            }
        };
        for request in &requests {
            match (&request.port_id, &request.network_id) {
                (Some(port_id), _) => {
                    if max_count > 1 {
                        return Err(NovaError::BadRequest("Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.".into()));
                    }
                    let port = match self.networks.port(token, port_id).await {
                        Err(NetworkApiError::NotFound) => {
                            return Err(NovaError::BadRequest(format!(
                                "Port id {port_id} could not be found."
                            )))
                        }
                        other => other.map_err(failure)?,
                    };
                    if !port["device_id"].as_str().unwrap_or_default().is_empty() {
                        return Err(NovaError::Conflict(format!(
                            "Port {port_id} is still in use."
                        )));
                    }
                }
                (None, Some(network_id)) => {
                    if request.fixed_ip.is_some() && max_count > 1 {
                        return Err(NovaError::BadRequest(
                            "max_count cannot be greater than 1 if an fixed_ip is specified."
                                .into(),
                        ));
                    }
                    match self.networks.network(token, network_id).await {
                        Err(NetworkApiError::NotFound) => {
                            return Err(NovaError::BadRequest(format!(
                                "Network {network_id} could not be found."
                            )))
                        }
                        other => drop(other.map_err(failure)?),
                    }
                }
                (None, None) => {
                    return Err(NovaError::BadRequest(
                        "Bad network format: missing 'uuid'".into(),
                    ))
                }
            }
        }
        Ok(requests)
    }

    /// A cloud without a network service: servers get no ports, and asking
    /// for any fails as Nova's checks would.
    fn without_network_service(
        &self,
        caller: &Caller,
        networks: Option<&super::Networks>,
    ) -> Result<Vec<NetworkRequest>> {
        match networks {
            Some(super::Networks::Auto) => Err(NovaError::BadRequest(format!(
                "Unable to automatically allocate a network for project {}",
                caller.project()
            ))),
            Some(super::Networks::Requested(requests)) => {
                let first = requests.first().cloned().unwrap_or_default();
                Err(NovaError::BadRequest(match first.port_id {
                    Some(port) => format!("Port id {port} could not be found."),
                    None => format!(
                        "Network {} could not be found.",
                        first.network_id.unwrap_or_default()
                    ),
                }))
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The networks `auto` means: the project's own networks, else the
    /// shared ones, not external.
    async fn auto_network(&self, caller: &Caller, explicit: bool) -> Result<Vec<NetworkRequest>> {
        let token = caller.ctx.token.0.as_str();
        let project = caller.project();
        let mut found = self
            .networks
            .networks(
                token,
                &query(&[("tenant_id", project), ("router:external", "false")]),
            )
            .await
            .map_err(failure)?;
        if found.is_empty() {
            found = self
                .networks
                .networks(
                    token,
                    &query(&[("shared", "true"), ("router:external", "false")]),
                )
                .await
                .map_err(failure)?;
        }
        match found.as_slice() {
            [] if explicit => Err(NovaError::BadRequest(format!(
                "Unable to automatically allocate a network for project {project}"
            ))),
            [] => Ok(Vec::new()),
            [one] => Ok(vec![NetworkRequest {
                network_id: one["id"].as_str().map(str::to_string),
                ..Default::default()
            }]),
            _ => Err(NovaError::Conflict(
                "Multiple possible networks found, use a Network ID to be more specific.".into(),
            )),
        }
    }
}

/// Creates (or takes) and binds a server's ports on `host`: the vifs, or
/// why not, with every port it created deleted again.
pub async fn allocate(
    api: &NetworkApi,
    token: &str,
    server: (&str, &str, &str),
    requests: &[NetworkRequest],
) -> std::result::Result<Vec<Vif>, String> {
    let mut vifs = Vec::new();
    for request in requests {
        match allocate_one(api, token, server, request).await {
            Ok(vif) => vifs.push(vif),
            Err(e) => {
                deallocate(api, token, &vifs).await;
                return Err(e);
            }
        }
    }
    Ok(vifs)
}

/// One request's port; `server` is (uuid, host, zone).
async fn allocate_one(
    api: &NetworkApi,
    token: &str,
    (uuid, host, zone): (&str, &str, &str),
    request: &NetworkRequest,
) -> std::result::Result<Vif, String> {
    let message = |e: NetworkApiError| e.to_string();
    let (port_id, preserve) = match (&request.port_id, &request.network_id) {
        (Some(port_id), _) => (port_id.clone(), true),
        (None, Some(network_id)) => {
            let mut port = json!({"network_id": network_id, "device_id": uuid,
                "device_owner": format!("compute:{zone}")});
            if let Some(ip) = &request.fixed_ip {
                port["fixed_ips"] = json!([{ "ip_address": ip }]);
            }
            if !request.security_groups.is_empty() {
                port["security_groups"] = json!(request.security_groups);
            }
            let made = api.create_port(token, port).await.map_err(message)?;
            (made["id"].as_str().unwrap_or_default().to_string(), false)
        }
        (None, None) => return Err("a network request names neither network nor port".into()),
    };
    let bound = async {
        let admin = api.service_token().await?;
        api.update_port(
            &admin,
            &port_id,
            json!({"device_id": uuid, "device_owner": format!("compute:{zone}"),
                "binding:host_id": host}),
        )
        .await
    }
    .await;
    let port = match bound {
        Ok(port) if port["binding:vif_type"] != "binding_failed" => port,
        failed => {
            if !preserve {
                let _ = api.delete_port(token, &port_id).await;
            }
            return Err(match failed {
                Err(e) => e.to_string(),
                Ok(_) => format!("Binding failed for port {port_id}, please check neutron logs for more information."),
            });
        }
    };
    let network = port["network_id"].as_str().unwrap_or_default();
    let label = api
        .network(token, network)
        .await
        .map(|n| n["name"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    let mut vif = Vif::of_port(&port, &label, &[], preserve);
    vif.tag = request.tag.clone();
    vif.security_groups = group_names(api, token, &[&port])
        .await
        .map_err(message)?
        .remove(&vif.id)
        .unwrap_or_default();
    Ok(vif)
}

/// Deletes the ports a server made and releases the ones it took (device,
/// owner and binding cleared); failures are logged, as Nova does.
pub async fn deallocate(api: &NetworkApi, token: &str, vifs: &[Vif]) {
    for vif in vifs {
        let outcome = if vif.preserve_on_delete {
            match api.service_token().await {
                Ok(admin) => api
                    .update_port(
                        &admin,
                        &vif.id,
                        json!({"device_id": "", "device_owner": "", "binding:host_id": null}),
                    )
                    .await
                    .map(drop)
                    .or_else(|e| match e {
                        NetworkApiError::NotFound => Ok(()),
                        other => Err(other),
                    }),
                Err(e) => Err(e),
            }
        } else {
            api.delete_port(token, &vif.id).await
        };
        if let Err(e) = outcome {
            tracing::warn!(port = vif.id, "port not released: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_group_fixed_then_floating_by_network() {
        let port = json!({"id": "0123456789abcdef", "network_id": "n", "mac_address": "fa:16:3e:00:00:01",
            "fixed_ips": [{"ip_address": "10.0.0.5"}, {"ip_address": "fd00::5"}]});
        let floating = [
            json!({"port_id": "0123456789abcdef", "fixed_ip_address": "10.0.0.5",
            "floating_ip_address": "172.24.4.9"}),
        ];
        let vif = Vif::of_port(&port, "private", &floating, false);
        assert_eq!(vif.devname, "tap0123456789a");
        let shown = addresses(std::slice::from_ref(&vif), true);
        let private = shown["private"].as_array().unwrap();
        assert_eq!(private.len(), 3);
        assert_eq!(private[0]["addr"], "10.0.0.5");
        assert_eq!(private[0]["version"], 4);
        assert_eq!(private[1]["version"], 6);
        assert_eq!(private[2]["OS-EXT-IPS:type"], "floating");
        assert_eq!(private[2]["OS-EXT-IPS-MAC:mac_addr"], "fa:16:3e:00:00:01");
        let plain = addresses(&[vif], false);
        assert_eq!(
            plain["private"][2],
            json!({"version": 4, "addr": "172.24.4.9"})
        );
    }

    #[test]
    fn unreadable_network_info_is_no_ports() {
        assert!(parse_vifs(Some("not json")).is_empty());
        assert!(parse_vifs(None).is_empty());
    }
}
