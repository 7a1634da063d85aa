//! Server diagnostics (admin): what the server's host driver sees of its
//! guest, asked of the agent.

use crate::rpc::agent;
use crate::rpc::messages::{Diagnostics, DiagnosticsRequest};

use super::super::{Caller, Nova, NovaError, Result};

impl Nova {
    /// `GET /servers/{id}/diagnostics`: 409 while the server has no guest on
    /// a host.
    pub async fn server_diagnostics(&self, caller: &Caller, id: &str) -> Result<Diagnostics> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-server-diagnostics")
            .await?;
        let not_ready = || NovaError::Conflict(format!("Instance {id} is not ready"));
        let Some(host) = row.host.clone().filter(|_| row.vm_state != "building") else {
            return Err(not_ready());
        };
        let request = DiagnosticsRequest { uuid: row.uuid };
        match self
            .agents
            .call::<agent::GetDiagnostics>(&caller.rpc_context(), Some(&host), &request)
            .await
        {
            Ok(found) => Ok(found),
            Err(ferrostack_rpc::RpcError::Remote(e)) if e.kind == "InstanceNotFound" => {
                Err(not_ready())
            }
            Err(e) => Err(NovaError::Unavailable(format!(
                "The compute host {host} did not answer: {e}"
            ))),
        }
    }
}
