//! Image data: direct upload, staging for import, and download with ranges.

use std::sync::Arc;

use bytes::Bytes;
use futures::Stream;

use super::error::{ImageError, Result};
use super::model::{Image, Location, Status};
use super::transfer::{receive, Checks, Received};
use super::{Caller, Glance};
use crate::quota;
use crate::store::{ByteStream, Store};
use ferrostack_disk_format::DiskFormat;

/// The pseudo-store holding staged data until it is imported.
pub const STAGING_STORE: &str = "os_glance_staging_store";

/// A download: the image, the bytes and the range they cover.
pub struct Download {
    pub image: Image,
    pub stream: ByteStream,
    /// `(first, last)` byte positions when a range was asked for.
    pub range: Option<(u64, u64)>,
}

/// A requested byte range, as parsed from `Range: bytes=...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `a-b` or `a-`.
    From(u64, Option<u64>),
    /// `-n`: the last n bytes.
    Last(u64),
}

impl ByteRange {
    /// Parses a `Range` (`bytes=a-b`) or legacy `Content-Range` (`bytes a-b/*`) value.
    pub fn parse(header: &str) -> Result<ByteRange> {
        let spec = header
            .strip_prefix("bytes=")
            .or_else(|| header.strip_prefix("bytes "))
            .ok_or_else(|| ImageError::BadRequest(format!("Invalid range: {header}")))?;
        let spec = spec.split('/').next().unwrap_or_default();
        if spec.contains(',') {
            return Err(ImageError::BadRequest(
                "Requests with multiple ranges are not supported in Glance. You may make multiple single-range requests instead.".into(),
            ));
        }
        let bad = || ImageError::BadRequest(format!("Invalid range: {header}"));
        let (start, end) = spec.trim().split_once('-').ok_or_else(bad)?;
        if start.is_empty() {
            return Ok(ByteRange::Last(end.parse().map_err(|_| bad())?));
        }
        let start: u64 = start.parse().map_err(|_| bad())?;
        let end = match end {
            "" => None,
            e => Some(e.parse::<u64>().map_err(|_| bad())?),
        };
        if end.is_some_and(|e| e < start) {
            return Err(bad());
        }
        Ok(ByteRange::From(start, end))
    }

    /// `(first, last)` within data of `size` bytes, or 416.
    fn resolve(self, size: u64) -> Result<(u64, u64)> {
        let unavailable =
            || ImageError::RangeNotSatisfiable("The Range requested is not available.".into());
        match self {
            ByteRange::From(start, _) if start >= size => Err(unavailable()),
            ByteRange::From(start, end) => Ok((start, end.unwrap_or(size - 1).min(size - 1))),
            // Nothing to serve of empty data (`size - 1` would underflow).
            ByteRange::Last(_) if size == 0 => Err(unavailable()),
            ByteRange::Last(0) => Err(unavailable()),
            ByteRange::Last(n) => Ok((size.saturating_sub(n), size - 1)),
        }
    }
}

fn transition_refused(from: Status, to: &str) -> ImageError {
    ImageError::Conflict(format!(
        "Image status transition from {} to {to} is not allowed",
        from.as_str()
    ))
}

impl Glance {
    /// The store an upload names (`X-Image-Meta-Store`) or the default.
    pub fn upload_store(&self, requested: Option<&str>) -> Result<Arc<dyn Store>> {
        match requested {
            None => Ok(self.stores.default_store().clone()),
            Some(id) => self.stores.get(id).cloned().ok_or_else(|| {
                ImageError::BadRequest(format!("Store for identifier {id} not found"))
            }),
        }
    }

