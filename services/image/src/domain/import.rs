//! Interoperable image import: staging (`PUT .../stage`), then `POST .../import`
//! with `glance-direct` (staged data → stores) or `copy-image` (an active image's
//! data → more stores). Imports run in the background; progress is visible in the
//! `os_glance_*` properties as upstream.

use std::sync::Arc;

use bytes::Bytes;
use futures::Stream;
use serde_json::Value;

use super::data::STAGING_STORE;
use super::error::{ImageError, Result};
use super::model::{Image, Location, Status};
use super::transfer::receive;
use super::{Caller, Glance};

const IMPORT_TASK: &str = "os_glance_import_task";
const IMPORTING_TO: &str = "os_glance_importing_to_stores";
const FAILED_IMPORT: &str = "os_glance_failed_import";

/// An import method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    GlanceDirect,
    CopyImage,
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

impl ImportRequest {
    /// Parses the body of `POST /v2/images/{id}/import` with upstream's messages.
    pub fn parse(body: &Value, enabled: &[String]) -> Result<Self> {
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
            "web-download" | "glance-download" => {
                return Err(bad(format!(
                    "Import method {name} is not supported by this cloud."
                )))
            }
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
        let stores = match body.get("stores") {
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
        Ok(ImportRequest {
            method: parsed,
            stores,
            all_stores: flag("all_stores", false)?,
            all_stores_must_succeed: flag("all_stores_must_succeed", true)?,
        })
    }
}

impl Glance {
    /// `PUT /v2/images/{id}/stage`: data to the staging area; queued → uploading.
    pub async fn stage<S, E>(&self, caller: &Caller, id: &str, body: S) -> Result<()>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let (mut image, target) = self
            .visible(caller, id, &format!("No image found with ID {id}"))
            .await?;
        self.enforce(caller, "upload_image", &target)?;
        let mut checks = self.data_checks(&image, true).await?;
        checks.format = None;
        if !self
            .repo
            .transition(id, &[Status::Queued], Status::Uploading)
            .await?
        {
            return Err(ImageError::Conflict(format!(
                "Image status transition from {} to uploading is not allowed",
                image.status.as_str()
            )));
        }
        let writer = match self.staging.begin(id).await {
            Ok(w) => w,
            Err(e) => {
                self.repo
                    .transition(id, &[Status::Uploading], Status::Queued)
                    .await?;
                return Err(ImageError::Internal(e.to_string()));
            }
        };
        match receive(body, writer, &checks).await {
            Ok((url, received)) => {
                let location = Location {
                    store: STAGING_STORE.into(),
                    url,
                };
                self.repo.add_location(id, &location).await?;
                image.status = Status::Uploading;
                image.size = Some(received.size as i64);
                self.repo.save_data(&image, Status::Uploading).await?;
                Ok(())
            }
            Err(e) => {
                self.repo
                    .transition(id, &[Status::Uploading], Status::Queued)
                    .await?;
                Err(e)
            }
        }
    }

    /// Removes staged data of `id`, if any.
    pub async fn discard_staged(&self, id: &str) {
        let Ok(Some(image)) = self.repo.get(id).await else {
            return;
        };
        for location in image.locations.iter().filter(|l| l.store == STAGING_STORE) {
            let _ = self.staging.delete(&location.url).await;
            let _ = self.repo.remove_location(id, STAGING_STORE).await;
        }
    }

