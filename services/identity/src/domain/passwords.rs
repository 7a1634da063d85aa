//! bcrypt hashing off the async runtime (each hash takes ~250 ms at cost 12).

use super::{Error, Result};

/// Hashes `password` with bcrypt at `cost`.
pub async fn hash(password: String, cost: u32) -> Result<String> {
    tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Checks `password` against a stored bcrypt hash; a malformed hash never matches.
pub async fn verify(password: String, stored: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || bcrypt::verify(password, &stored).unwrap_or(false))
        .await
        .map_err(|e| Error::Internal(e.to_string()))
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
