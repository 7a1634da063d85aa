//! A server's interfaces (`os-interface`): its ports as the network API
//! lists them, and ports attached to or detached from a running server
//! through its host's agent, each recorded as an instance action.

use serde_json::Value;

use super::networks::{self, parse_vifs, stored_json, NetworkRequest, Vif};
use super::ops::invalid_state;
use crate::db::entity::instance;
use crate::domain::actions::{self, EventEnd};
use crate::domain::{now, Caller, Nova, NovaError, Result};
use crate::network_api::{query, NetworkApiError};
use crate::rpc::agent;
use crate::rpc::messages::{InterfaceAttach, InterfaceDetach};

/// The states a server's interfaces change in (task state none).
const ATTACHABLE: &[&str] = &["active", "paused", "stopped"];

/// What `POST /os-interface` asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InterfaceRequest {
    pub network_id: Option<String>,
    pub port_id: Option<String>,
    pub fixed_ip: Option<String>,
    pub tag: Option<String>,
}

/// A port of a server with the tag it was attached with.
#[derive(Debug, Clone, PartialEq)]
pub struct Interface {
    pub port: Value,
    pub tag: Option<String>,
}

fn check_state(method: &str, row: &instance::Model) -> Result<()> {
    if !ATTACHABLE.contains(&row.vm_state.as_str()) || row.task_state.is_some() {
        return Err(invalid_state(method, row));
    }
    Ok(())
}

fn no_port(server: &str, port: &str) -> NovaError {
    NovaError::NotFound(format!(
        "Instance {server} does not have a port with id {port}"
    ))
}

