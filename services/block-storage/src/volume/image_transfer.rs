//! Image data between a volume host and the image API, on the caller's token:
//! downloads to a scratch file for a new volume, uploads a volume's copy.

use std::path::{Path, PathBuf};

use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use super::driver::DriverError;

/// Moves image data; one per volume role.
pub struct ImageTransfer {
    http: reqwest::Client,
    /// Scratch files of this host, swept at start.
    dir: PathBuf,
}

fn failed(what: &str, e: impl std::fmt::Display) -> DriverError {
    DriverError::Failed(format!("{what}: {e}"))
}

impl ImageTransfer {
    /// A transfer keeping its scratch files in `dir`, emptied now of whatever an
    /// earlier run of this host left.
    pub fn open(dir: PathBuf) -> std::io::Result<Self> {
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        std::fs::create_dir_all(&dir)?;
        Ok(ImageTransfer {
            http: reqwest::Client::new(),
            dir,
        })
    }

    /// A scratch path for `name`; the caller removes it.
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.dir
            .join(format!("{name}.{}", uuid::Uuid::new_v4().simple()))
    }

    /// Streams image `image_id`'s data into `target`.
    pub async fn download(
        &self,
        api_url: &str,
        token: &str,
        image_id: &str,
        target: &Path,
    ) -> Result<(), DriverError> {
        let resp = self
            .http
            .get(format!("{api_url}/v2/images/{image_id}/file"))
            .header("X-Auth-Token", token)
            .send()
            .await
            .map_err(|e| failed("the image service is unreachable", e))?;
        if resp.status().as_u16() != 200 {
            return Err(DriverError::Failed(format!(
                "the image service answered {} to the download of image {image_id}",
                resp.status()
            )));
        }
        let mut file = tokio::fs::File::create(target).await?;
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| failed("the image download broke off", e))?;
            file.write_all(&chunk).await?;
        }
        file.sync_all().await?;
        Ok(())
    }

    /// Streams the file at `source` as image `image_id`'s data.
    pub async fn upload(
        &self,
        api_url: &str,
        token: &str,
        image_id: &str,
        source: &Path,
    ) -> Result<(), DriverError> {
        let file = tokio::fs::File::open(source).await?;
        let size = file.metadata().await?.len();
        let body =
            reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(file, 1 << 20));
        let resp = self
            .http
            .put(format!("{api_url}/v2/images/{image_id}/file"))
            .header("X-Auth-Token", token)
            .header("Content-Type", "application/octet-stream")
            .header("Content-Length", size)
            .body(body)
            .send()
            .await
            .map_err(|e| failed("the image service is unreachable", e))?;
        if resp.status().as_u16() != 204 {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            return Err(DriverError::Failed(format!(
                "the image service answered {status} to the upload of image {image_id}: {}",
                text.trim()
            )));
        }
        Ok(())
    }

    /// Deletes image `image_id` whose upload failed; a failure is only logged.
    pub async fn discard(&self, api_url: &str, token: &str, image_id: &str) {
        let sent = self
            .http
            .delete(format!("{api_url}/v2/images/{image_id}"))
            .header("X-Auth-Token", token)
            .send()
            .await;
        if let Err(e) = sent {
            tracing::warn!(image = image_id, "the failed upload's image stays: {e}");
        }
    }
}
