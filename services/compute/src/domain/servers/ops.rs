//! What changes a server's state: delete, the power actions (stop, start,
//! reboot, pause, unpause, suspend, resume) and lock/unlock. Each checks the
//! server's vm_state and task_state as Nova does (409 otherwise), claims the
//! server with its task_state in one conditional update, records an instance
//! action and casts the operation to the server's agent.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::agent::BINARY as COMPUTE;
use crate::db::entity::{allocation, instance, service_record};
use crate::domain::actions::{self, ActionStart};
use crate::domain::{now, Caller, Nova, NovaError, Result};
use crate::rpc::agent;
use crate::rpc::messages::InstanceOp;

/// A power action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerOp {
    Start,
    Stop,
    RebootSoft,
    RebootHard,
    Pause,
    Unpause,
    Suspend,
    Resume,
    Unrescue,
}

struct OpRule {
    /// The method name Nova's conflict messages use, and the action's name.
    method: &'static str,
    policy: &'static str,
    vm_states: &'static [&'static str],
    task_state: &'static str,
    /// The agent's name of the operation.
    agent_op: &'static str,
}

impl ServerOp {
    fn rule(self) -> OpRule {
        let (method, policy, vm_states, task_state, agent_op): (_, _, &'static [&str], _, _) =
            match self {
                ServerOp::Start => (
                    "start",
                    "servers:start",
                    &["stopped"],
                    "powering-on",
                    "start",
                ),
                ServerOp::Stop => (
                    "stop",
                    "servers:stop",
                    &["active", "error"],
                    "powering-off",
                    "stop",
                ),
                ServerOp::RebootSoft => (
                    "reboot",
                    "servers:reboot",
                    &["active"],
                    "rebooting",
                    "reboot_soft",
                ),
                ServerOp::RebootHard => (
                    "reboot",
                    "servers:reboot",
                    &["active", "stopped", "paused", "suspended", "error"],
                    "rebooting_hard",
                    "reboot_hard",
                ),
                ServerOp::Pause => (
                    "pause",
                    "os-pause-server:pause",
                    &["active"],
                    "pausing",
                    "pause",
                ),
                ServerOp::Unpause => (
                    "unpause",
                    "os-pause-server:unpause",
                    &["paused"],
                    "unpausing",
                    "unpause",
                ),
                ServerOp::Suspend => (
                    "suspend",
                    "os-suspend-server:suspend",
                    &["active"],
                    "suspending",
                    "suspend",
                ),
                ServerOp::Resume => (
                    "resume",
                    "os-suspend-server:resume",
                    &["suspended"],
                    "resuming",
                    "resume",
                ),
                ServerOp::Unrescue => (
                    "unrescue",
                    "os-unrescue",
                    &["rescued"],
                    "unrescuing",
                    "unrescue",
                ),
            };
        OpRule {
            method,
            policy,
            vm_states,
            task_state,
            agent_op,
        }
    }
}

/// What lock asks for (2.73: a reason).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LockRequest {
    pub reason: Option<String>,
}

pub(crate) fn invalid_state(method: &str, row: &instance::Model) -> NovaError {
    let (attr, state) = match &row.task_state {
        Some(task) => ("task_state", task.as_str()),
        None => ("vm_state", row.vm_state.as_str()),
    };
    NovaError::Conflict(format!(
        "Cannot '{method}' instance {} while it is in {attr} {state}",
        row.uuid
    ))
}

fn locked(row: &instance::Model) -> NovaError {
    NovaError::Conflict(format!("Instance {} is locked", row.uuid))
}

impl Nova {
    fn request_id(caller: &Caller) -> String {
        caller
            .request_id
            .as_ref()
            .map(|r| r.local.clone())
            .unwrap_or_else(|| format!("req-{}", uuid::Uuid::new_v4()))
    }

    pub(crate) async fn record_action(
        &self,
        caller: &Caller,
        row: &instance::Model,
        action: &str,
    ) -> Result<String> {
        let request_id = Self::request_id(caller);
        actions::start(
            &self.db,
            &ActionStart {
                instance_uuid: &row.uuid,
                request_id: &request_id,
                action,
                project_id: caller.project(),
                user_id: &caller.ctx.user_id,
            },
        )
        .await?;
        Ok(request_id)
    }

    /// Refuses a non-admin's change to a locked server (Nova's 409).
    pub(crate) fn check_unlocked(caller: &Caller, row: &instance::Model) -> Result<()> {
        if row.locked && !caller.is_admin {
            return Err(locked(row));
        }
        Ok(())
    }

