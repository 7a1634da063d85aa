//! MD5 (`checksum`) and SHA-512 (`os_hash_value`) of a stream, each computed on its
//! own blocking thread so hashing keeps pace with the network and the store.

use bytes::Bytes;
use md5::Md5;
use sha2::{Digest, Sha512};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Chunks queued per hasher before the producer waits.
const QUEUE: usize = 32;

/// The hashes of some data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashes {
    pub md5: String,
    pub sha512: String,
}

/// Hashers running in the background; feed chunks in order, then [`Digests::finish`].
pub struct Digests {
    senders: Vec<mpsc::Sender<Bytes>>,
    md5: JoinHandle<String>,
    sha512: JoinHandle<String>,
}

fn hasher<D: Digest + Send + 'static>(mut rx: mpsc::Receiver<Bytes>) -> JoinHandle<String> {
    tokio::task::spawn_blocking(move || {
        let mut digest = D::new();
        while let Some(chunk) = rx.blocking_recv() {
            digest.update(&chunk);
        }
        hex(&digest.finalize())
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Digests {
    pub fn start() -> Self {
        let (md5_tx, md5_rx) = mpsc::channel(QUEUE);
        let (sha_tx, sha_rx) = mpsc::channel(QUEUE);
        Digests {
            senders: vec![md5_tx, sha_tx],
            md5: hasher::<Md5>(md5_rx),
            sha512: hasher::<Sha512>(sha_rx),
        }
    }

    /// Hands the next chunk to both hashers (cheap: `Bytes` is shared).
    pub async fn update(&self, chunk: &Bytes) {
        for tx in &self.senders {
            let _ = tx.send(chunk.clone()).await;
        }
    }

    /// The hashes of everything fed.
    pub async fn finish(self) -> Hashes {
        drop(self.senders);
        Hashes {
            md5: self.md5.await.unwrap_or_default(),
            sha512: self.sha512.await.unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn known_digests() {
        let digests = Digests::start();
        digests.update(&Bytes::from_static(b"ab")).await;
        digests.update(&Bytes::from_static(b"c")).await;
        let hashes = digests.finish().await;
        assert_eq!(hashes.md5, "900150983cd24fb0d6963f7d28e17f72");
        assert!(hashes.sha512.starts_with("ddaf35a193617aba"));
        assert_eq!(hashes.sha512.len(), 128);
    }
}
