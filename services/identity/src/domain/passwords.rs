//! bcrypt hashing off the async runtime (each hash takes ~250 ms at cost 12), at most
//! one per CPU at a time: more would only queue in threads (each with its own
//! allocator arena) and let a password flood starve everything else.

use std::sync::OnceLock;

use tokio::sync::Semaphore;

use super::{Error, Result};

async fn run_bcrypt<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    static CPUS: OnceLock<Semaphore> = OnceLock::new();
    let cpus = CPUS.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(1, usize::from))
    });
    let _permit = cpus
        .acquire()
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Hashes `password` with bcrypt at `cost`.
pub async fn hash(password: String, cost: u32) -> Result<String> {
    run_bcrypt(move || bcrypt::hash(password, cost))
        .await?
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Checks `password` against a stored bcrypt hash; a malformed hash never matches.
pub async fn verify(password: String, stored: String) -> Result<bool> {
    run_bcrypt(move || bcrypt::verify(password, &stored).unwrap_or(false)).await
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn round_trip_and_mismatch() {
        let stored = super::hash("secret".into(), 4).await.unwrap();
        assert!(stored.starts_with("$2"));
        assert!(super::verify("secret".into(), stored.clone())
            .await
            .unwrap());
        assert!(!super::verify("wrong".into(), stored).await.unwrap());
        assert!(!super::verify("secret".into(), "garbage".into())
            .await
            .unwrap());
    }
}
