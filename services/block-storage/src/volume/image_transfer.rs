//! Image data between a volume host and the image API, on the caller's token:
//! downloads to a scratch file for a new volume, uploads a volume's copy.
//!
//! Downloaded data is untrusted whatever the image service says of it: it is
//! checked against the image's `os_hash_value` and inspected as it streams by,
//! against the image's `disk_format`, and refused when it is another format or
//! names other files (backing files, external data files, VMDK extents). What
//! the inspection found is the format qemu-img is then told (CVE-2024-32498).

use std::path::{Path, PathBuf};

use ferrostack_auth::service_http;
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

/// How a download failed: worth starting over, or not.
enum Transfer {
    BrokenOff(DriverError),
    Failed(DriverError),
}

impl Transfer {
    fn io(e: std::io::Error) -> Self {
        Transfer::Failed(e.into())
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
    pub fn open(dir: PathBuf, timeouts: service_http::Timeouts) -> std::io::Result<Self> {
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        std::fs::create_dir_all(&dir)?;
        Ok(ImageTransfer {
            http: service_http::client(timeouts),
            dir,
        })
    }

    /// A scratch path for `name`; the caller removes it.
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.dir
            .join(format!("{name}.{}", uuid::Uuid::new_v4().simple()))
    }

    /// Streams image `image_id`'s data into `target`, verifying it as
    /// `expected`; returns the format the data was found to be. A download the
    /// network broke off (or the image API refused with 502-504) starts over, up
    /// to [`service_http::ATTEMPTS`] times.
    pub async fn download(
        &self,
        api_url: &str,
        token: &str,
        image_id: &str,
        target: &Path,
        expected: &Expected<'_>,
    ) -> Result<DiskFormat, DriverError> {
        let mut attempt = 1;
        loop {
            match self
                .download_once(api_url, token, image_id, target, expected)
                .await
            {
                Err(Transfer::BrokenOff(e)) if attempt < service_http::ATTEMPTS => {
                    tracing::warn!(image = image_id, attempt, "{e}; downloading again");
                    tokio::time::sleep(std::time::Duration::from_millis(500 << attempt)).await;
                    attempt += 1;
                }
                Err(Transfer::BrokenOff(e) | Transfer::Failed(e)) => return Err(e),
                Ok(found) => return Ok(found),
            }
        }
    }

    async fn download_once(
        &self,
        api_url: &str,
        token: &str,
        image_id: &str,
        target: &Path,
        expected: &Expected<'_>,
    ) -> Result<DiskFormat, Transfer> {
        let mut verifier = Verifier::new(expected).map_err(Transfer::Failed)?;
        let url = format!("{api_url}/v2/images/{image_id}/file");
        let resp =
            service_http::retrying(|| self.http.get(&url).header("X-Auth-Token", token).send())
                .await
                .map_err(|e| Transfer::BrokenOff(failed("the image service is unreachable", e)))?;
        if resp.status().as_u16() != 200 {
            return Err(Transfer::Failed(DriverError::Failed(format!(
                "the image service answered {} to the download of image {image_id}",
                resp.status()
            ))));
        }
        let mut file = tokio::fs::File::create(target)
            .await
            .map_err(Transfer::io)?;
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk
                .map_err(|e| Transfer::BrokenOff(failed("the image download broke off", e)))?;
            verifier.feed(&chunk);
            file.write_all(&chunk).await.map_err(Transfer::io)?;
        }
        file.sync_all().await.map_err(Transfer::io)?;
        verifier.finish().map_err(Transfer::Failed)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::io::AsyncReadExt;

    /// An image API whose first answer breaks off halfway through the data.
    async fn flaky_image_api(data: Vec<u8>) -> (String, Arc<AtomicU32>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicU32::new(0));
        let counter = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    data.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let whole = counter.fetch_add(1, Ordering::SeqCst) > 0;
                let sent = if whole {
                    &data[..]
                } else {
                    &data[..data.len() / 2]
                };
                let _ = stream.write_all(sent).await;
            }
        });
        (url, hits)
    }

    #[tokio::test]
    async fn a_broken_off_download_starts_over_and_is_verified() {
        let data = vec![7u8; 256 * 1024];
        let hash: String = <sha2::Sha512 as Digest>::digest(&data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let (url, hits) = flaky_image_api(data.clone()).await;
        let dir = std::env::temp_dir().join(format!("ferro-transfer-{}", uuid::Uuid::new_v4()));
        let transfer = ImageTransfer::open(
            dir.clone(),
            service_http::Timeouts {
                connect: Duration::from_secs(2),
                read: Duration::from_secs(2),
            },
        )
        .unwrap();
        let target = transfer.scratch("img");
        let found = transfer
            .download(
                &url,
                "token",
                "img",
                &target,
                &Expected {
                    disk_format: "raw",
                    hash: Some(("sha512", &hash)),
                },
            )
            .await
            .unwrap();
        assert_eq!(found, DiskFormat::Raw);
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        assert_eq!(std::fs::read(&target).unwrap(), data);
        // Whole data that is not what the image service says it is: refused.
        let wrong = Expected {
            disk_format: "raw",
            hash: Some(("sha512", "00")),
        };
        let err = transfer
            .download(&url, "token", "img", &target, &wrong)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("os_hash_value"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
