//! Remote consoles (`remote-consoles`, the 2.1–2.5 `os-get*Console` actions)
//! and their tokens (`os-console-auth-tokens`). The server's agent says where
//! its console listens and which proxy hands it out; the api keeps the token's
//! SHA-256 with that endpoint for `token_ttl` and gives the token back inside
//! the proxy's URL.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::servers::ops::invalid_state;
use super::{now, Caller, Nova, NovaError, Result};
use crate::db::entity::console_auth_token as token_row;
use crate::rpc::agent;
use crate::rpc::messages::ConsoleRequest;

/// What a console token opens (`os-console-auth-tokens`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleConnectInfo {
    pub instance_uuid: String,
    pub console_type: String,
    pub host: String,
    pub port: i64,
    pub tls_port: Option<i64>,
    pub internal_access_path: Option<String>,
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The URL a console's token is handed out in: noVNC's inside the `path`
/// query parameter (noVNC 1.1 reads only that), every other as `?token=`.
fn access_url(console_type: &str, base: &str, token: &str) -> String {
    if console_type != "novnc" {
        return format!("{base}?token={token}");
    }
    let (page, query) = base.split_once('?').unwrap_or((base, ""));
    let mut params: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    match params.iter_mut().find(|(name, _)| name == "path") {
        Some((_, path)) => *path = format!("{path}?token={token}"),
        None => params.push(("path".into(), format!("?token={token}"))),
    }
    let query = serde_urlencoded::to_string(&params).unwrap_or_default();
    format!("{page}?{query}")
}

/// Drops the tokens of a server's consoles (deleted, offloaded or moved away
/// from the host its tokens point at).
pub async fn forget_tokens<C: ConnectionTrait>(db: &C, instance_uuid: &str) -> Result<()> {
    token_row::Entity::delete_many()
        .filter(token_row::Column::InstanceUuid.eq(instance_uuid))
        .exec(db)
        .await?;
    Ok(())
}

impl Nova {
    /// A URL to a server's console of `protocol`, with a new token.
    pub async fn remote_console(
        &self,
        caller: &Caller,
        id: &str,
        protocol: &str,
        console_type: &str,
    ) -> Result<String> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-remote-consoles")
            .await?;
        if protocol == "rdp" {
            // Only Hyper-V had RDP consoles (gone from Nova since 29.0.0).
            return Err(NovaError::BadRequest(
                "Unavailable console type rdp.".into(),
            ));
        }
        let not_ready = || NovaError::Conflict(format!("Instance {id} is not ready"));
        let Some(host) = row.host.clone() else {
            return Err(not_ready());
        };
        if matches!(row.task_state.as_deref(), Some("deleting" | "migrating")) {
            return Err(invalid_state(&format!("get_{protocol}_console"), &row));
        }
        let request = ConsoleRequest {
            uuid: row.uuid.clone(),
            protocol: protocol.into(),
            console_type: console_type.into(),
        };
        let console = match self
            .agents
            .call::<agent::GetConsole>(&caller.rpc_context(), Some(&host), &request)
            .await
        {
            Ok(console) => console,
            Err(ferrostack_rpc::RpcError::Remote(e)) => {
                return Err(match e.kind.as_str() {
                    "ConsoleTypeUnavailable" | "ConsoleTypeInvalid" => {
                        NovaError::BadRequest(e.message)
                    }
                    "NotImplemented" => NovaError::NotImplemented(e.message),
                    _ if row.vm_state == "building" => not_ready(),
                    _ => NovaError::NotFound(format!("Instance {id} could not be found.")),
                })
            }
            Err(e) => {
                return Err(NovaError::Unavailable(format!(
                    "The compute host {host} did not answer: {e}"
                )))
            }
        };
        let token = uuid::Uuid::new_v4().to_string();
        let issued = chrono::Utc::now().timestamp();
        token_row::Entity::delete_many()
            .filter(token_row::Column::Expires.lte(issued))
            .exec(&self.db)
            .await?;
        let url = access_url(console_type, &console.access_url_base, &token);
        token_row::ActiveModel {
            token_hash: Set(token_hash(&token)),
            console_type: Set(console_type.into()),
            host: Set(console.host),
            port: Set(console.port.into()),
            tls_port: Set(console.tls_port.map(i64::from)),
            internal_access_path: Set(console.internal_access_path),
            access_url_base: Set(console.access_url_base),
            instance_uuid: Set(row.uuid),
            expires: Set(issued + self.cfg.console_token_ttl.as_secs() as i64),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(url)
    }

    /// What an unexpired console token opens (admins only).
    pub async fn console_connection(
        &self,
        caller: &Caller,
        token: &str,
    ) -> Result<ConsoleConnectInfo> {
        self.authorize(caller, "os_compute_api:os-console-auth-tokens", &json!({}))?;
        let found = token_row::Entity::find()
            .filter(token_row::Column::TokenHash.eq(token_hash(token)))
            .filter(token_row::Column::Expires.gt(chrono::Utc::now().timestamp()))
            .one(&self.db)
            .await?
            .ok_or_else(|| NovaError::NotFound("Token not found".into()))?;
        Ok(ConsoleConnectInfo {
            instance_uuid: found.instance_uuid,
            console_type: found.console_type,
            host: found.host,
            port: found.port,
            tls_port: found.tls_port,
            internal_access_path: found.internal_access_path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn novnc_carries_its_token_in_the_path_parameter() {
        assert_eq!(
            access_url("novnc", "http://127.0.0.1:6080/vnc_auto.html", "t-1"),
            "http://127.0.0.1:6080/vnc_auto.html?path=%3Ftoken%3Dt-1"
        );
        assert_eq!(
            access_url(
                "novnc",
                "https://proxy/vnc_lite.html?path=websockify&a=b",
                "t"
            ),
            "https://proxy/vnc_lite.html?path=websockify%3Ftoken%3Dt&a=b"
        );
    }

    #[test]
    fn other_consoles_carry_it_as_a_token_parameter() {
        assert_eq!(
            access_url("serial", "ws://127.0.0.1:6083/", "t"),
            "ws://127.0.0.1:6083/?token=t"
        );
    }

    #[test]
    fn only_a_hash_of_the_token_is_kept() {
        let hash = token_hash("abc");
        assert_eq!(hash.len(), 64);
        assert_eq!(
            hash,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
