//! Instance action records (`os-instance-actions`) and faults, written by the
//! api role when a request starts and by the conductor as the roles report.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use serde_json::json;

use super::{now, Caller, Nova, NovaError, Result};
use crate::db::entity::{instance, instance_action, instance_action_event, instance_fault};

/// Who asked for an action, and in which request.
#[derive(Debug, Clone)]
pub struct ActionStart<'a> {
    pub instance_uuid: &'a str,
    pub request_id: &'a str,
    pub action: &'a str,
    pub project_id: &'a str,
    pub user_id: &'a str,
}

/// Records that `start.action` was asked of a server.
pub async fn start<C: ConnectionTrait>(db: &C, start: &ActionStart<'_>) -> Result<()> {
    let now = now();
    instance_action::Entity::insert(instance_action::ActiveModel {
        instance_uuid: Set(start.instance_uuid.to_string()),
        request_id: Set(start.request_id.to_string()),
        action: Set(start.action.to_string()),
        project_id: Set(start.project_id.to_string()),
        user_id: Set(start.user_id.to_string()),
        start_time: Set(now),
        finish_time: Set(None),
        message: Set(None),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// One finished step of a request's action.
#[derive(Debug, Clone)]
pub struct EventEnd<'a> {
    pub instance_uuid: &'a str,
    pub request_id: &'a str,
    pub event: &'a str,
    pub started_at: chrono::NaiveDateTime,
    pub failure: Option<&'a str>,
    pub host: Option<&'a str>,
}

/// Records a finished event on its request's action and finishes the action
/// (an error marks it `Error`). Without the action there is nothing to record.
pub async fn end_event<C: ConnectionTrait>(db: &C, end: &EventEnd<'_>) -> Result<()> {
    let Some(action) = instance_action::Entity::find()
        .filter(instance_action::Column::InstanceUuid.eq(end.instance_uuid))
        .filter(instance_action::Column::RequestId.eq(end.request_id))
        .order_by_desc(instance_action::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let now = now();
    instance_action_event::Entity::insert(instance_action_event::ActiveModel {
        action_id: Set(action.id),
        event: Set(end.event.to_string()),
        start_time: Set(end.started_at.min(now)),
        finish_time: Set(Some(now)),
        result: Set(Some(
            if end.failure.is_some() {
                "Error"
            } else {
                "Success"
            }
            .into(),
        )),
        traceback: Set(end.failure.map(str::to_string)),
        host: Set(end.host.map(str::to_string)),
        ..Default::default()
    })
    .exec(db)
    .await?;
    let mut update = instance_action::Entity::update_many()
        .col_expr(instance_action::Column::FinishTime, Expr::value(now))
        .col_expr(instance_action::Column::UpdatedAt, Expr::value(now));
    if end.failure.is_some() {
        update = update.col_expr(instance_action::Column::Message, Expr::value("Error"));
    }
    update
        .filter(instance_action::Column::Id.eq(action.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records why a server failed (shown as its `fault` while it is in ERROR).
pub async fn add_fault<C: ConnectionTrait>(
    db: &C,
    instance_uuid: &str,
    code: i32,
    message: &str,
    host: Option<&str>,
) -> Result<()> {
    instance_fault::Entity::insert(instance_fault::ActiveModel {
        instance_uuid: Set(instance_uuid.to_string()),
        code: Set(code),
        message: Set(message.chars().take(255).collect()),
        details: Set(Some(message.to_string())),
        host: Set(host.map(str::to_string)),
        created_at: Set(now()),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// An action with its events.
#[derive(Debug, Clone)]
pub struct ActionRecord {
    pub action: instance_action::Model,
    pub events: Vec<instance_action_event::Model>,
}

impl Nova {
    /// The actions of server `id` (deleted servers included), newest first.
    pub async fn list_actions(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Vec<instance_action::Model>> {
        self.action_server(caller, id, "os_compute_api:os-instance-actions:list")
            .await?;
        Ok(instance_action::Entity::find()
            .filter(instance_action::Column::InstanceUuid.eq(id))
            .order_by_desc(instance_action::Column::StartTime)
            .order_by_desc(instance_action::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// One action of server `id` by its request id, with its events, and
    /// whether the caller may see the events' tracebacks and hosts
    /// (`events`) and their details (`events:details`).
    pub async fn show_action(
        &self,
        caller: &Caller,
        id: &str,
        request_id: &str,
    ) -> Result<(ActionRecord, bool, bool)> {
        let row = self
            .action_server(caller, id, "os_compute_api:os-instance-actions:show")
            .await?;
        let action = instance_action::Entity::find()
            .filter(instance_action::Column::InstanceUuid.eq(id))
            .filter(instance_action::Column::RequestId.eq(request_id))
            .one(&self.db)
            .await?
            .ok_or_else(|| {
                NovaError::NotFound(format!(
                    "Action {request_id} on instance {id} could not be found."
                ))
            })?;
        let events = instance_action_event::Entity::find()
            .filter(instance_action_event::Column::ActionId.eq(action.id))
            .order_by_asc(instance_action_event::Column::Id)
            .all(&self.db)
            .await?;
        let target = json!({"project_id": row.project_id});
        let allowed = |rule: &str| self.authorize(caller, rule, &target).is_ok();
        let events_allowed = allowed("os_compute_api:os-instance-actions:events");
        let details = allowed("os_compute_api:os-instance-actions:events:details");
        Ok((ActionRecord { action, events }, events_allowed, details))
    }

    /// The server (deleted or not) whose actions `caller` asks for.
    async fn action_server(
        &self,
        caller: &Caller,
        id: &str,
        rule: &str,
    ) -> Result<instance::Model> {
        let row = instance::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|r| caller.is_admin || r.project_id == caller.project())
            .ok_or_else(|| NovaError::NotFound(format!("Instance {id} could not be found.")))?;
        self.authorize(caller, rule, &json!({"project_id": row.project_id}))?;
        Ok(row)
    }
}
