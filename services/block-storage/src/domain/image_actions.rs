//! Volume actions about images: os-volume_upload_image, and the volume's image
//! metadata (os-show_image_metadata, os-set_image_metadata,
//! os-unset_image_metadata).

use std::collections::BTreeMap;

use crate::rpc::messages::UploadImage;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Map, Value};

use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::{volume, volume_type};
use crate::rpc;

/// Image metadata never copied into an uploaded image (`glance_core_properties`).
const CORE_PROPERTIES: &[&str] = &[
    "checksum",
    "container_format",
    "disk_format",
    "image_name",
    "image_id",
    "min_disk",
    "min_ram",
    "name",
    "size",
];
/// Prefixes of image properties the image service reserves for itself.
const RESERVED_PREFIXES: &[&str] = &["os_glance", "img_signature", "signature_verified"];
/// What an os-volume_upload_image asks for.
#[derive(Debug, PartialEq)]
pub struct UploadRequest {
    pub image_name: String,
    /// Also from an in-use volume, where `enable_force_upload` allows it.
    pub force: bool,
    pub disk_format: String,
    pub container_format: String,
    /// Visibility and protection, from 3.1.
    pub visibility: Option<(String, bool)>,
}

/// The volume's image metadata an uploaded image inherits.
fn inherited(image_metadata: Option<&str>, asked: &Map<String, Value>) -> Map<String, Value> {
    let stored: BTreeMap<String, String> = image_metadata
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    stored
        .into_iter()
        .filter(|(key, _)| {
            !CORE_PROPERTIES.contains(&key.as_str())
                && !asked.contains_key(key)
                && !RESERVED_PREFIXES.iter().any(|p| key.starts_with(p))
        })
        .map(|(key, value)| (key, Value::String(value)))
        .collect()
}

/// A volume type as Cinder serializes its object into the upload response.
fn type_object(kind: &volume_type::Model) -> Value {
    json!({
        "id": kind.id,
        "name": kind.name,
        "description": kind.description,
        "is_public": kind.is_public,
        "extra_specs": super::types::extra_specs(kind),
        "qos_specs_id": null,
        "created_at": null,
        "updated_at": null,
        "deleted_at": null,
        "deleted": false,
    })
}

fn no_image_metadata(id: &str) -> CinderError {
    CinderError::NotFound(format!(
        "Glance metadata for volume/snapshot {id} cannot be found."
    ))
}