    /// The checks for data of `image` owned by `owner`: the size cap and the
    /// owner's stored-bytes quota, and content inspection.
    pub(crate) async fn data_checks(&self, image: &Image, staged: bool) -> Result<Checks> {
        let mut limit = self.cfg.image_size_cap;
        let mut limit_message = format!(
            "Image exceeds the storage quota: the image size cap is {} bytes.",
            self.cfg.image_size_cap
        );
        if let Some(owner) = &image.owner {
            let usage = self.repo.usage(owner).await?;
            let (quota_limit, used, resource) = if staged {
                (
                    self.cfg.quotas.image_stage_total,
                    usage.staged,
                    "image_stage_total",
                )
            } else {
                (
                    self.cfg.quotas.image_size_total,
                    usage.stored,
                    "image_size_total",
                )
            };
            if let Some(quota_limit) = quota_limit {
                let remaining = quota_limit.saturating_sub(used);
                if remaining < limit {
                    limit = remaining;
                    limit_message = format!(
                        "Denying attempt to upload image because it exceeds the quota: {}",
                        quota::exceeded(resource, quota_limit, used, remaining + 1)
                    );
                }
            }
            if let Some(max) = self.cfg.quotas.image_count_uploading {
                if !quota::within(Some(max), usage.uploading, 1) {
                    return Err(ImageError::TooLarge(quota::exceeded(
                        "image_count_uploading",
                        max,
                        usage.uploading,
                        1,
                    )));
                }
            }
        }
        let format = image
            .disk_format
            .as_deref()
            .filter(|_| self.cfg.require_format_match)
            .and_then(|f| f.parse::<DiskFormat>().ok());
        Ok(Checks {
            limit,
            limit_message,
            format,
        })
    }

