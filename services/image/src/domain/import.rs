//! Interoperable image import: `POST /v2/images/{id}/import` with `glance-direct`
//! (staged data → stores), `web-download` (a URI → stores; off unless enabled with
//! an allow-list of hosts) or `copy-image` (an active image's data → more stores).
//! Imports run in the background (`import_run`); progress is visible in the
//! `os_glance_*` properties as upstream.

use std::sync::Arc;

use serde_json::Value;

use super::error::{ImageError, Result};
use super::model::{Image, Status};
use super::{Caller, Glance};

pub(crate) const IMPORT_TASK: &str = "os_glance_import_task";
pub(crate) const IMPORTING_TO: &str = "os_glance_importing_to_stores";
pub(crate) const FAILED_IMPORT: &str = "os_glance_failed_import";

/// An import method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    GlanceDirect,
    CopyImage,
    WebDownload { uri: String },
}

/// A parsed import request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRequest {
    pub method: Method,
    pub stores: Option<Vec<String>>,
    pub all_stores: bool,
    pub all_stores_must_succeed: bool,
}

fn bad(message: impl Into<String>) -> ImageError {
    ImageError::BadRequest(message.into())
}

fn conflict(message: impl Into<String>) -> ImageError {
    ImageError::Conflict(message.into())
}

impl ImportRequest {
    /// Parses the body of `POST /v2/images/{id}/import` with upstream's messages;
    /// `header_store` is the `X-Image-Meta-Store` header.
    pub fn parse(body: &Value, enabled: &[String], header_store: Option<&str>) -> Result<Self> {
        let method = body
            .get("method")
            .filter(|m| m.is_object())
            .ok_or_else(|| bad("Import request requires a 'method' field."))?;
        let name = method
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("Import request requires a 'name' field."))?;
        let parsed = match name {
            "glance-direct" => Method::GlanceDirect,
            "copy-image" => Method::CopyImage,
            "web-download" => Method::WebDownload {
                uri: method
                    .get("uri")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("Import request requires a 'uri' field."))?
                    .to_string(),
            },
            other => return Err(bad(format!("Unknown import method name '{other}'."))),
        };
        if !enabled.iter().any(|m| m == name) {
            return Err(bad(format!("Import method {name} is not enabled.")));
        }
        let flag = |key: &str, default: bool| match body.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(bad(format!("'{key}' must be boolean value only"))),
        };
        let mut stores = match body.get("stores") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|s| s.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| bad("'stores' must be a list of store identifiers"))?,
            ),
            Some(_) => return Err(bad("'stores' must be a list of store identifiers")),
        };
        let all_stores = flag("all_stores", false)?;
        if stores.is_none() {
            stores = header_store.map(|s| vec![s.to_string()]);
        }
        if all_stores && stores.is_some() {
            return Err(bad(
                "All_stores parameter can't be used with x-image-meta-store header or stores parameter",
            ));
        }
        Ok(ImportRequest {
            method: parsed,
            stores,
            all_stores,
            all_stores_must_succeed: flag("all_stores_must_succeed", true)?,
        })
    }
}

impl Glance {
    /// `POST /v2/images/{id}/import`: checks the request, claims the image and
    /// starts the import in the background (202).
    pub async fn import(
        self: &Arc<Self>,
        caller: &Caller,
        id: &str,
        body: &Value,
        header_store: Option<&str>,
    ) -> Result<()> {
        let request = ImportRequest::parse(body, &self.cfg.import_methods, header_store)?;
        let (image, target) = self
            .visible(caller, id, &format!("No image found with ID {id}"))
            .await?;
        let rule = match request.method {
            Method::CopyImage => "copy_image",
            _ => "modify_image",
        };
        self.enforce(caller, rule, &target)?;
        if let Method::WebDownload { uri } = &request.method {
            if !self.cfg.uri_filter.allows(uri) {
                return Err(bad(format!(
                    "URI for web-download does not pass filtering: {uri}"
                )));
            }
        }
        self.check_state(&request.method, &image)?;
        let stores = self.target_stores(&request, &image)?;
        if stores.is_empty() {
            return Ok(());
        }
        // The task is there before the import runs, so its end is recorded.
        let task = uuid::Uuid::new_v4().to_string();
        self.record_import_task(caller, &task, id, body, &stores)
            .await?;
        if let Err(e) = self.start_import(image, request, &task).await {
            self.end_task(&task, Err(e.to_string())).await;
            return Err(e);
        }
        Ok(())
    }