    /// `POST /v2/images/{id}/import`: validates and starts the import (202).
    pub async fn import(self: &Arc<Self>, caller: &Caller, id: &str, body: &Value) -> Result<()> {
        let request = ImportRequest::parse(body, &self.cfg.import_methods)?;
        let (image, target) = self
            .visible(caller, id, &format!("No image found with ID {id}"))
            .await?;
        let stores = self.target_stores(&request, &image)?;
        match request.method {
            Method::GlanceDirect => {
                self.enforce(caller, "modify_image", &target)?;
                match image.status {
                    Status::Uploading => {}
                    Status::Queued => {
                        return Err(ImageError::Conflict(
                            "Image needs to be staged before 'glance-direct' method can be used"
                                .into(),
                        ))
                    }
                    Status::Importing => {
                        return Err(ImageError::Conflict("Image has active task".into()))
                    }
                    other => {
                        return Err(ImageError::Conflict(format!(
                            "Image with status {} cannot be target for import",
                            other.as_str()
                        )))
                    }
                }
                if !self
                    .repo
                    .transition(id, &[Status::Uploading], Status::Importing)
                    .await?
                {
                    return Err(ImageError::Conflict("Image has active task".into()));
                }
            }
            Method::CopyImage => {
                self.enforce(caller, "copy_image", &target)?;
                if image.status != Status::Active {
                    return Err(ImageError::Conflict(format!(
                        "Image {id} is not in active state; copy-image needs an active image."
                    )));
                }
                if image.properties.contains_key(IMPORTING_TO)
                    && !image.properties[IMPORTING_TO].is_empty()
                {
                    return Err(ImageError::Conflict("Image has active task".into()));
                }
            }
        }
        let task = uuid::Uuid::new_v4().to_string();
        self.repo.set_property(id, IMPORT_TASK, Some(&task)).await?;
        self.repo
            .set_property(id, IMPORTING_TO, Some(&stores.join(",")))
            .await?;
        let glance = self.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            let outcome = match request.method {
                Method::GlanceDirect => glance.run_direct(&id, &stores, &request).await,
                Method::CopyImage => glance.run_copy(&id, &stores).await,
            };
            if let Err(e) = outcome {
                tracing::warn!(image = id, "import failed: {e}");
            }
        });
        Ok(())
    }

    /// The stores an import writes to.
    fn target_stores(&self, request: &ImportRequest, image: &Image) -> Result<Vec<String>> {
        let held: Vec<&str> = image.locations.iter().map(|l| l.store.as_str()).collect();
        let stores: Vec<String> = if request.all_stores {
            self.stores
                .all()
                .map(|s| s.id().to_string())
                .filter(|s| !held.contains(&s.as_str()))
                .collect()
        } else if let Some(stores) = &request.stores {
            for id in stores {
                if self.stores.get(id).is_none() {
                    return Err(bad(format!("Store for identifier {id} not found")));
                }
            }
            stores.clone()
        } else if request.method == Method::CopyImage {
            return Err(bad("'stores' or 'all_stores' is required for copy-image"));
        } else {
            vec![self.stores.default_id().to_string()]
        };
        if stores.is_empty() {
            return Err(bad("There are no stores to import the image to."));
        }
        Ok(stores)
    }

    /// glance-direct: staged data into each store (inspected and hashed on the way
    /// into the first), then active.
    async fn run_direct(&self, id: &str, stores: &[String], request: &ImportRequest) -> Result<()> {
        let image = self
            .repo
            .get(id)
            .await?
            .ok_or_else(|| ImageError::NotFound(id.into()))?;
        let staged = image
            .locations
            .iter()
            .find(|l| l.store == STAGING_STORE)
            .cloned()
            .ok_or_else(|| ImageError::Conflict("no staged data".into()))?;
        let mut done: Vec<(Location, super::transfer::Received)> = Vec::new();
        let mut failed: Vec<String> = Vec::new();
        for store_id in stores {
            let result = self
                .copy_into(&image, &staged, store_id, done.is_empty())
                .await;
            match result {
                Ok(copy) => done.push(copy),
                Err(e) => {
                    tracing::warn!(
                        image = id,
                        store = store_id,
                        "import into store failed: {e}"
                    );
                    failed.push(store_id.clone());
                }
            }
        }
        let all_ok = failed.is_empty() || !request.all_stores_must_succeed;
        let _ = self.staging.delete(&staged.url).await;
        self.repo.remove_location(id, STAGING_STORE).await?;
        self.repo.set_property(id, IMPORTING_TO, Some("")).await?;
        self.repo
            .set_property(id, FAILED_IMPORT, Some(&failed.join(",")))
            .await?;
        if done.is_empty() || !all_ok {
            for (location, _) in &done {
                if let Some(store) = self.stores.get(&location.store) {
                    let _ = store.delete(&location.url).await;
                }
            }
            let mut image = image;
            image.status = Status::Queued;
            image.clear_data();
            self.repo.save_data(&image, Status::Importing).await?;
            return Err(ImageError::Conflict("import failed".into()));
        }
        let mut copies = done.into_iter();
        let Some((first, received)) = copies.next() else {
            return Ok(());
        };
        let image = self
            .repo
            .get(id)
            .await?
            .ok_or_else(|| ImageError::NotFound(id.into()))?;
        self.activate(image, Status::Importing, first, &received)
            .await?;
        for (location, _) in copies {
            self.repo.add_location(id, &location).await?;
        }
        Ok(())
    }

    /// copy-image: the data of an active image into more stores.
    async fn run_copy(&self, id: &str, stores: &[String]) -> Result<()> {
        let image = self
            .repo
            .get(id)
            .await?
            .ok_or_else(|| ImageError::NotFound(id.into()))?;
        let source = image
            .locations
            .iter()
            .find(|l| l.store != STAGING_STORE)
            .cloned()
            .ok_or_else(|| ImageError::Conflict("image has no data".into()))?;
        let mut failed = Vec::new();
        let mut remaining: Vec<String> = stores.to_vec();
        for store_id in stores {
            match self.copy_into(&image, &source, store_id, false).await {
                Ok((location, _)) => self.repo.add_location(id, &location).await?,
                Err(e) => {
                    tracing::warn!(image = id, store = store_id, "copy failed: {e}");
                    failed.push(store_id.clone());
                }
            }
            remaining.retain(|s| s != store_id);
            self.repo
                .set_property(id, IMPORTING_TO, Some(&remaining.join(",")))
                .await?;
        }
        self.repo
            .set_property(id, FAILED_IMPORT, Some(&failed.join(",")))
            .await?;
        if let Some(image) = self.repo.get(id).await? {
            self.notifier.image_event("image.update", &image);
        }
        Ok(())
    }

    /// Streams the data at `source` into store `store_id`; `inspect` checks the
    /// content against the image's disk format on the way.
    async fn copy_into(
        &self,
        image: &Image,
        source: &Location,
        store_id: &str,
        inspect: bool,
    ) -> Result<(Location, super::transfer::Received)> {
        let from = if source.store == STAGING_STORE {
            self.staging.clone()
        } else {
            self.stores
                .get(&source.store)
                .cloned()
                .ok_or_else(|| ImageError::Internal(format!("store {} is gone", source.store)))?
        };
        let to = self
            .stores
            .get(store_id)
            .cloned()
            .ok_or_else(|| bad(format!("Store for identifier {store_id} not found")))?;
        let mut checks = self.data_checks(image, false).await?;
        if !inspect {
            checks.format = None;
            checks.limit = u64::MAX;
        }
        let stream = from
            .read(&source.url, None)
            .await
            .map_err(|e| ImageError::Internal(e.to_string()))?;
        let writer = to
            .begin(&image.id)
            .await
            .map_err(|e| ImageError::Internal(e.to_string()))?;
        let (url, received) = receive(stream, writer, &checks).await?;
        Ok((
            Location {
                store: store_id.to_string(),
                url,
            },
            received,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_like_upstream() {
        let enabled = vec!["glance-direct".to_string(), "copy-image".to_string()];
        let err = |body: Value| {
            ImportRequest::parse(&body, &enabled)
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
        let request = ImportRequest::parse(
            &json!({"method": {"name": "copy-image"}, "stores": ["a", "b"]}),
            &enabled,
        )
        .unwrap();
        assert_eq!(request.method, Method::CopyImage);
        assert_eq!(request.stores.unwrap(), ["a", "b"]);
        assert!(ImportRequest::parse(&json!({"method": {"name": "glance-direct"}}), &[]).is_err());
    }
}
