//! Volume actions about images: os-volume_upload_image, and the volume's image
//! metadata (os-show_image_metadata, os-set_image_metadata,
//! os-unset_image_metadata).

use std::collections::BTreeMap;

use crate::rpc::messages::UploadImage;
use ferrostack_api::microversion::ApiVersion;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Map, Value};

use super::actions::Outcome;
use super::schema::{boolean, one_of, python_repr, schema_error};
use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::{volume, volume_type};
use crate::rpc;

/// `disk_format`s a volume may be uploaded as.
const DISK_FORMATS: &[&str] = &["raw", "vmdk", "vdi", "qcow2", "vhd", "vhdx", "ploop"];
const VISIBILITIES: &[&str] = &["community", "public", "private", "shared"];
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
struct UploadRequest {
    image_name: String,
    force: bool,
    disk_format: String,
    container_format: String,
    /// Visibility and protection, from 3.1.
    visibility: Option<(String, bool)>,
}

fn upload_request(args: &Value, version: ApiVersion) -> Result<UploadRequest> {
    let v31 = version >= ApiVersion::new(3, 1);
    let Some(fields) = args.as_object() else {
        return Err(schema_error(
            "os-volume_upload_image",
            args,
            &format!("{} is not of type 'object'", python_repr(args)),
        ));
    };
    let known = |key: &str| {
        matches!(
            key,
            "image_name" | "force" | "disk_format" | "container_format"
        ) || (v31 && matches!(key, "visibility" | "protected"))
    };
    if let Some(extra) = fields.keys().find(|k| !known(k)) {
        return Err(schema_error(
            "os-volume_upload_image",
            args,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    let image_name = match fields.get("image_name") {
        None => {
            return Err(schema_error(
                "os-volume_upload_image",
                args,
                "'image_name' is a required property",
            ))
        }
        Some(Value::String(name)) if name.is_empty() => {
            return Err(schema_error(
                "image_name",
                &json!(""),
                "'' should be non-empty",
            ))
        }
        Some(Value::String(name)) if name.chars().count() > 255 => {
            return Err(schema_error("image_name", &json!(name), "is too long"))
        }
        Some(Value::String(name)) => name.clone(),
        Some(other) => {
            return Err(schema_error(
                "image_name",
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            ))
        }
    };
    let container_format = match fields.get("container_format") {
        None | Some(Value::Null) => "bare".to_string(),
        Some(Value::String(text)) if text.chars().count() <= 255 => text.clone(),
        Some(other) => {
            return Err(schema_error(
                "container_format",
                other,
                &format!("{} is not of type 'string', 'null'", python_repr(other)),
            ))
        }
    };
    Ok(UploadRequest {
        image_name,
        force: boolean("force", fields.get("force"))?,
        disk_format: one_of(
            "disk_format",
            fields.get("disk_format"),
            DISK_FORMATS,
            "raw",
        )?,
        container_format,
        visibility: if v31 {
            Some((
                one_of(
                    "visibility",
                    fields.get("visibility"),
                    VISIBILITIES,
                    "private",
                )?,
                boolean("protected", fields.get("protected"))?,
            ))
        } else {
            None
        },
    })
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
    /// Runs `name` when it is an image action.
    pub(crate) async fn image_action(
        &self,
        caller: &Caller,
        id: &str,
        name: &str,
        args: &Value,
        version: ApiVersion,
    ) -> Result<Option<Outcome>> {
        Ok(Some(match name {
            "os-volume_upload_image" => {
                let body = self.upload_image(caller, id, args, version).await?;
                Outcome::Accepted(Some(json!({"os-volume_upload_image": body})))
            }
            "os-show_image_metadata" => {
                let metadata = self.image_metadata(caller, id).await?;
                Outcome::Done(Some(json!({"metadata": metadata})))
            }
            "os-set_image_metadata" => {
                let metadata = self.set_image_metadata(caller, id, args).await?;
                Outcome::Done(Some(json!({"metadata": metadata})))
            }
            "os-unset_image_metadata" => {
                self.unset_image_metadata(caller, id, args).await?;
                Outcome::Done(None)
            }
            _ => return Ok(None),
        }))
    }

    /// Creates an image from the volume's data: the image record now, its data
    /// from the volume's host; the volume is `uploading` meanwhile.
    async fn upload_image(
        &self,
        caller: &Caller,
        id: &str,
        args: &Value,
        version: ApiVersion,
    ) -> Result<Value> {
        let request = upload_request(args, version)?;
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

    async fn image_metadata(&self, caller: &Caller, id: &str) -> Result<BTreeMap<String, String>> {
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

    async fn set_image_metadata(
        &self,
        caller: &Caller,
        id: &str,
        args: &Value,
    ) -> Result<BTreeMap<String, String>> {
        let Some(given) = args.get("metadata") else {
            return Err(schema_error(
                "os-set_image_metadata",
                args,
                "'metadata' is a required property",
            ));
        };
        let Some(given) = given.as_object() else {
            return Err(schema_error(
                "metadata",
                given,
                &format!("{} is not of type 'object'", python_repr(given)),
            ));
        };
        let mut metadata = BTreeMap::new();
        for (key, value) in given {
            let key_ok = !key.is_empty()
                && key.chars().count() <= 255
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_:. /".contains(c));
            if !key_ok {
                return Err(schema_error(
                    "metadata",
                    &Value::Object(given.clone()),
                    &format!(
                        "'{key}' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{{1,255}}$'"
                    ),
                ));
            }
            let Some(text) = value.as_str() else {
                return Err(schema_error(
                    key,
                    value,
                    &format!("{} is not of type 'string'", python_repr(value)),
                ));
            };
            if text.len() > 65535 {
                return Err(schema_error(key, value, "It is not a 'mysql_text'"));
            }
            metadata.insert(key.clone(), text.to_string());
        }
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

    async fn unset_image_metadata(&self, caller: &Caller, id: &str, args: &Value) -> Result<()> {
        let key = match args.get("key") {
            Some(Value::String(key)) if key.is_empty() => {
                return Err(schema_error("key", &json!(""), "'' should be non-empty"))
            }
            Some(Value::String(key)) => key.clone(),
            Some(other) => {
                return Err(schema_error(
                    "key",
                    other,
                    &format!("{} is not of type 'string'", python_repr(other)),
                ))
            }
            None => {
                return Err(schema_error(
                    "os-unset_image_metadata",
                    args,
                    "'key' is a required property",
                ))
            }
        };
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
        if current.remove(&key).is_none() {
            return Err(no_image_metadata(id));
        }
        self.write_image_metadata(id, &current).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_requests_as_cinders_schemas_take_them() {
        let v30 = ApiVersion::new(3, 0);
        let v31 = ApiVersion::new(3, 1);
        let asked = upload_request(&json!({"image_name": "img"}), v31).unwrap();
        assert_eq!(
            (asked.disk_format.as_str(), asked.container_format.as_str()),
            ("raw", "bare")
        );
        assert_eq!(asked.visibility, Some(("private".into(), false)));
        assert!(upload_request(&json!({"image_name": "img"}), v30)
            .unwrap()
            .visibility
            .is_none());
        let err = |body: Value, version| upload_request(&body, version).err().unwrap().to_string();
        assert_eq!(
            err(json!({}), v30),
            "Invalid input for field/attribute os-volume_upload_image. Value: {}. 'image_name' is a required property"
        );
        assert_eq!(
            err(json!({"image_name": ""}), v30),
            "Invalid input for field/attribute image_name. Value: . '' should be non-empty"
        );
        assert_eq!(
            err(json!({"image_name": "i", "disk_format": "iso"}), v30),
            "Invalid input for field/attribute disk_format. Value: iso. 'iso' is not one of ['raw', 'vmdk', 'vdi', 'qcow2', 'vhd', 'vhdx', 'ploop']"
        );
        assert!(
            err(json!({"image_name": "i", "visibility": "private"}), v30)
                .contains("Additional properties are not allowed ('visibility' was unexpected)")
        );
        assert_eq!(
            err(json!({"image_name": "i", "visibility": "everyone"}), v31),
            "Invalid input for field/attribute visibility. Value: everyone. 'everyone' is not one of ['community', 'public', 'private', 'shared']"
        );
        assert!(err(json!({"image_name": "i", "force": "maybe"}), v30)
            .starts_with("Invalid input for field/attribute force. Value: maybe. 'maybe' is not one of [True, 'True'"));
        assert!(
            upload_request(&json!({"image_name": "i", "force": "yes"}), v30)
                .unwrap()
                .force
        );
    }

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