    /// `PUT /v2/images/{id}/file`: streams the data to a store; queued → saving →
    /// active, or back to queued when anything fails.
    pub async fn upload<S, E>(
        &self,
        caller: &Caller,
        id: &str,
        store: Option<&str>,
        body: S,
    ) -> Result<()>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let (image, target) = self
            .visible(caller, id, &format!("No image found with ID {id}"))
            .await?;
        self.enforce(caller, "upload_image", &target)?;
        let store = self.upload_store(store)?;
        if image.disk_format.is_none() || image.container_format.is_none() {
            return Err(ImageError::BadRequest(
                "Properties disk_format, container_format must be set prior to saving data.".into(),
            ));
        }
        let checks = self.data_checks(&image, false).await?;
        if !self
            .repo
            .transition(id, &[Status::Queued], Status::Saving)
            .await?
        {
            return Err(transition_refused(image.status, "saving"));
        }
        self.notifier.image_event("image.prepare", &image);
        let writer = match store.begin(id).await {
            Ok(w) => w,
            Err(e) => {
                self.repo
                    .transition(id, &[Status::Saving], Status::Queued)
                    .await?;
                return Err(ImageError::Internal(e.to_string()));
            }
        };
        match receive(body, writer, &checks).await {
            Ok((url, received)) => {
                let location = Location {
                    store: store.id().to_string(),
                    url,
                };
                self.activate(image, Status::Saving, location, &received)
                    .await
            }
            Err(e) => {
                self.repo
                    .transition(id, &[Status::Saving], Status::Queued)
                    .await?;
                Err(e)
            }
        }
    }

    /// Records received data and makes the image active; if the image changed state
    /// meanwhile (deleted), the data is removed instead.
    pub(crate) async fn activate(
        &self,
        mut image: Image,
        from: Status,
        location: Location,
        received: &Received,
    ) -> Result<()> {
        image.status = Status::Active;
        image.size = Some(received.size as i64);
        image.virtual_size = received
            .virtual_size
            .or((image.disk_format.as_deref() == Some("raw")).then_some(received.size))
            .map(|v| v as i64);
        image.checksum = Some(received.hashes.md5.clone());
        image.os_hash_algo = Some("sha512".into());
        image.os_hash_value = Some(received.hashes.sha512.clone());
        self.repo.add_location(&image.id, &location).await?;
        if !self.repo.save_data(&image, from).await? {
            let _ = self.repo.remove_location(&image.id, &location.store).await;
            if let Some(store) = self.stores.get(&location.store) {
                let _ = store.delete(&location.url).await;
            }
            return Err(ImageError::Conflict(format!(
                "Image {} was changed or deleted during the upload.",
                image.id
            )));
        }
        image.locations.push(location);
        self.notifier.image_event("image.upload", &image);
        self.notifier.image_event("image.activate", &image);
        Ok(())
    }

    /// `DELETE /v2/stores/{store}/{id}`: removes one copy of an active image's data.
    pub async fn delete_from_store(&self, caller: &Caller, store_id: &str, id: &str) -> Result<()> {
        let (image, target) = self
            .visible(caller, id, &format!("No image found with ID {id}"))
            .await?;
        self.enforce(caller, "get_image_location", &target)?;
        self.enforce(caller, "delete_image_location", &target)?;
        let store = self.stores.get(store_id).cloned().ok_or_else(|| {
            ImageError::Conflict(format!(
                "The selected store {store_id} is not available on this node."
            ))
        })?;
        if image.status != Status::Active {
            return Err(ImageError::Conflict(
                "It's not allowed to remove image data from store if image status is not 'active'"
                    .into(),
            ));
        }
        let stored: Vec<&Location> = image
            .locations
            .iter()
            .filter(|l| l.store != STAGING_STORE)
            .collect();
        let location = stored.iter().find(|l| l.store == store_id).ok_or_else(|| {
            ImageError::NotFound(format!("Image {id} is not stored in store {store_id}."))
        })?;
        if stored.len() == 1 {
            return Err(ImageError::Forbidden(
                "Cannot delete image data from the only store containing it. Consider deleting the image instead."
                    .into(),
            ));
        }
        self.repo.remove_location(id, store_id).await?;
        if let Err(e) = store.delete(&location.url).await {
            tracing::warn!(image = id, url = location.url, "data left behind: {e}");
        }
        if let Some(image) = self.repo.get(id).await? {
            self.notifier.image_event("image.update", &image);
        }
        Ok(())
    }

    /// `GET /v2/images/{id}/file`: the data (or `None` for an image without data).
    pub async fn download(
        &self,
        caller: &Caller,
        id: &str,
        range: Option<ByteRange>,
    ) -> Result<Option<Download>> {
        let (image, target) = self
            .visible(caller, id, &format!("No image found with ID {id}"))
            .await?;
        self.enforce(caller, "download_image", &target)?;
        if image.status == Status::Deactivated && !caller.is_admin {
            return Err(ImageError::Forbidden(
                "The requested image has been deactivated. Image data download is forbidden."
                    .into(),
            ));
        }
        let stored = image
            .locations
            .iter()
            .find(|l| l.store != STAGING_STORE && self.stores.get(&l.store).is_some());
        let (Some(location), Some(size)) = (stored, image.size) else {
            return Ok(None);
        };
        if !matches!(image.status, Status::Active | Status::Deactivated) {
            return Ok(None);
        }
        let size = size.max(0) as u64;
        let range = match range {
            Some(r) => Some(r.resolve(size)?),
            None => None,
        };
        let store = self.stores.get(&location.store).cloned().ok_or_else(|| {
            ImageError::Internal(format!("store {} is not configured", location.store))
        })?;
        let stream = store
            .read(&location.url, range.map(|(a, b)| (a, b - a + 1)))
            .await
            .map_err(|e| ImageError::Internal(e.to_string()))?;
        Ok(Some(Download {
            image,
            stream,
            range,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(
            ByteRange::parse("bytes=0-9").unwrap().resolve(60).unwrap(),
            (0, 9)
        );
        assert_eq!(
            ByteRange::parse("bytes=50-").unwrap().resolve(60).unwrap(),
            (50, 59)
        );
        assert_eq!(
            ByteRange::parse("bytes=-5").unwrap().resolve(60).unwrap(),
            (55, 59)
        );
        assert_eq!(
            ByteRange::parse("bytes 0-9/*")
                .unwrap()
                .resolve(60)
                .unwrap(),
            (0, 9)
        );
        assert_eq!(
            ByteRange::parse("bytes=0-100")
                .unwrap()
                .resolve(60)
                .unwrap(),
            (0, 59)
        );
        assert_eq!(
            ByteRange::parse("bytes=2000-3000")
                .unwrap()
                .resolve(60)
                .unwrap_err()
                .to_string(),
            "The Range requested is not available."
        );
        assert!(ByteRange::parse("bytes=0-1,5-6")
            .unwrap_err()
            .to_string()
            .starts_with("Requests with multiple ranges"));
        // Zero-byte data: a suffix range is unsatisfiable, never an underflow.
        assert!(ByteRange::parse("bytes=-5").unwrap().resolve(0).is_err());
        assert!(ByteRange::parse("bytes=0-").unwrap().resolve(0).is_err());
        assert!(ByteRange::parse("lines=1-2").is_err());
        assert!(ByteRange::parse("bytes=9-1").is_err());
    }
}