impl Cinder {
    /// os-volume_upload_image: an image of the volume's data — the image
    /// record now, its data from the volume's host; the volume is `uploading`
    /// meanwhile.
    pub(super) async fn upload_image(
        &self,
        caller: &Caller,
        id: &str,
        request: UploadRequest,
    ) -> Result<Value> {
        let row = self.show_volume(caller, id).await?;
        self.authorize(caller, "volume_extension:volume_actions:upload_image", &row)?;
        if let Some((visibility, _)) = &request.visibility {
            if visibility == "public" {
                self.authorize(
                    caller,
                    "volume_extension:volume_actions:upload_public",
                    &row,
                )?;
            }
        }
        let force = request.force && self.cfg.enable_force_upload;
        let allowed: &[&str] = if force {
            &["available", "in-use"]
        } else {
            &["available"]
        };
        let refused = || {
            CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} status must be {}",
                allowed.join(" or ")
            ))
        };
        if !allowed.contains(&row.status.as_str()) {
            return Err(refused());
        }
        let claimed = volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value("uploading"))
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(id))
            .filter(volume::Column::Status.eq(row.status.as_str()))
            .exec(&self.db)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(refused());
        }
        match self.start_upload(caller, &row, &request).await {
            Ok(body) => Ok(body),
            Err(e) => {
                self.set_status(id, &row.status).await?;
                Err(e)
            }
        }
    }

    async fn start_upload(
        &self,
        caller: &Caller,
        row: &volume::Model,
        request: &UploadRequest,
    ) -> Result<Value> {
        let mut image = Map::new();
        image.insert("name".into(), json!(request.image_name));
        image.insert("disk_format".into(), json!(request.disk_format));
        image.insert("container_format".into(), json!(request.container_format));
        if let Some((visibility, protected)) = &request.visibility {
            image.insert("visibility".into(), json!(visibility));
            image.insert("protected".into(), json!(protected));
        }
        let properties = inherited(row.image_metadata.as_deref(), &image);
        image.extend(properties);
        let token = &caller.ctx.token.0;
        let created = self.images.create(token, &Value::Object(image)).await?;
        let image_id = created["id"].as_str().unwrap_or_default().to_string();
        let host = row.host.clone().unwrap_or_default();
        let upload = UploadImage {
            volume_id: row.id.clone(),
            host: host.clone(),
            image_id: image_id.clone(),
            image_api_url: self.images.url().await?,
            disk_format: request.disk_format.clone(),
            done_status: row.status.clone(),
        };
        if let Err(e) = self
            .volume
            .cast::<rpc::volume::UploadImage>(&caller.rpc_context(), Some(&host), &upload)
            .await
        {
            tracing::error!(volume = row.id, "volume host unreachable: {e}");
            self.images.delete(token, &image_id).await;
            return Err(CinderError::BadRequest(format!(
                "Unable to reach the volume's host: {e}"
            )));
        }
        let kind = volume_type::Entity::find_by_id(row.volume_type_id.as_str())
            .one(&self.db)
            .await?;
        Ok(json!({
            "id": row.id,
            "updated_at": row.updated_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            "status": "uploading",
            "display_description": row.description,
            "size": row.size,
            "volume_type": kind.as_ref().map(type_object),
            "image_id": image_id,
            "container_format": created["container_format"],
            "disk_format": created["disk_format"],
            "image_name": created["name"],
            "protected": created["protected"],
            "visibility": created["visibility"],
        }))
    }

    /// os-show_image_metadata.
    pub(super) async fn image_metadata(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<BTreeMap<String, String>> {
        let row = self.show_volume(caller, id).await?;
        self.authorize(caller, "volume_extension:volume_image_metadata:show", &row)?;
        row.image_metadata
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .ok_or_else(|| no_image_metadata(id))
    }

    async fn write_image_metadata(
        &self,
        id: &str,
        metadata: &BTreeMap<String, String>,
    ) -> Result<()> {
        volume::Entity::update_many()
            .col_expr(
                volume::Column::ImageMetadata,
                Expr::value(serde_json::to_string(metadata).unwrap_or_default()),
            )
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// A volume whose image metadata `rule` lets the caller change now.
    async fn changeable(
        &self,
        caller: &Caller,
        id: &str,
        rule: &str,
        verb: &str,
    ) -> Result<volume::Model> {
        let row = self.show_volume(caller, id).await?;
        self.authorize(caller, rule, &row)?;
        if matches!(row.status.as_str(), "uploading" | "maintenance") {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: {verb} volume metadata is not allowed for volumes in {} status.",
                row.status
            )));
        }
        Ok(row)
    }

    /// os-set_image_metadata: adds or replaces keys; answers them all.
    pub(super) async fn set_image_metadata(
        &self,
        caller: &Caller,
        id: &str,
        metadata: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>> {
        let row = self
            .changeable(
                caller,
                id,
                "volume_extension:volume_image_metadata:set",
                "Updating",
            )
            .await?;
        let mut current: BTreeMap<String, String> = row
            .image_metadata
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default();
        current.extend(metadata);
        self.write_image_metadata(id, &current).await?;
        Ok(current)
    }

    /// os-unset_image_metadata: removes one key (404 when absent).
    pub(super) async fn unset_image_metadata(
        &self,
        caller: &Caller,
        id: &str,
        key: &str,
    ) -> Result<()> {
        let row = self
            .changeable(
                caller,
                id,
                "volume_extension:volume_image_metadata:remove",
                "Deleting",
            )
            .await?;
        let mut current: BTreeMap<String, String> = row
            .image_metadata
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .ok_or_else(|| no_image_metadata(id))?;
        if current.remove(key).is_none() {
            return Err(no_image_metadata(id));
        }
        self.write_image_metadata(id, &current).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploaded_images_inherit_only_free_properties() {
        let stored = r#"{"image_id":"x","image_name":"cirros","checksum":"c","hw_disk_bus":"scsi",
            "os_glance_importing_to_stores":"a","img_signature":"s","signature_verified":"True","visibility":"public"}"#;
        let mut asked = Map::new();
        asked.insert("visibility".into(), json!("private"));
        let kept = inherited(Some(stored), &asked);
        assert_eq!(Value::Object(kept), json!({"hw_disk_bus": "scsi"}));
    }
}
