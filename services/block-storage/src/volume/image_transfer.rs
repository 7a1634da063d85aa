//! Image data between a volume host and the image API, on the caller's token:
//! downloads to a scratch file for a new volume, uploads a volume's copy.
//!
//! Downloaded data is untrusted whatever the image service says of it: it is
//! checked against the image's `os_hash_value` and inspected as it streams by,
//! against the image's `disk_format`, and refused when it is another format or
//! names other files (backing files, external data files, VMDK extents). What
//! the inspection found is the format qemu-img is then told (CVE-2024-32498).

use std::path::{Path, PathBuf};

use ferrostack_disk_format::{DiskFormat, Inspector};
use futures::StreamExt;
use sha2::Digest;
use tokio::io::AsyncWriteExt;

use super::driver::DriverError;

/// What the image service says an image's data is.
pub struct Expected<'a> {
    pub disk_format: &'a str,
    /// `os_hash_algo` and `os_hash_value`, when the image has them.
    pub hash: Option<(&'a str, &'a str)>,
}

/// A running hash of one of the algorithms Glance's `hashing_algorithm` offers.
enum Hasher {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn new(algo: &str) -> Result<Self, DriverError> {
        Ok(match algo {
            "sha256" => Hasher::Sha256(sha2::Sha256::new()),
            "sha384" => Hasher::Sha384(sha2::Sha384::new()),
            "sha512" => Hasher::Sha512(sha2::Sha512::new()),
            other => {
                return Err(DriverError::Failed(format!(
                    "the image's data cannot be verified: unknown os_hash_algo {other:?}"
                )))
            }
        })
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    fn hex(self) -> String {
        let bytes = match self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Checks streamed image data: its hash and its format.
pub struct Verifier {
    inspector: Inspector,
    hash: Option<(Hasher, String)>,
}

impl Verifier {
    pub fn new(expected: &Expected) -> Result<Self, DriverError> {
        let declared: DiskFormat = expected.disk_format.parse().map_err(|_| {
            DriverError::Failed(format!(
                "the image's disk_format {:?} is not one this host can check",
                expected.disk_format
            ))
        })?;
        let hash = match expected.hash {
            Some((algo, value)) => Some((Hasher::new(algo)?, value.to_ascii_lowercase())),
            None => None,
        };
        Ok(Verifier {
            inspector: Inspector::new(declared),
            hash,
        })
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        self.inspector.feed(chunk);
        if let Some((hasher, _)) = &mut self.hash {
            hasher.update(chunk);
        }
    }

    /// The format the data was found to be, if it is whole and safe.
    pub fn finish(self) -> Result<DiskFormat, DriverError> {
        if let Some((hasher, want)) = self.hash {
            let got = hasher.hex();
            if got != want {
                return Err(DriverError::Failed(format!(
                    "the downloaded image data does not match its os_hash_value (got {got})"
                )));
            }
        }
        self.inspector
            .finish()
            .map(|report| report.detected)
            .map_err(|e| DriverError::Failed(format!("the image is unacceptable: {e}")))
    }
}

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

    /// Streams image `image_id`'s data into `target`, verifying it as
    /// `expected`; returns the format the data was found to be.
    pub async fn download(
        &self,
        api_url: &str,
        token: &str,
        image_id: &str,
        target: &Path,
        expected: &Expected<'_>,
    ) -> Result<DiskFormat, DriverError> {
        let mut verifier = Verifier::new(expected)?;
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
            verifier.feed(&chunk);
            file.write_all(&chunk).await?;
        }
        file.sync_all().await?;
        verifier.finish()
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