    /// Claims `image` for `request` and runs the import in the background as
    /// task `task` (which ends with it); the stores it writes to, or None when
    /// there is nothing to do.
    pub(crate) async fn start_import(
        self: &Arc<Self>,
        image: Image,
        request: ImportRequest,
        task: &str,
    ) -> Result<Option<Vec<String>>> {
        self.check_state(&request.method, &image)?;
        let stores = self.target_stores(&request, &image)?;
        if stores.is_empty() {
            return Ok(None);
        }
        let id = image.id.as_str();
        let claimed = match request.method {
            Method::GlanceDirect => (Status::Uploading, Status::Importing),
            Method::WebDownload { .. } => (Status::Queued, Status::Importing),
            Method::CopyImage => (Status::Active, Status::Active),
        };
        if claimed.0 != claimed.1 && !self.repo.transition(id, &[claimed.0], claimed.1).await? {
            return Err(conflict("Image has active task"));
        }
        self.repo.set_property(id, IMPORT_TASK, Some(task)).await?;
        self.repo
            .set_property(id, IMPORTING_TO, Some(&stores.join(",")))
            .await?;
        // As Glance: a new import starts with no failed stores, so readers never
        // see a finished store list beside the previous import's outcome.
        self.repo.set_property(id, FAILED_IMPORT, Some("")).await?;
        let (glance, id, task) = (self.clone(), id.to_string(), task.to_string());
        let targets = stores.clone();
        tokio::spawn(async move {
            let outcome = match glance.run_import(&id, &targets, &request).await {
                Ok(()) => Ok(serde_json::json!({"image_id": id})),
                Err(e) => {
                    tracing::warn!(image = id, "import failed: {e}");
                    Err(format!("Import of image {id} failed: {e}"))
                }
            };
            glance.end_task(&task, outcome).await;
        });
        Ok(Some(stores))
    }

    /// Glance's state rules for each method.
    fn check_state(&self, method: &Method, image: &Image) -> Result<()> {
        let importing = image
            .properties
            .get(IMPORTING_TO)
            .is_some_and(|s| !s.is_empty());
        if image.status == Status::Importing || importing {
            return Err(conflict("Image has active task"));
        }
        match method {
            Method::CopyImage if image.status != Status::Active => Err(conflict(
                "Only images with status active can be targeted for copying",
            )),
            Method::CopyImage => Ok(()),
            _ if image.status == Status::Active => Err(conflict(format!(
                "Image with status {} cannot be target for import",
                image.status.as_str()
            ))),
            Method::GlanceDirect if image.status != Status::Uploading => Err(conflict(
                "Image needs to be staged before 'glance-direct' method can be used",
            )),
            Method::WebDownload { .. } if image.status != Status::Queued => Err(conflict(
                "Image needs to be in 'queued' state to use 'web-download' method",
            )),
            _ if image.container_format.is_none() => {
                Err(conflict("'container_format' needs to be set before import"))
            }
            _ if image.disk_format.is_none() => {
                Err(conflict("'disk_format' needs to be set before import"))
            }
            _ => Ok(()),
        }
    }

    /// The stores an import writes to (empty: nothing to do).
    fn target_stores(&self, request: &ImportRequest, image: &Image) -> Result<Vec<String>> {
        let held: Vec<&str> = image.locations.iter().map(|l| l.store.as_str()).collect();
        if request.all_stores {
            return Ok(self
                .stores
                .all()
                .map(|s| s.id().to_string())
                .filter(|s| !held.contains(&s.as_str()))
                .collect());
        }
        let stores = match &request.stores {
            Some(stores) => stores.clone(),
            None if request.method == Method::CopyImage => {
                return Err(bad("'stores' or 'all_stores' is required for copy-image"))
            }
            None => vec![self.stores.default_id().to_string()],
        };
        for id in &stores {
            if self.stores.get(id).is_none() {
                return Err(conflict(format!("Store for identifier {id} not found")));
            }
            if request.method == Method::CopyImage && held.contains(&id.as_str()) {
                return Err(bad(format!("Image is already present at store '{id}'")));
            }
        }
        Ok(stores)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_like_upstream() {
        let enabled: Vec<String> = ["glance-direct", "copy-image", "web-download"]
            .map(String::from)
            .to_vec();
        let err = |body: Value| {
            ImportRequest::parse(&body, &enabled, None)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(err(json!({})), "Import request requires a 'method' field.");
        assert_eq!(
            err(json!({"method": {}})),
            "Import request requires a 'name' field."
        );
        assert_eq!(
            err(json!({"method": {"name": "foo"}})),
            "Unknown import method name 'foo'."
        );
        assert_eq!(
            err(json!({"method": {"name": "glance-direct"}, "all_stores_must_succeed": "x"})),
            "'all_stores_must_succeed' must be boolean value only"
        );
        assert!(err(json!({"method": {"name": "web-download"}})).contains("'uri'"));
        assert!(err(
            json!({"method": {"name": "copy-image"}, "stores": ["a"], "all_stores": true})
        )
        .starts_with("All_stores parameter can't be used"));
        let request = ImportRequest::parse(
            &json!({"method": {"name": "copy-image"}, "stores": ["a", "b"]}),
            &enabled,
            None,
        )
        .unwrap();
        assert_eq!(request.method, Method::CopyImage);
        assert_eq!(request.stores.unwrap(), ["a", "b"]);
        let request = ImportRequest::parse(
            &json!({"method": {"name": "glance-direct"}}),
            &enabled,
            Some("b"),
        )
        .unwrap();
        assert_eq!(request.stores.unwrap(), ["b"]);
        assert!(
            ImportRequest::parse(&json!({"method": {"name": "glance-direct"}}), &[], None).is_err()
        );
    }
}
