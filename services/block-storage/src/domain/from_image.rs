//! Volumes from images: the image a create names, checked against the volume's
//! size, and the image metadata the volume keeps (`volume_image_metadata`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Caller, Cinder, CinderError, Result};

/// Glance's base properties a volume does not keep (`name` and `id` are kept as
/// `image_name` and `image_id`).
const NOT_KEPT: &[&str] = &[
    "id",
    "name",
    "status",
    "visibility",
    "protected",
    "os_hidden",
    "os_hash_algo",
    "os_hash_value",
    "owner",
    "virtual_size",
    "created_at",
    "updated_at",
    "tags",
    "direct_url",
    "locations",
    "self",
    "file",
    "stores",
    "schema",
];

const GIB: u64 = 1 << 30;

/// The image a new volume is made from.
pub struct ImageSource {
    pub id: String,
    pub disk_format: String,
    /// `os_hash_algo` and `os_hash_value`, when the image has them.
    pub hash: Option<(String, String)>,
    /// The `cinder_img_volume_type` property: the type to use when none is asked.
    pub volume_type: Option<String>,
    /// What the volume keeps as its image metadata.
    pub metadata: BTreeMap<String, String>,
}

/// A metadata value as Cinder stores it: as a string.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

/// The image metadata a volume made from `image` keeps.
pub fn kept_metadata(image: &Value) -> BTreeMap<String, String> {
    let mut kept = BTreeMap::new();
    let Some(fields) = image.as_object() else {
        return kept;
    };
    for (key, value) in fields {
        if !value.is_null() && !NOT_KEPT.contains(&key.as_str()) {
            kept.insert(key.clone(), as_text(value));
        }
    }
    kept.insert("image_id".into(), as_text(&image["id"]));
    if let Some(name) = image["name"].as_str().filter(|n| !n.is_empty()) {
        kept.insert("image_name".into(), name.into());
    }
    kept
}

/// GiB needed to hold `bytes`.
fn gib(bytes: u64) -> u64 {
    bytes.div_ceil(GIB)
}

/// Cinder's checks of an image against the size of the volume made from it.
pub fn check_image(image: &Value, size: i64) -> Result<()> {
    let id = image["id"].as_str().unwrap_or_default();
    let invalid = |why: String| CinderError::BadRequest(format!("Invalid input received: {why}"));
    if image["status"] != "active" {
        return Err(invalid(format!("Image {id} is not active.")));
    }
    let size_u = u64::try_from(size).unwrap_or(0);
    if let Some(bytes) = image["size"].as_u64() {
        if gib(bytes) > size_u {
            return Err(invalid(format!(
                "Size of specified image {}GB is larger than volume size {size}GB.",
                gib(bytes)
            )));
        }
    }
    let min_disk = image["min_disk"].as_i64().unwrap_or(0);
    if size < min_disk {
        return Err(invalid(format!(
            "Volume size {size}GB cannot be smaller than the image minDisk size {min_disk}GB."
        )));
    }
    if let Some(bytes) = image["virtual_size"].as_u64() {
        if gib(bytes) > size_u {
            return Err(CinderError::BadRequest(format!(
                "Image {id} is unacceptable: Image virtual size is {}GB and doesn't fit in a volume of size {size}GB.",
                gib(bytes)
            )));
        }
    }
    Ok(())
}

impl Cinder {
    /// The image `reference` names (an id, an image URL or a unique name), as
    /// the caller may use it for a volume of `size` GiB.
    pub(crate) async fn image_source(
        &self,
        caller: &Caller,
        reference: &str,
        size: Option<i64>,
    ) -> Result<ImageSource> {
        let token = &caller.ctx.token.0;
        let last = reference.rsplit('/').next().unwrap_or_default();
        let by_id = if uuid::Uuid::parse_str(last).is_ok() {
            self.images.find(token, last).await.ok()
        } else {
            None
        };
        let image = match by_id {
            Some(image) => image,
            None => self.images.find(token, reference).await?,
        };
        let Some(size) = size else {
            return Err(CinderError::BadRequest("The server could not comply with the request since it is either malformed or otherwise incorrect.".into()));
        };
        check_image(&image, size)?;
        let Some(disk_format) = image["disk_format"].as_str() else {
            return Err(CinderError::BadRequest(format!(
                "Image {} is unacceptable: it has no disk_format.",
                as_text(&image["id"])
            )));
        };
        let hash = match (
            image["os_hash_algo"].as_str(),
            image["os_hash_value"].as_str(),
        ) {
            (Some(algo), Some(value)) => Some((algo.to_string(), value.to_string())),
            _ => None,
        };
        Ok(ImageSource {
            id: as_text(&image["id"]),
            disk_format: disk_format.to_string(),
            hash,
            volume_type: image["cinder_img_volume_type"].as_str().map(str::to_string),
            metadata: kept_metadata(&image),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn image() -> Value {
        json!({
            "id": "5b8e4e1e-0000-4000-8000-000000000001", "name": "cirros", "status": "active",
            "size": 13267968, "virtual_size": 117440512, "min_disk": 0, "min_ram": 0,
            "disk_format": "qcow2", "container_format": "bare", "checksum": "abc",
            "visibility": "public", "protected": false, "os_hidden": false, "tags": [],
            "owner": "p", "hw_disk_bus": "scsi", "kernel_id": null, "file": "/v2/images/x/file",
            "self": "/v2/images/x", "schema": "/v2/schemas/image",
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "os_hash_algo": "sha512", "os_hash_value": "ff", "stores": "local"
        })
    }

    #[test]
    fn keeps_image_attributes_and_properties_as_strings() {
        let kept = kept_metadata(&image());
        let want: BTreeMap<String, String> = [
            ("checksum", "abc"),
            ("container_format", "bare"),
            ("disk_format", "qcow2"),
            ("hw_disk_bus", "scsi"),
            ("image_id", "5b8e4e1e-0000-4000-8000-000000000001"),
            ("image_name", "cirros"),
            ("min_disk", "0"),
            ("min_ram", "0"),
            ("size", "13267968"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(kept, want);
    }

    #[test]
    fn refuses_images_that_do_not_fit() {
        assert!(check_image(&image(), 1).is_ok());
        let mut queued = image();
        queued["status"] = json!("queued");
        assert_eq!(
            check_image(&queued, 1).unwrap_err().to_string(),
            "Invalid input received: Image 5b8e4e1e-0000-4000-8000-000000000001 is not active."
        );
        let mut big = image();
        big["size"] = json!(2u64 << 30);
        assert_eq!(
            check_image(&big, 1).unwrap_err().to_string(),
            "Invalid input received: Size of specified image 2GB is larger than volume size 1GB."
        );
        let mut min_disk = image();
        min_disk["min_disk"] = json!(5);
        assert_eq!(
            check_image(&min_disk, 2).unwrap_err().to_string(),
            "Invalid input received: Volume size 2GB cannot be smaller than the image minDisk size 5GB."
        );
        let mut virtual_big = image();
        virtual_big["virtual_size"] = json!(3u64 << 30);
        assert_eq!(
            check_image(&virtual_big, 2).unwrap_err().to_string(),
            "Image 5b8e4e1e-0000-4000-8000-000000000001 is unacceptable: Image virtual size is 3GB and doesn't fit in a volume of size 2GB."
        );
    }
}