    /// Whether the agent of `host` is up and not forced down (a down host's
    /// servers are deleted locally, as Nova does).
    pub(crate) async fn host_up(&self, host: &str) -> Result<bool> {
        let forced_down = service_record::Entity::find()
            .filter(service_record::Column::Host.eq(host))
            .filter(service_record::Column::Binary.eq(COMPUTE))
            .one(&self.db)
            .await?
            .is_some_and(|r| r.forced_down);
        if forced_down {
            return Ok(false);
        }
        Ok(
            ferrostack_db::service_registry::list(&self.db, self.cfg.service_down_time)
                .await?
                .iter()
                .any(|s| s.binary == COMPUTE && s.host == host && s.up),
        )
    }

    /// Casts `op` for server `row` to its agent.
    pub(super) async fn cast_op(
        &self,
        caller: &Caller,
        row: &instance::Model,
        op: &str,
        request_id: String,
    ) -> Result<()> {
        let host = row.host.clone().unwrap_or_default();
        let mut context = caller.rpc_context();
        context.request_id = request_id;
        let (volumes, vifs_json) = if op == "delete" {
            (
                crate::domain::volume_attachments::to_release(&self.db, &row.uuid).await?,
                super::networks::stored_json(&self.db, &row.uuid).await?,
            )
        } else {
            (Vec::new(), String::new())
        };
        self.agents
            .cast::<agent::Operate>(
                &context,
                Some(&host),
                &InstanceOp {
                    uuid: row.uuid.clone(),
                    op: op.into(),
                    volumes,
                    vifs_json,
                },
            )
            .await
            .map_err(|e| {
                NovaError::Internal(format!("the compute host {host} is unreachable: {e}"))
            })
    }

