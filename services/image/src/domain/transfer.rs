//! Moving image data into a store: one pass that writes, hashes, inspects and
//! counts, never holding more than a few chunks in memory.

use bytes::Bytes;
use futures::{Stream, StreamExt};

use super::digest::{Digests, Hashes};
use super::error::{ImageError, Result};
use crate::store::StoreWriter;
use ferrostack_disk_format::{DiskFormat, Inspector};

/// What one pass over the data found.
#[derive(Debug, Clone)]
pub struct Received {
    pub size: u64,
    pub hashes: Hashes,
    pub virtual_size: Option<u64>,
}

/// How to check the data.
pub struct Checks {
    /// Refuse more than this many bytes (413 with `limit_message`).
    pub limit: u64,
    pub limit_message: String,
    /// Inspect the content against this declared format.
    pub format: Option<DiskFormat>,
}

/// Streams `body` into `writer`, hashing and inspecting on the way, and commits.
/// On any failure the writer is aborted (no partial data is kept) and the error
/// returned; on success the location URL comes back with what was found.
pub async fn receive<S, E>(
    body: S,
    mut writer: Box<dyn StoreWriter>,
    checks: &Checks,
) -> Result<(String, Received)>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Send,
    E: std::fmt::Display,
{
    let digests = Digests::start();
    let mut inspector = checks.format.map(Inspector::new);
    let mut size: u64 = 0;
    let mut body = std::pin::pin!(body);
    let outcome: Result<()> = async {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                ImageError::BadRequest(format!("Error reading the uploaded data: {e}"))
            })?;
            size += chunk.len() as u64;
            if size > checks.limit {
                return Err(ImageError::TooLarge(checks.limit_message.clone()));
            }
            if let Some(inspector) = inspector.as_mut() {
                inspector.feed(&chunk);
            }
            digests.update(&chunk).await;
            writer
                .write(chunk)
                .await
                .map_err(|e| ImageError::Internal(e.to_string()))?;
        }
        Ok(())
    }
    .await;
    let hashes = digests.finish().await;
    if let Err(e) = outcome {
        writer.abort().await;
        return Err(e);
    }
    let virtual_size = match inspector.map(Inspector::finish) {
        Some(Ok(report)) => report.virtual_size,
        Some(Err(e)) => {
            writer.abort().await;
            return Err(ImageError::BadRequest(e.to_string()));
        }
        None => None,
    };
    let url = writer
        .commit()
        .await
        .map_err(|e| ImageError::Internal(e.to_string()))?;
    Ok((
        url,
        Received {
            size,
            hashes,
            virtual_size,
        },
    ))
}
