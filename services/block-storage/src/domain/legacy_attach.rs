//! The attach flow before the attachments API, as volume actions nova and
//! older clients still send: os-reserve, os-unreserve, os-initialize_connection,
//! os-attach, os-begin_detaching, os-roll_detaching, os-detach,
//! os-terminate_connection, and the admin's os-force_detach.

use crate::rpc::messages::{ConnectionInfo, ConnectionRequest};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use super::actions::Outcome;
use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::{attachment, volume};
use crate::rpc;

/// One legacy attach action.
#[derive(Debug, PartialEq)]
pub enum LegacyAttach {
    /// os-reserve: available → attaching.
    Reserve,
    /// os-unreserve: attaching → available.
    Unreserve,
    /// os-begin_detaching: in-use → detaching.
    BeginDetaching,
    /// os-roll_detaching: detaching → in-use.
    RollDetaching,
    /// os-initialize_connection for a connector (an object).
    InitializeConnection { connector: Value },
    /// os-terminate_connection for a connector (an object).
    TerminateConnection { connector: Value },
    /// os-attach to an instance, in `mode` (`rw` unless given), seen by
    /// it at `mountpoint`.
    Attach {
        instance_uuid: Option<String>,
        mode: String,
        mountpoint: Option<String>,
    },
    /// os-detach, of one attachment or all.
    Detach { attachment_id: Option<String> },
    /// os-force_detach (admin): the connection to `connector` ended, if
    /// given, and one attachment or all removed, whatever the status.
    ForceDetach {
        connector: Option<Value>,
        attachment_id: Option<String>,
    },
}

impl LegacyAttach {
    /// The action's name in a body (`os-reserve`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            LegacyAttach::Reserve => "os-reserve",
            LegacyAttach::Unreserve => "os-unreserve",
            LegacyAttach::BeginDetaching => "os-begin_detaching",
            LegacyAttach::RollDetaching => "os-roll_detaching",
            LegacyAttach::InitializeConnection { .. } => "os-initialize_connection",
            LegacyAttach::TerminateConnection { .. } => "os-terminate_connection",
            LegacyAttach::Attach { .. } => "os-attach",
            LegacyAttach::Detach { .. } => "os-detach",
            LegacyAttach::ForceDetach { .. } => "os-force_detach",
        }
    }
}

fn invalid(volume: &volume::Model, wanted: &str, action: &str) -> CinderError {
    CinderError::BadRequest(format!(
        "Invalid volume: Volume {} status must be {wanted} to {action}, currently {}.",
        volume.id, volume.status
    ))
}

