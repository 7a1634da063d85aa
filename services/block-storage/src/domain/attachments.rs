//! Attachments (3.27+): reserve a volume for an instance, export it to the
//! instance's host (the volume's manager answers with connection_info over an RPC
//! call), complete, and detach. Volume status follows: available → reserved →
//! attaching → in-use → (detaching) → available.

use crate::rpc::messages::{ConnectionInfo, ConnectionRequest};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use serde_json::Value;

use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::{attachment, volume};
use crate::rpc;

/// The `attachment` object of a create request.
#[derive(Debug, Deserialize)]
pub struct AttachmentCreate {
    pub volume_uuid: String,
    pub instance_uuid: Option<String>,
    pub connector: Option<Value>,
    pub mode: Option<String>,
}

fn not_found(id: &str) -> CinderError {
    CinderError::NotFound(format!(
        "Volume attachment could not be found with filter: attachment_id = {id}."
    ))
}

impl Cinder {
    pub(crate) async fn set_volume_status(
        &self,
        id: &str,
        from: &[&str],
        to: &str,
    ) -> Result<bool> {
        let result = volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value(to))
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(id))
            .filter(volume::Column::Status.is_in(from.iter().copied()))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Marks the volume reserved for one more attachment: an available volume,
    /// an in-use one of a multiattach type, or one already attached to
    /// `instance` (which stays as it is).
    async fn reserve(&self, volume: &volume::Model, instance: Option<&str>) -> Result<()> {
        super::migrate::refuse_while_migrating(volume, "be attached")?;
        if volume.status.contains("error") {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume attachments can not be created if the volume is in an error state. The Volume {} currently has a status of: {} ",
                volume.id, volume.status
            )));
        }
        let from: &[&str] = if volume.multiattach {
            &["available", "in-use", "downloading"]
        } else {
            &["available", "downloading"]
        };
        if self.set_volume_status(&volume.id, from, "reserved").await? {
            return Ok(());
        }
        if let Some(instance) = instance {
            let same_instance = matches!(volume.status.as_str(), "in-use" | "reserved")
                && attachment::Entity::find()
                    .filter(attachment::Column::VolumeId.eq(volume.id.as_str()))
                    .filter(attachment::Column::InstanceUuid.eq(instance))
                    .one(&self.db)
                    .await?
                    .is_some();
            if same_instance {
                return Ok(());
            }
        }
        Err(CinderError::BadRequest(format!(
            "Invalid volume: Volume {} status must be {} to reserve, but the current status is {}.",
            volume.id,
            from.join(" or "),
            volume.status
        )))
    }

    /// Reserves a volume for an instance; with a connector, exports it too.
    pub async fn create_attachment(
        &self,
        caller: &Caller,
        request: AttachmentCreate,
    ) -> Result<attachment::Model> {
        let volume = self.show_volume(caller, &request.volume_uuid).await?;
        self.authorize(caller, "volume:attachment_create", &volume)?;
        let readonly = volume.readonly.as_deref() == Some("True");
        let mode = request
            .mode
            .unwrap_or_else(|| if readonly { "ro" } else { "rw" }.into());
        if mode != "rw" && mode != "ro" {
            return Err(CinderError::BadRequest(format!(
                "Invalid input received: Invalid attachment mode '{mode}' for volume {}.",
                volume.id
            )));
        }
        self.reserve(&volume, request.instance_uuid.as_deref())
            .await?;
        let row = attachment::Model {
            id: uuid::Uuid::new_v4().to_string(),
            volume_id: volume.id.clone(),
            project_id: caller.project().to_string(),
            instance_uuid: request.instance_uuid,
            status: "reserved".into(),
            attach_mode: mode,
            connector: None,
            connection_info: None,
            attached_at: None,
            detached_at: None,
            created_at: now(),
            mountpoint: None,
        };
        attachment::Entity::insert(attachment::ActiveModel::from(row.clone()))
            .exec(&self.db)
            .await?;
        match request.connector {
            Some(connector) => self.connect(caller, row, &volume, connector).await,
            None => Ok(row),
        }
    }

    /// Exports the attachment's volume to `connector` and records the answer.
    async fn connect(
        &self,
        caller: &Caller,
        mut row: attachment::Model,
        volume: &volume::Model,
        connector: Value,
    ) -> Result<attachment::Model> {
        let host = volume.host.clone().ok_or_else(|| {
            CinderError::BadRequest(format!(
                "Invalid volume: Volume {} has no backend.",
                volume.id
            ))
        })?;
        let ask = ConnectionRequest {
            volume_id: volume.id.clone(),
            host: host.clone(),
            connector_json: connector.to_string(),
        };
        let info: ConnectionInfo = self
            .volume
            .call::<rpc::volume::InitializeConnection>(&caller.rpc_context(), Some(&host), &ask)
            .await
            .map_err(|e| CinderError::Internal(format!("initialize_connection failed: {e}")))?;
        let mut info: Value = serde_json::from_str(&info.connection_info_json).unwrap_or_default();
        if let Some(data) = info.get_mut("data").and_then(Value::as_object_mut) {
            data.insert("access_mode".into(), Value::String(row.attach_mode.clone()));
            data.insert("volume_id".into(), Value::String(volume.id.clone()));
        }
        row.mountpoint = connector["mountpoint"].as_str().map(str::to_string);
        row.connector = Some(connector.to_string());
        row.connection_info = Some(info.to_string());
        row.status = "attaching".into();
        attachment::ActiveModel::from(row.clone())
            .reset_all()
            .update(&self.db)
            .await?;
        self.set_volume_status(&volume.id, &["reserved", "attaching"], "attaching")
            .await?;
        Ok(row)
    }

    /// The attachment `id` as `caller` may see it.
    pub async fn show_attachment(&self, caller: &Caller, id: &str) -> Result<attachment::Model> {
        let row = attachment::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        if !caller.is_admin && row.project_id != caller.project() {
            return Err(not_found(id));
        }
        Ok(row)
    }

    /// The caller's attachments.
    pub async fn list_attachments(
        &self,
        caller: &Caller,
        volume_id: Option<&str>,
    ) -> Result<Vec<attachment::Model>> {
        let mut query = attachment::Entity::find();
        if !caller.is_admin {
            query = query.filter(attachment::Column::ProjectId.eq(caller.project()));
        }
        if let Some(volume_id) = volume_id {
            query = query.filter(attachment::Column::VolumeId.eq(volume_id));
        }
        Ok(query
            .order_by_desc(attachment::Column::CreatedAt)
            .all(&self.db)
            .await?)
    }

    /// `PUT /attachments/{id}` with a connector: exports the volume.
    pub async fn update_attachment(
        &self,
        caller: &Caller,
        id: &str,
        connector: Value,
    ) -> Result<attachment::Model> {
        let row = self.show_attachment(caller, id).await?;
        self.authorize(caller, "volume:attachment_update", &row)?;
        if !connector.is_object() {
            return Err(CinderError::BadRequest(
                "Invalid input for field/attribute connector. Value: None. None is not of type 'object'".into(),
            ));
        }
        let volume = self.show_volume(caller, &row.volume_id).await?;
        self.connect(caller, row, &volume, connector).await
    }

    /// `os-complete` (3.44): the instance uses the volume now.
    pub async fn complete_attachment(&self, caller: &Caller, id: &str) -> Result<()> {
        let mut row = self.show_attachment(caller, id).await?;
        self.authorize(caller, "volume:attachment_complete", &row)?;
        row.status = "attached".into();
        row.attached_at = Some(now());
        attachment::ActiveModel::from(row.clone())
            .reset_all()
            .update(&self.db)
            .await?;
        self.set_volume_status(
            &row.volume_id,
            &["reserved", "attaching", "in-use"],
            "in-use",
        )
        .await?;
        Ok(())
    }

    /// Detaches: ends the export, removes the attachment, and frees the volume
    /// when it was the last one.
    pub async fn delete_attachment(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self.show_attachment(caller, id).await?;
        self.authorize(caller, "volume:attachment_delete", &row)?;
        let volume = self.show_volume(caller, &row.volume_id).await?;
        if let (Some(connector), Some(host)) = (&row.connector, &volume.host) {
            let ask = ConnectionRequest {
                volume_id: volume.id.clone(),
                host: host.clone(),
                connector_json: connector.clone(),
            };
            let done: std::result::Result<ConnectionInfo, _> = self
                .volume
                .call::<rpc::volume::TerminateConnection>(&caller.rpc_context(), Some(host), &ask)
                .await;
            if let Err(e) = done {
                tracing::warn!(attachment = id, "terminate_connection failed: {e}");
            }
        }
        attachment::Entity::delete_by_id(id).exec(&self.db).await?;
        let others = attachment::Entity::find()
            .filter(attachment::Column::VolumeId.eq(volume.id.as_str()))
            .all(&self.db)
            .await?;
        // The remaining attachments decide, the furthest along first.
        let has = |status: &str| others.iter().any(|a| a.status == status);
        let status = if has("attached") {
            "in-use"
        } else if has("attaching") {
            "attaching"
        } else if has("detaching") {
            "detaching"
        } else if others.is_empty() {
            "available"
        } else {
            "reserved"
        };
        self.set_volume_status(
            &volume.id,
            &["reserved", "attaching", "in-use", "detaching"],
            status,
        )
        .await?;
        Ok(())
    }

    /// Attachments of these volumes that are attached (for volume views).
    pub async fn attached(&self, volume_ids: Vec<String>) -> Result<Vec<attachment::Model>> {
        if volume_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(attachment::Entity::find()
            .filter(attachment::Column::VolumeId.is_in(volume_ids))
            .filter(attachment::Column::Status.eq("attached"))
            .all(&self.db)
            .await?)
    }
}
