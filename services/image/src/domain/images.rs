//! Image metadata: create, show, list, patch, delete, deactivate/reactivate, tags.

use serde_json::{Map, Value};

use super::attributes::{self, Formats, CORE, FROZEN_AFTER_UPLOAD, READ_ONLY};
use super::error::{ImageError, Result};
use super::model::{now, Image, Status, Visibility};
use super::patch::{Change, Op};
use super::query::ListQuery;
use super::{Caller, Glance};
use crate::quota;

/// A page of images and the marker of the next page, if the page is full.
pub struct Page {
    pub images: Vec<Image>,
    pub next_marker: Option<String>,
}

fn no_image(id: &str) -> String {
    format!("No image found with ID {id}")
}

impl Glance {
    fn formats(&self) -> Formats<'_> {
        Formats {
            disk: &self.cfg.disk_formats,
            container: &self.cfg.container_formats,
        }
    }

    /// Creates a queued image from the POST body.
    pub async fn create_image(&self, caller: &Caller, body: Map<String, Value>) -> Result<Image> {
        let id = match body.get("id") {
            Some(v) => attributes::image_id(v)?,
            None => uuid::Uuid::new_v4().to_string(),
        };
        let mut image = Image::new(id, caller.project().map(str::to_string));
        for (key, value) in &body {
            if READ_ONLY.contains(&key.as_str()) && key != "id" {
                return Err(ImageError::Forbidden(format!(
                    "Attribute '{key}' is read-only."
                )));
            }
            if key == "locations" {
                return Err(ImageError::Forbidden(
                    "Attribute 'locations' is reserved.".into(),
                ));
            }
            if attributes::is_reserved(key) {
                return Err(ImageError::Forbidden(
                    "Access was denied to this resource.".into(),
                ));
            }
            if key != "id" {
                attributes::set(&mut image, key, value, &self.formats())?;
            }
        }
        if image.owner.as_deref() != caller.project() && !caller.is_admin {
            return Err(ImageError::Forbidden(
                "Access was denied to this resource.".into(),
            ));
        }
        self.check_counts(&image)?;
        let target = self.target(caller, &image).await?;
        self.enforce(caller, "add_image", &target)?;
        self.enforce_visibility(caller, &image, &target)?;
        if let Some(owner) = &image.owner {
            let usage = self.repo.usage(owner).await?;
            if let Some(limit) = self.cfg.quotas.image_count_total {
                if !quota::within(Some(limit), usage.count, 1) {
                    return Err(ImageError::TooLarge(quota::exceeded(
                        "image_count_total",
                        limit,
                        usage.count,
                        1,
                    )));
                }
            }
        }
        self.repo.insert(&image).await.map_err(|e| match e {
            ferrostack_db::DbError::Duplicate(_) => {
                ImageError::Conflict(format!("Image ID {} already exists!", image.id))
            }
            other => other.into(),
        })?;
        self.notifier.image_event("image.create", &image);
        Ok(image)
    }

    /// Publicizing and communitizing need their own rules.
    fn enforce_visibility(&self, caller: &Caller, image: &Image, target: &Value) -> Result<()> {
        match image.visibility {
            Visibility::Public => self.enforce(caller, "publicize_image", target),
            Visibility::Community => self.enforce(caller, "communitize_image", target),
            _ => Ok(()),
        }
    }

    fn check_counts(&self, image: &Image) -> Result<()> {
        if let Some(max) = self.cfg.tag_quota {
            if image.tags.len() > max {
                return Err(ImageError::TooLarge(format!(
                    "Maximum number of tags exceeded: {max}"
                )));
            }
        }
        if let Some(max) = self.cfg.property_quota {
            if image.properties.len() > max {
                return Err(ImageError::TooLarge(format!(
                    "Maximum number of properties exceeded: {max}"
                )));
            }
        }
        Ok(())
    }

    /// The image `id` as `caller` sees it.
    pub async fn show_image(&self, caller: &Caller, id: &str) -> Result<Image> {
        Ok(self.visible(caller, id, &no_image(id)).await?.0)
    }

    /// One page of images.
    pub async fn list_images(&self, caller: &Caller, query: &ListQuery) -> Result<Page> {
        self.enforce(
            caller,
            "get_images",
            &serde_json::json!({"project_id": caller.project()}),
        )?;
        let viewer = caller.viewer();
        let marker = match &query.marker {
            Some(id) => {
                let image = self.repo.get(id).await?;
                let shown = match image {
                    Some(image) => {
                        let target = self.target(caller, &image).await?;
                        self.policy
                            .enforce("get_image", &target, &caller.ctx.credentials())
                            .is_ok()
                            .then_some(image)
                    }
                    None => None,
                };
                Some(shown.ok_or_else(|| ImageError::BadRequest(no_image(id)))?)
            }
            None => None,
        };
        if query.limit == 0 {
            return Ok(Page {
                images: Vec::new(),
                next_marker: None,
            });
        }
        let images = self.repo.list(query, &viewer, marker.as_ref()).await?;
        let next_marker = (images.len() == query.limit)
            .then(|| images.last().map(|i| i.id.clone()))
            .flatten();
        Ok(Page {
            images,
            next_marker,
        })
    }

    /// Applies a JSON patch.
    ///
    /// The formats can change only while the image is queued; the save checks that
    /// it still is, so an upload that started meanwhile keeps the format its data
    /// is inspected against.
    pub async fn update_image(
        &self,
        caller: &Caller,
        id: &str,
        changes: &[Change],
    ) -> Result<Image> {
        let (mut image, target) = self.visible(caller, id, &no_image(id)).await?;
        self.enforce(caller, "modify_image", &target)?;
        let before = image.clone();
        for change in changes {
            self.apply(caller, &mut image, change)?;
        }
        self.check_counts(&image)?;
        if image.visibility != before.visibility {
            let target = self.target(caller, &image).await?;
            self.enforce_visibility(caller, &image, &target)?;
        }
        if image.owner != before.owner && !caller.is_admin {
            return Err(ImageError::Forbidden(
                "Access was denied to this resource.".into(),
            ));
        }
        if image != before {
            image.updated_at = now();
            let formats_changed = image.disk_format != before.disk_format
                || image.container_format != before.container_format;
            if !self.repo.save_metadata(&image, formats_changed).await? {
                return Err(ImageError::Forbidden(
                    "Attribute disk_format can be only replaced for a queued image.".into(),
                ));
            }
            self.notifier.image_event("image.update", &image);
        }
        Ok(image)
    }

    fn apply(&self, caller: &Caller, image: &mut Image, change: &Change) -> Result<()> {
        let name = change.attribute.as_str();
        if READ_ONLY.contains(&name) {
            return Err(ImageError::Forbidden(format!(
                "Attribute '{name}' is read-only."
            )));
        }
        if name == "locations" {
            return Err(ImageError::Forbidden(match change.op {
                Op::Remove => {
                    "You are not authorized to complete delete_image_location action.".into()
                }
                _ => "It's not allowed to update locations if locations are invisible.".into(),
            }));
        }
        if attributes::is_reserved(name) {
            return Err(ImageError::Forbidden(format!(
                "Attribute '{name}' is reserved."
            )));
        }
        let conflict = || {
            ImageError::Conflict(
                "There was a conflict when trying to complete your request.".into(),
            )
        };
        if FROZEN_AFTER_UPLOAD.contains(&name) && image.status != Status::Queued {
            // The data was inspected as this format: it may not change afterwards
            // (OSSA-2024-001: qcow2 data declared `ami`, then relabelled).
            return Err(ImageError::Forbidden(format!(
                "Attribute {name} can be only replaced for a queued image."
            )));
        }
        let is_core = CORE.contains(&name);
        let exists = is_core || image.properties.contains_key(name);
        match change.op {
            Op::Remove if is_core => Err(ImageError::Forbidden(
                "Access was denied to this resource.".into(),
            )),
            Op::Remove => image
                .properties
                .remove(name)
                .map(|_| ())
                .ok_or_else(conflict),
            Op::Replace if !exists => Err(conflict()),
            Op::Add if change.strict_add && exists && !is_core => Err(conflict()),
            Op::Add | Op::Replace => {
                let value = change.value.as_ref().unwrap_or(&Value::Null);
                if name == "owner" && !caller.is_admin {
                    return Err(ImageError::Forbidden(
                        "Access was denied to this resource.".into(),
                    ));
                }
                attributes::set(image, name, value, &self.formats())
            }
        }
    }

    /// Deletes the image and its data.
    pub async fn delete_image(&self, caller: &Caller, id: &str) -> Result<()> {
        let missing = format!("Failed to find image {id} to delete");
        let (image, target) = self.visible(caller, id, &missing).await?;
        self.enforce(caller, "delete_image", &target)?;
        if image.protected {
            return Err(ImageError::Forbidden(format!(
                "Image {id} is protected and cannot be deleted."
            )));
        }
        self.repo.delete(id).await?;
        for location in &image.locations {
            if let Some(store) = self.stores.get(&location.store) {
                if let Err(e) = store.delete(&location.url).await {
                    tracing::warn!(image = id, url = location.url, "data left behind: {e}");
                }
            }
        }
        self.discard_staged(id).await;
        self.notifier.image_event("image.delete", &image);
        Ok(())
    }

    /// `deactivate` (active → deactivated) or `reactivate` (the reverse).
    pub async fn set_active(&self, caller: &Caller, id: &str, active: bool) -> Result<()> {
        let (image, target) = self.visible(caller, id, &no_image(id)).await?;
        let (action, from, to) = if active {
            ("reactivate", Status::Deactivated, Status::Active)
        } else {
            ("deactivate", Status::Active, Status::Deactivated)
        };
        self.enforce(caller, action, &target)?;
        if image.status == to {
            return Ok(());
        }
        if image.status != from || !self.repo.transition(id, &[from], to).await? {
            return Err(ImageError::Forbidden(format!(
                "Not allowed to {action} image in status '{}'",
                image.status.as_str()
            )));
        }
        if let Some(image) = self.repo.get(id).await? {
            self.notifier.image_event("image.update", &image);
        }
        Ok(())
    }

    /// Adds (`add`) or removes a tag.
    pub async fn tag(&self, caller: &Caller, id: &str, tag: &str, add: bool) -> Result<()> {
        let (mut image, target) = self
            .visible(caller, id, &format!("Image {id} not found."))
            .await?;
        self.enforce(caller, "modify_image", &target)?;
        if add {
            attributes::tags(&Value::Array(vec![Value::String(tag.to_string())]))?;
            if !image.tags.insert(tag.to_string()) {
                return Ok(());
            }
        } else if !image.tags.remove(tag) {
            return Err(ImageError::NotFound(
                "The resource could not be found.".into(),
            ));
        }
        self.check_counts(&image)?;
        image.updated_at = now();
        self.repo.save_metadata(&image, false).await?;
        self.notifier.image_event("image.update", &image);
        Ok(())
    }
}