    /// A power action on server `id`.
    pub async fn server_op(&self, caller: &Caller, id: &str, op: ServerOp) -> Result<()> {
        let rule = op.rule();
        let row = self
            .server_row(caller, id, &format!("os_compute_api:{}", rule.policy))
            .await?;
        Self::check_unlocked(caller, &row)?;
        if !rule.vm_states.contains(&row.vm_state.as_str()) || row.task_state.is_some() {
            return Err(invalid_state(rule.method, &row));
        }
        let claimed = instance::Entity::update_many()
            .col_expr(instance::Column::TaskState, Expr::value(rule.task_state))
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(id))
            .filter(instance::Column::VmState.is_in(rule.vm_states.iter().copied()))
            .filter(instance::Column::TaskState.is_null())
            .exec(&self.db)
            .await?;
        if claimed.rows_affected == 0 {
            let now = self
                .server_row(caller, id, "os_compute_api:servers:show")
                .await?;
            return Err(invalid_state(rule.method, &now));
        }
        let request_id = self.record_action(caller, &row, rule.method).await?;
        self.cast_op(caller, &row, rule.agent_op, request_id).await
    }

    /// `rescue`: the server booted from a rescue image (its own by default)
    /// with a new administrator password, which is returned.
    pub async fn rescue_server(
        &self,
        caller: &Caller,
        id: &str,
        password: Option<String>,
        image: Option<String>,
    ) -> Result<String> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-rescue")
            .await?;
        Self::check_unlocked(caller, &row)?;
        const RESCUABLE: &[&str] = &["active", "stopped", "error"];
        if !RESCUABLE.contains(&row.vm_state.as_str()) || row.task_state.is_some() {
            return Err(invalid_state("rescue", &row));
        }
        if let Some(image) = &image {
            self.images
                .find(&caller.ctx.token.0, image)
                .await
                .map_err(|_| NovaError::BadRequest(format!("Image {image} could not be found.")))?;
        }
        let claimed = instance::Entity::update_many()
            .col_expr(instance::Column::TaskState, Expr::value("rescuing"))
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(id))
            .filter(instance::Column::VmState.is_in(RESCUABLE.iter().copied()))
            .filter(instance::Column::TaskState.is_null())
            .exec(&self.db)
            .await?;
        if claimed.rows_affected == 0 {
            return Err(invalid_state("rescue", &row));
        }
        let request_id = self.record_action(caller, &row, "rescue").await?;
        self.cast_op(caller, &row, "rescue", request_id).await?;
        Ok(password.unwrap_or_else(super::create::generate_password))
    }

    /// `DELETE /servers/{id}`: on its host through the agent, or here when it
    /// never reached a host or its host is down; with
    /// `reclaim_instance_interval`, a server on a host is only soft-deleted
    /// (powered off, restorable until reclaimed).
    pub async fn delete_server(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:servers:delete")
            .await?;
        Self::check_unlocked(caller, &row)?;
        let on_host = match &row.host {
            Some(host) => self.host_up(host).await?,
            None => false,
        };
        let soft = self.cfg.reclaim_instance_interval.is_some()
            && on_host
            && row.vm_state != "soft-delete";
        if soft {
            return self.soft_delete(caller, &row).await;
        }
        self.hard_delete(caller, &row, on_host).await
    }

    async fn soft_delete(&self, caller: &Caller, row: &instance::Model) -> Result<()> {
        let claimed = instance::Entity::update_many()
            .col_expr(instance::Column::TaskState, Expr::value("soft-deleting"))
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(&row.uuid))
            .filter(instance::Column::TaskState.is_null())
            .exec(&self.db)
            .await?;
        if claimed.rows_affected == 0 {
            return Err(invalid_state("delete", row));
        }
        let request_id = self.record_action(caller, row, "delete").await?;
        self.cast_op(caller, row, "soft_delete", request_id).await
    }

    /// `forceDelete`: deleted at once, in whatever state (soft-deleted or not).
    pub async fn force_delete(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-deferred-delete:force")
            .await?;
        Self::check_unlocked(caller, &row)?;
        let on_host = match &row.host {
            Some(host) => self.host_up(host).await?,
            None => false,
        };
        self.hard_delete(caller, &row, on_host).await
    }

    /// `restore`: a soft-deleted server powered on again.
    pub async fn restore_server(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-deferred-delete:restore")
            .await?;
        Self::check_unlocked(caller, &row)?;
        let claimed = instance::Entity::update_many()
            .col_expr(instance::Column::TaskState, Expr::value("restoring"))
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(id))
            .filter(instance::Column::VmState.eq("soft-delete"))
            .filter(instance::Column::TaskState.is_null())
            .exec(&self.db)
            .await?;
        if claimed.rows_affected == 0 {
            return Err(invalid_state("restore", &row));
        }
        let request_id = self.record_action(caller, &row, "restore").await?;
        self.cast_op(caller, &row, "restore", request_id).await
    }

    async fn hard_delete(
        &self,
        caller: &Caller,
        row: &instance::Model,
        on_host: bool,
    ) -> Result<()> {
        let id = row.uuid.as_str();
        let request_id = self.record_action(caller, row, "delete").await?;
        if on_host {
            instance::Entity::update_many()
                .col_expr(instance::Column::TaskState, Expr::value("deleting"))
                .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
                .filter(instance::Column::Uuid.eq(id))
                .exec(&self.db)
                .await?;
            return self.cast_op(caller, row, "delete", request_id).await;
        }
        self.release_volumes_here(caller, id).await?;
        self.release_ports_here(caller, id).await?;
        self.delete_locally(id).await
    }

    /// Marks a server deleted and gives back what it holds.
    async fn delete_locally(&self, id: &str) -> Result<()> {
        let now = now();
        instance::Entity::update_many()
            .col_expr(instance::Column::VmState, Expr::value("deleted"))
            .col_expr(
                instance::Column::TaskState,
                Expr::value(Option::<String>::None),
            )
            .col_expr(instance::Column::PowerState, Expr::value(0))
            .col_expr(instance::Column::Deleted, Expr::value(true))
            .col_expr(instance::Column::DeletedAt, Expr::value(now))
            .col_expr(instance::Column::TerminatedAt, Expr::value(now))
            .col_expr(instance::Column::UpdatedAt, Expr::value(now))
            .filter(instance::Column::Uuid.eq(id))
            .exec(&self.db)
            .await?;
        allocation::Entity::delete_many()
            .filter(allocation::Column::ConsumerUuid.eq(id))
            .exec(&self.db)
            .await?;
        crate::domain::consoles::forget_tokens(&self.db, id).await
    }

    /// `lock` (2.73 with a reason).
    pub async fn lock_server(&self, caller: &Caller, id: &str, request: LockRequest) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-lock-server:lock")
            .await?;
        let locked_by = if row.project_id == caller.project() {
            "owner"
        } else {
            "admin"
        };
        instance::Entity::update_many()
            .col_expr(instance::Column::Locked, Expr::value(true))
            .col_expr(instance::Column::LockedBy, Expr::value(locked_by))
            .col_expr(instance::Column::LockedReason, Expr::value(request.reason))
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(id))
            .exec(&self.db)
            .await?;
        self.record_action(caller, &row, "lock").await?;
        Ok(())
    }

    /// `unlock`: an admin's lock only an admin may lift.
    pub async fn unlock_server(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-lock-server:unlock")
            .await?;
        if row.locked_by.as_deref() == Some("admin") {
            self.authorize(
                caller,
                "os_compute_api:os-lock-server:unlock:unlock_override",
                &serde_json::json!({"project_id": row.project_id}),
            )?;
        }
        instance::Entity::update_many()
            .col_expr(instance::Column::Locked, Expr::value(false))
            .col_expr(
                instance::Column::LockedBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                instance::Column::LockedReason,
                Expr::value(Option::<String>::None),
            )
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(id))
            .exec(&self.db)
            .await?;
        self.record_action(caller, &row, "unlock").await?;
        Ok(())
    }
}