impl Nova {
    /// `GET /servers/{id}/os-interface`: the ports whose device is the server.
    pub async fn list_interfaces(&self, caller: &Caller, id: &str) -> Result<Vec<Interface>> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-attach-interfaces:list")
            .await?;
        let tags = parse_vifs(Some(&stored_json(&self.db, &row.uuid).await?));
        let ports = self
            .networks
            .ports(&caller.ctx.token.0, &query(&[("device_id", &row.uuid)]))
            .await
            .map_err(networks::failure)?;
        Ok(ports
            .into_iter()
            .map(|port| Interface {
                tag: tags
                    .iter()
                    .find(|v| port["id"] == v.id.as_str())
                    .and_then(|v| v.tag.clone()),
                port,
            })
            .collect())
    }

    /// `GET /servers/{id}/os-interface/{port_id}`.
    pub async fn show_interface(
        &self,
        caller: &Caller,
        id: &str,
        port_id: &str,
    ) -> Result<Interface> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-attach-interfaces:show")
            .await?;
        let port = match self.networks.port(&caller.ctx.token.0, port_id).await {
            Err(NetworkApiError::NotFound) => {
                return Err(NovaError::NotFound(format!(
                    "Port id {port_id} could not be found."
                )))
            }
            other => other.map_err(networks::failure)?,
        };
        if port["device_id"] != row.uuid.as_str() {
            return Err(no_port(&row.uuid, port_id));
        }
        let tag = parse_vifs(Some(&stored_json(&self.db, &row.uuid).await?))
            .into_iter()
            .find(|v| v.id == port_id)
            .and_then(|v| v.tag);
        Ok(Interface { port, tag })
    }

    /// `POST /servers/{id}/os-interface`: a port (or one on a network, else
    /// on the one network the project may use) attached by the server's
    /// host: the port's id.
    pub async fn attach_interface(
        &self,
        caller: &Caller,
        id: &str,
        request: InterfaceRequest,
    ) -> Result<String> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-attach-interfaces:create")
            .await?;
        Self::check_unlocked(caller, &row)?;
        check_state("attach_interface", &row)?;
        let mut wanted = NetworkRequest {
            network_id: request.network_id.clone(),
            port_id: request.port_id.clone(),
            fixed_ip: request.fixed_ip.clone(),
            tag: request.tag.clone(),
            ..Default::default()
        };
        if wanted.network_id.is_none() && wanted.port_id.is_none() {
            let found = self.resolve_networks(caller, None, 1).await?;
            let Some(only) = found.into_iter().next() else {
                return Err(NovaError::BadRequest(format!(
                    "No specific network was requested and none are available for project '{}'.",
                    caller.project()
                )));
            };
            wanted.network_id = only.network_id;
        } else {
            let requests = super::Networks::Requested(vec![wanted.clone()]);
            self.resolve_networks(caller, Some(&requests), 1)
                .await
                .map_err(|e| match e {
                    // Nova answers 404 for a network or port it cannot find.
                    NovaError::BadRequest(m) if m.ends_with("could not be found.") => {
                        NovaError::NotFound(m)
                    }
                    other => other,
                })?;
        }
        let request_id = self.record_action(caller, &row, "attach_interface").await?;
        let started = now();
        let mut context = caller.rpc_context();
        context.request_id = request_id.clone();
        let host = row.host.clone().unwrap_or_default();
        let attached = self
            .agents
            .call::<agent::AttachInterface>(
                &context,
                Some(&host),
                &InterfaceAttach {
                    uuid: row.uuid.clone(),
                    network_id: wanted.network_id.clone().unwrap_or_default(),
                    port_id: wanted.port_id.clone().unwrap_or_default(),
                    fixed_ip: wanted.fixed_ip.clone().unwrap_or_default(),
                    tag: wanted.tag.clone().unwrap_or_default(),
                    availability_zone: row.availability_zone.clone().unwrap_or_default(),
                },
            )
            .await;
        let failure = attached.as_ref().err().map(|e| match e {
            ferrostack_rpc::RpcError::Remote(remote) => remote.message.clone(),
            other => format!("the compute host {host} is unreachable: {other}"),
        });
        actions::end_event(
            &self.db,
            &EventEnd {
                instance_uuid: &row.uuid,
                request_id: &request_id,
                event: "compute_attach_interface",
                started_at: started,
                failure: failure.as_deref(),
                host: Some(&host),
            },
        )
        .await?;
        if let Some(message) = failure {
            return Err(NovaError::BadRequest(message));
        }
        let vif: Vif = serde_json::from_str(&attached.expect("checked").vif_json)
            .map_err(|e| NovaError::Internal(format!("the agent answered no port: {e}")))?;
        let txn = networks::lock(&self.db, &row.uuid).await?;
        let mut vifs = parse_vifs(Some(&stored_json(&txn, &row.uuid).await?));
        let port_id = vif.id.clone();
        vifs.retain(|v| v.id != port_id);
        vifs.push(vif);
        networks::store(&txn, &row.uuid, &vifs).await?;
        txn.commit().await?;
        Ok(port_id)
    }

    /// `DELETE /servers/{id}/os-interface/{port_id}`: the port unplugged by
    /// the server's host, then deleted or released.
    pub async fn detach_interface(&self, caller: &Caller, id: &str, port_id: &str) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-attach-interfaces:delete")
            .await?;
        Self::check_unlocked(caller, &row)?;
        check_state("detach_interface", &row)?;
        let vifs = parse_vifs(Some(&stored_json(&self.db, &row.uuid).await?));
        let at = vifs
            .iter()
            .position(|v| v.id == port_id)
            .ok_or_else(|| no_port(&row.uuid, port_id))?;
        let request_id = self.record_action(caller, &row, "detach_interface").await?;
        let started = now();
        let mut context = caller.rpc_context();
        context.request_id = request_id.clone();
        let host = row.host.clone().unwrap_or_default();
        let detached = self
            .agents
            .call::<agent::DetachInterface>(
                &context,
                Some(&host),
                &InterfaceDetach {
                    uuid: row.uuid.clone(),
                    vif_json: serde_json::to_string(&vifs[at]).unwrap_or_default(),
                },
            )
            .await;
        let failure = detached.err().map(|e| e.to_string());
        actions::end_event(
            &self.db,
            &EventEnd {
                instance_uuid: &row.uuid,
                request_id: &request_id,
                event: "compute_detach_interface",
                started_at: started,
                failure: failure.as_deref(),
                host: Some(&host),
            },
        )
        .await?;
        if let Some(message) = failure {
            return Err(NovaError::Internal(message));
        }
        let txn = networks::lock(&self.db, &row.uuid).await?;
        let mut vifs = parse_vifs(Some(&stored_json(&txn, &row.uuid).await?));
        vifs.retain(|v| v.id != port_id);
        networks::store(&txn, &row.uuid, &vifs).await?;
        txn.commit().await?;
        Ok(())
    }
}