impl Cinder {
    /// Runs a legacy attach action.
    pub(crate) async fn legacy_attach(
        &self,
        caller: &Caller,
        id: &str,
        action: LegacyAttach,
    ) -> Result<Outcome> {
        let name = action.name();
        let volume = self.show_volume(caller, id).await?;
        let policy = match action {
            LegacyAttach::ForceDetach { .. } => "volume_admin_actions",
            _ => "volume_actions",
        };
        self.authorize(
            caller,
            &format!("volume_extension:{policy}:{}", &name[3..]),
            &volume,
        )?;
        match action {
            LegacyAttach::Reserve => {
                super::migrate::refuse_while_migrating(&volume, "be attached")?;
                self.move_status(&volume, &["available"], "attaching", "reserve")
                    .await
            }
            LegacyAttach::Unreserve => {
                self.move_status(&volume, &["attaching"], "available", "unreserve")
                    .await
            }
            LegacyAttach::BeginDetaching => {
                self.move_status(&volume, &["in-use"], "detaching", "begin_detaching")
                    .await
            }
            LegacyAttach::RollDetaching => {
                self.move_status(&volume, &["detaching"], "in-use", "roll_detaching")
                    .await
            }
            LegacyAttach::InitializeConnection { connector } => {
                let info = self
                    .legacy_connection(caller, &volume, &connector, true)
                    .await?;
                Ok(Outcome::Done(Some(json!({"connection_info": info}))))
            }
            LegacyAttach::TerminateConnection { connector } => {
                self.legacy_connection(caller, &volume, &connector, false)
                    .await?;
                Ok(Outcome::Accepted(None))
            }
            LegacyAttach::Attach {
                instance_uuid,
                mode,
                mountpoint,
            } => {
                let row = attachment::Model {
                    id: uuid::Uuid::new_v4().to_string(),
                    volume_id: id.to_string(),
                    project_id: volume.project_id.clone(),
                    instance_uuid,
                    status: "attached".into(),
                    attach_mode: mode,
                    connector: None,
                    connection_info: None,
                    attached_at: Some(chrono::Utc::now().naive_utc()),
                    detached_at: None,
                    created_at: chrono::Utc::now().naive_utc(),
                    mountpoint,
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
                Ok(Outcome::Accepted(None))
            }
            LegacyAttach::Detach { attachment_id } => {
                if volume.status == "maintenance" {
                    return Err(CinderError::BadRequest(format!(
                        "Invalid volume: Volume {id} is locked for maintenance."
                    )));
                }
                self.remove_attachments(&volume, attachment_id.as_deref())
                    .await
            }
            LegacyAttach::ForceDetach {
                connector,
                attachment_id,
            } => {
                if let Some(connector) = connector {
                    self.legacy_connection(caller, &volume, &connector, false)
                        .await?;
                }
                if let Some(wanted) = &attachment_id {
                    let found = attachment::Entity::find_by_id(wanted.as_str())
                        .one(&self.db)
                        .await?
                        .is_some_and(|a| a.volume_id == id);
                    if !found {
                        return Err(CinderError::BadRequest(format!(
                            "Volume attachment could not be found with filter: attachment_id = {wanted}."
                        )));
                    }
                }
                self.remove_attachments(&volume, attachment_id.as_deref())
                    .await
            }
        }
    }

    /// Removes one attachment of `volume` (its only one when none is named),
    /// whatever its status, as Cinder's manager detaches: the volume is
    /// `available` when none is left, and a volume with none is made so.
    async fn remove_attachments(
        &self,
        volume: &volume::Model,
        attachment_id: Option<&str>,
    ) -> Result<Outcome> {
        let id = volume.id.as_str();
        let attached = attachment::Entity::find()
            .filter(attachment::Column::VolumeId.eq(id))
            .all(&self.db)
            .await?;
        if attachment_id.is_none() && attached.len() > 1 {
            return Err(CinderError::BadRequest(
                "Invalid volume: Detach volume failed: More than one attachment, but no attachment_id provided.".into(),
            ));
        }
        let mut query =
            attachment::Entity::delete_many().filter(attachment::Column::VolumeId.eq(id));
        if let Some(attachment_id) = attachment_id {
            query = query.filter(attachment::Column::Id.eq(attachment_id));
        }
        let removed = query.exec(&self.db).await?.rows_affected as usize;
        let to = if attached.len() == removed {
            "available"
        } else {
            "in-use"
        };
        if !self
            .set_volume_status(id, &[volume.status.as_str()], to)
            .await?
        {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} changed state during the request."
            )));
        }
        Ok(Outcome::Accepted(None))
    }

    /// initialize_connection (or, not `initialize`, terminate_connection)
    /// through the volume's manager.
    /// A reservation action: the volume from one of `from` to `to`.
    async fn move_status(
        &self,
        volume: &volume::Model,
        from: &[&str],
        to: &str,
        action: &str,
    ) -> Result<Outcome> {
        if !self.set_volume_status(&volume.id, from, to).await? {
            return Err(invalid(volume, &from.join(" or "), action));
        }
        Ok(Outcome::Accepted(None))
    }

    async fn legacy_connection(
        &self,
        caller: &Caller,
        volume: &volume::Model,
        connector: &Value,
        initialize: bool,
    ) -> Result<Value> {
        let id = volume.id.as_str();
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
