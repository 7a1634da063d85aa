//! The attach flow before the attachments API, as volume actions nova and
//! older clients still send: os-reserve, os-unreserve, os-initialize_connection,
//! os-attach, os-begin_detaching, os-roll_detaching, os-detach,
//! os-terminate_connection.

use crate::rpc::messages::{ConnectionInfo, ConnectionRequest};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use super::actions::Outcome;
use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::{attachment, volume};
use crate::rpc;

fn invalid(volume: &volume::Model, wanted: &str, action: &str) -> CinderError {
    CinderError::BadRequest(format!(
        "Invalid volume: Volume {} status must be {wanted} to {action}, currently {}.",
        volume.id, volume.status
    ))
}

impl Cinder {
    /// Runs a legacy attach action; `None` when `name` is not one.
    pub(crate) async fn legacy_attach(
        &self,
        caller: &Caller,
        id: &str,
        name: &str,
        args: &Value,
    ) -> Result<Option<Outcome>> {
        const LEGACY: &[&str] = &[
            "os-reserve",
            "os-unreserve",
            "os-begin_detaching",
            "os-roll_detaching",
            "os-initialize_connection",
            "os-terminate_connection",
            "os-attach",
            "os-detach",
        ];
        if !LEGACY.contains(&name) {
            return Ok(None);
        }
        let volume = self.show_volume(caller, id).await?;
        self.authorize(
            caller,
            &format!("volume_extension:volume_actions:{}", &name[3..]),
            &volume,
        )?;
        let transitions: &[(&str, &[&str], &str)] = &[
            ("os-reserve", &["available"], "attaching"),
            ("os-unreserve", &["attaching"], "available"),
            ("os-begin_detaching", &["in-use"], "detaching"),
            ("os-roll_detaching", &["detaching"], "in-use"),
        ];
        if let Some((action, from, to)) = transitions.iter().find(|(a, _, _)| *a == name) {
            let volume = self.show_volume(caller, id).await?;
            if name == "os-reserve" {
                super::migrate::refuse_while_migrating(&volume, "be attached")?;
            }
            if !self.set_volume_status(id, from, to).await? {
                return Err(invalid(
                    &volume,
                    &from.join(" or "),
                    action.trim_start_matches("os-"),
                ));
            }
            return Ok(Some(Outcome::Accepted(None)));
        }
        match name {
            "os-initialize_connection" => {
                let info = self.legacy_connection(caller, id, args, true).await?;
                Ok(Some(Outcome::Done(Some(json!({"connection_info": info})))))
            }
            "os-terminate_connection" => {
                self.legacy_connection(caller, id, args, false).await?;
                Ok(Some(Outcome::Accepted(None)))
            }
            "os-attach" => {
                let volume = self.show_volume(caller, id).await?;
                let row = attachment::Model {
                    id: uuid::Uuid::new_v4().to_string(),
                    volume_id: id.to_string(),
                    project_id: volume.project_id.clone(),
                    instance_uuid: args
                        .get("instance_uuid")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    status: "attached".into(),
                    attach_mode: args
                        .get("mode")
                        .and_then(Value::as_str)
                        .unwrap_or("rw")
                        .to_string(),
                    connector: None,
                    connection_info: None,
                    attached_at: Some(chrono::Utc::now().naive_utc()),
                    detached_at: None,
                    created_at: chrono::Utc::now().naive_utc(),
                };
                if !self
                    .set_volume_status(id, &["attaching", "available", "in-use"], "in-use")
                    .await?
                {
                    return Err(invalid(&volume, "attaching", "attach"));
                }
                attachment::Entity::insert(attachment::ActiveModel::from(row))
                    .exec(&self.db)
                    .await?;
                Ok(Some(Outcome::Accepted(None)))
            }
            "os-detach" => {
                let volume = self.show_volume(caller, id).await?;
                let mut query =
                    attachment::Entity::delete_many().filter(attachment::Column::VolumeId.eq(id));
                if let Some(attachment_id) = args.get("attachment_id").and_then(Value::as_str) {
                    query = query.filter(attachment::Column::Id.eq(attachment_id));
                }
                query.exec(&self.db).await?;
                let left = attachment::Entity::find()
                    .filter(attachment::Column::VolumeId.eq(id))
                    .all(&self.db)
                    .await?;
                let to = if left.is_empty() {
                    "available"
                } else {
                    "in-use"
                };
                if !self
                    .set_volume_status(id, &["detaching", "in-use"], to)
                    .await?
                {
                    return Err(invalid(&volume, "detaching or in-use", "detach"));
                }
                Ok(Some(Outcome::Accepted(None)))
            }
            _ => Ok(None),
        }
    }

    /// initialize_connection (or, not `initialize`, terminate_connection)
    /// through the volume's manager.
    async fn legacy_connection(
        &self,
        caller: &Caller,
        id: &str,
        args: &Value,
        initialize: bool,
    ) -> Result<Value> {
        let volume = self.show_volume(caller, id).await?;
        let connector = args
            .get("connector")
            .filter(|c| c.is_object())
            .ok_or_else(|| CinderError::BadRequest("Must specify 'connector'".into()))?;
        let host = volume.host.clone().ok_or_else(|| {
            CinderError::BadRequest(format!("Invalid volume: Volume {id} has no backend."))
        })?;
        let ask = ConnectionRequest {
            volume_id: id.to_string(),
            host: host.clone(),
            connector_json: connector.to_string(),
        };
        let context = caller.rpc_context();
        let info: ConnectionInfo = if initialize {
            self.volume
                .call::<rpc::volume::InitializeConnection>(&context, Some(&host), &ask)
                .await
        } else {
            self.volume
                .call::<rpc::volume::TerminateConnection>(&context, Some(&host), &ask)
                .await
        }
        .map_err(|e| CinderError::Internal(format!("the volume host failed: {e}")))?;
        Ok(serde_json::from_str(&info.connection_info_json).unwrap_or(Value::Null))
    }
}
