//! The background half of an import: data from the staging area, a URI or another
//! store into the target stores, then the image's state and `os_glance_*`
//! bookkeeping.

use super::data::STAGING_STORE;
use super::error::{ImageError, Result};
use super::import::{ImportRequest, Method, FAILED_IMPORT, IMPORTING_TO};
use super::model::{Image, Location, Status};
use super::transfer::{receive, Received};
use super::Glance;
use crate::store::ByteStream;

/// Web downloads give up when the server does not answer within this time.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl Glance {
    /// Runs one accepted import to its end.
    pub(crate) async fn run_import(
        &self,
        id: &str,
        stores: &[String],
        request: &ImportRequest,
    ) -> Result<()> {
        match &request.method {
            Method::CopyImage => self.run_copy(id, stores).await,
            _ => self.run_into_stores(id, stores, request).await,
        }
    }

    /// glance-direct and web-download: the data into each store (inspected and
    /// hashed on the way into the first), then active; on failure back to queued.
    async fn run_into_stores(
        &self,
        id: &str,
        stores: &[String],
        request: &ImportRequest,
    ) -> Result<()> {
        let image = self
            .repo
            .get(id)
            .await?
            .ok_or_else(|| ImageError::NotFound(id.into()))?;
        let staged = image
            .locations
            .iter()
            .find(|l| l.store == STAGING_STORE)
            .cloned();
        let mut done: Vec<(Location, Received)> = Vec::new();
        let mut failed: Vec<String> = Vec::new();
        for store_id in stores {
            // The first store gets the data from its origin; the others copy it from
            // the first, already checked and committed.
            let source = match (done.first(), &request.method, &staged) {
                (Some((first, _)), _, _) => self.read_location(first).await,
                (None, Method::WebDownload { uri }, _) => fetch(uri).await,
                (None, _, Some(staged)) => self.read_location(staged).await,
                (None, _, None) => Err(ImageError::Conflict("no staged data".into())),
            };
            let result = match source {
                Ok(stream) => {
                    self.copy_into(&image, stream, store_id, done.is_empty())
                        .await
                }
                Err(e) => Err(e),
            };
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
        if let Some(staged) = &staged {
            let _ = self.staging.delete(&staged.url).await;
            self.repo.remove_location(id, STAGING_STORE).await?;
        }
        let all_ok = failed.is_empty() || !request.all_stores_must_succeed;
        // The outcome properties and the status are separate writes: a failed
        // import is queued again before it says which stores failed, a good one
        // says so before it turns active, so whoever waits on either sees both.
        let outcome = failed.join(",");
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
            self.repo.set_property(id, IMPORTING_TO, Some("")).await?;
            self.repo
                .set_property(id, FAILED_IMPORT, Some(&outcome))
                .await?;
            return Err(ImageError::Conflict("import failed".into()));
        }
        self.repo.set_property(id, IMPORTING_TO, Some("")).await?;
        self.repo
            .set_property(id, FAILED_IMPORT, Some(&outcome))
            .await?;
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
            let copied = match self.read_location(&source).await {
                Ok(stream) => self.copy_into(&image, stream, store_id, false).await,
                Err(e) => Err(e),
            };
            match copied {
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

    /// Reads the data at `location` (a store or the staging area).
    async fn read_location(&self, location: &Location) -> Result<ByteStream> {
        let store = if location.store == STAGING_STORE {
            self.staging.clone()
        } else {
            self.stores
                .get(&location.store)
                .cloned()
                .ok_or_else(|| ImageError::Internal(format!("store {} is gone", location.store)))?
        };
        store
            .read(&location.url, None)
            .await
            .map_err(|e| ImageError::Internal(e.to_string()))
    }

    /// Streams `data` into store `store_id`; `inspect` checks the content against
    /// the image's disk format (and the size limits) on the way.
    async fn copy_into(
        &self,
        image: &Image,
        data: ByteStream,
        store_id: &str,
        inspect: bool,
    ) -> Result<(Location, Received)> {
        let to = self.stores.get(store_id).cloned().ok_or_else(|| {
            ImageError::Conflict(format!("Store for identifier {store_id} not found"))
        })?;
        let mut checks = self.data_checks(image, false).await?;
        if !inspect {
            checks.format = None;
            checks.limit = u64::MAX;
        }
        let writer = to
            .begin(&image.id)
            .await
            .map_err(|e| ImageError::Internal(e.to_string()))?;
        let (url, received) = receive(data, writer, &checks).await?;
        Ok((
            Location {
                store: store_id.to_string(),
                url,
            },
            received,
        ))
    }
}

/// The body of `uri`, fetched without following redirects (a redirect could lead
/// past the URI filter).
async fn fetch(uri: &str) -> Result<ByteStream> {
    use futures::{StreamExt, TryStreamExt};
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(|e| ImageError::Internal(e.to_string()))?;
    let response = client
        .get(uri)
        .send()
        .await
        .map_err(|e| ImageError::BadRequest(format!("Failed to download {uri}: {e}")))?;
    if !response.status().is_success() {
        return Err(ImageError::BadRequest(format!(
            "Failed to download {uri}: {}",
            response.status()
        )));
    }
    Ok(response
        .bytes_stream()
        .map_err(std::io::Error::other)
        .boxed())
}
