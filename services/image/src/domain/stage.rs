//! Staging for import: `PUT /v2/images/{id}/stage` keeps the data in the staging
//! area (queued → uploading) until `glance-direct` imports it.

use bytes::Bytes;
use futures::Stream;

use super::data::STAGING_STORE;
use super::error::{ImageError, Result};
use super::model::{Location, Status};
use super::transfer::receive;
use super::{Caller, Glance};

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
}
