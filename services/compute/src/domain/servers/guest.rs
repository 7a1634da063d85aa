//! What is asked of a server's guest through its agent and answered at once:
//! what its console printed (`os-getConsoleOutput`) and a new administrator
//! password (`changePassword`).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::ops::invalid_state;
use crate::db::entity::instance;
use crate::domain::actions::{self, EventEnd};
use crate::domain::{now, Caller, Nova, NovaError, Result};
use crate::rpc::agent;
use crate::rpc::messages::{AdminPassword, ConsoleOutputRequest};

/// The last `length` lines of `output` (all of it without a length), as
/// Nova's compute manager tails a console log.
fn tail(output: &str, length: Option<u64>) -> String {
    match length {
        None => output.to_string(),
        Some(0) => String::new(),
        Some(n) => {
            let lines: Vec<&str> = output.split('\n').collect();
            let from = lines.len().saturating_sub(n as usize);
            lines[from..].join("\n")
        }
    }
}

impl Nova {
    /// `os-getConsoleOutput`: 409 while the server has no guest on a host.
    pub async fn console_output(
        &self,
        caller: &Caller,
        id: &str,
        length: Option<u64>,
    ) -> Result<String> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-console-output")
            .await?;
        let not_ready = || NovaError::Conflict(format!("Instance {id} is not ready"));
        if matches!(row.task_state.as_deref(), Some("deleting" | "migrating")) {
            return Err(invalid_state("get_console_output", &row));
        }
        let Some(host) = row.host.clone().filter(|_| row.vm_state != "building") else {
            return Err(not_ready());
        };
        let request = ConsoleOutputRequest { uuid: row.uuid };
        match self
            .agents
            .call::<agent::GetConsoleOutput>(&caller.rpc_context(), Some(&host), &request)
            .await
        {
            Ok(found) => Ok(tail(&found.output, length)),
            Err(ferrostack_rpc::RpcError::Remote(e)) if e.kind == "InstanceNotFound" => {
                Err(not_ready())
            }
            Err(e) => Err(NovaError::Unavailable(format!(
                "The compute host {host} did not answer: {e}"
            ))),
        }
    }

    /// `changePassword`: set in the running guest by its driver while the
    /// server is `updating_password`.
    pub async fn change_password(&self, caller: &Caller, id: &str, password: &str) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-admin-password")
            .await?;
        Self::check_unlocked(caller, &row)?;
        let claimed = instance::Entity::update_many()
            .col_expr(
                instance::Column::TaskState,
                Expr::value("updating_password"),
            )
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(id))
            .filter(instance::Column::VmState.eq("active"))
            .filter(instance::Column::TaskState.is_null())
            .exec(&self.db)
            .await?;
        if claimed.rows_affected == 0 {
            let now = self
                .server_row(caller, id, "os_compute_api:servers:show")
                .await?;
            return Err(invalid_state("changePassword", &now));
        }
        let request_id = self.record_action(caller, &row, "changePassword").await?;
        let started_at = now();
        let mut context = caller.rpc_context();
        context.request_id = request_id.clone();
        let host = row.host.clone().unwrap_or_default();
        let outcome = self
            .agents
            .call::<agent::SetAdminPassword>(
                &context,
                Some(&host),
                &AdminPassword {
                    uuid: row.uuid.clone(),
                    password: password.to_string(),
                },
            )
            .await;
        instance::Entity::update_many()
            .col_expr(
                instance::Column::TaskState,
                Expr::value(Option::<String>::None),
            )
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(id))
            .filter(instance::Column::TaskState.eq("updating_password"))
            .exec(&self.db)
            .await?;
        let failure = match &outcome {
            Ok(()) => None,
            Err(ferrostack_rpc::RpcError::Remote(e)) if e.kind == "InstancePasswordSetFailed" => {
                Some(format!(
                    "Failed to set admin password on {id} because {}",
                    e.message
                ))
            }
            Err(e) => Some(format!("The compute host {host} did not answer: {e}")),
        };
        actions::end_event(
            &self.db,
            &EventEnd {
                instance_uuid: id,
                request_id: &request_id,
                event: "compute_set_admin_password",
                started_at,
                failure: failure.as_deref(),
                host: row.host.as_deref(),
            },
        )
        .await?;
        match (outcome, failure) {
            (Ok(()), _) => Ok(()),
            (Err(ferrostack_rpc::RpcError::Remote(_)), Some(message)) => {
                Err(NovaError::Conflict(message))
            }
            (Err(_), message) => Err(NovaError::Unavailable(message.unwrap_or_default())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tail;

    #[test]
    fn tails_count_lines() {
        let log = "a\nb\nc";
        assert_eq!(tail(log, None), log);
        assert_eq!(tail(log, Some(0)), "");
        assert_eq!(tail(log, Some(2)), "b\nc");
        assert_eq!(tail(log, Some(10)), log);
    }
}
