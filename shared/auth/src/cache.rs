//! Cached validations: in-process always, in memcached when configured, so several
//! processes of a service share them. An entry never outlives its token.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use sha2::{Digest, Sha256};

use crate::cache_crypt::EntryKeys;
use crate::options::CacheProtection;
use crate::AuthContext;

pub(crate) struct TokenCache {
    ttl: Duration,
    local: moka::sync::Cache<String, Arc<AuthContext>>,
    memcached: Option<Arc<Memcached>>,
    protection: Option<CacheProtection>,
}

/// How a value is stored in memcached: under which key, and as what.
struct Stored {
    key: String,
    keys: Option<EntryKeys>,
}

impl Stored {
    fn seal(&self, plain: String) -> String {
        match &self.keys {
            Some(keys) => keys.protect(plain.as_bytes()),
            None => plain,
        }
    }

    fn open(&self, stored: String) -> Option<String> {
        match &self.keys {
            Some(keys) => String::from_utf8(keys.unprotect(&stored)?).ok(),
            None => Some(stored),
        }
    }
}

impl TokenCache {
    pub(crate) fn new(
        ttl: Duration,
        memcached_servers: &[String],
        protection: Option<CacheProtection>,
    ) -> Self {
        TokenCache {
            protection,
            ttl,
            local: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(ttl)
                .build(),
            memcached: (!memcached_servers.is_empty())
                .then(|| Arc::new(Memcached::new(memcached_servers))),
        }
    }

    /// The cache key: tokens themselves are never stored or logged.
    pub(crate) fn key(token: &str) -> String {
        let digest = Sha256::digest(token.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("ferrostack/authtoken/{hex}")
    }

    /// The memcached entry of the validation cached under `key`.
    fn stored(&self, key: &str) -> Stored {
        match &self.protection {
            Some(p) => {
                let keys = EntryKeys::derive(p.secret.expose().as_bytes(), key, p.strategy);
                Stored {
                    key: format!("ferrostack/authtoken/{}", keys.cache_key()),
                    keys: Some(keys),
                }
            }
            None => Stored {
                key: key.to_owned(),
                keys: None,
            },
        }
    }

    /// A cached, still unexpired validation.
    pub(crate) async fn get(&self, key: &str) -> Option<Arc<AuthContext>> {
        let fresh = |ctx: &AuthContext| ctx.expires_at > Utc::now();
        if let Some(ctx) = self.local.get(key) {
            if fresh(&ctx) {
                return Some(ctx);
            }
            self.local.invalidate(key);
        }
        let memcached = self.memcached.clone()?;
        let stored = self.stored(key);
        let memcached_key = stored.key.clone();
        let text = tokio::task::spawn_blocking(move || memcached.get(&memcached_key))
            .await
            .ok()??;
        let ctx: AuthContext = serde_json::from_str(&stored.open(text)?).ok()?;
        if !fresh(&ctx) {
            return None;
        }
        let ctx = Arc::new(ctx);
        self.local.insert(key.to_owned(), ctx.clone());
        Some(ctx)
    }

    /// Caches `ctx` for the cache time or until the token expires, whichever is first.
    pub(crate) async fn put(&self, key: &str, ctx: Arc<AuthContext>) {
        let remaining = (ctx.expires_at - Utc::now()).to_std().unwrap_or_default();
        let ttl = remaining.min(self.ttl);
        if ttl.is_zero() {
            return;
        }
        self.local.insert(key.to_owned(), ctx.clone());
        if let Some(memcached) = self.memcached.clone() {
            let stored = self.stored(key);
            let text = stored.seal(serde_json::to_string(&*ctx).unwrap_or_default());
            let key = stored.key;
            // Whole seconds, rounded down, and at least one.
            let seconds = u32::try_from(ttl.as_secs().max(1)).unwrap_or(u32::MAX);
            let _ = tokio::task::spawn_blocking(move || memcached.set(&key, &text, seconds)).await;
        }
    }
}

/// A lazily connected memcached client; failures are logged and mean "not cached".
struct Memcached {
    url: String,
    client: std::sync::Mutex<Option<memcache::Client>>,
}

impl Memcached {
    fn new(servers: &[String]) -> Self {
        let urls: Vec<String> = servers
            .iter()
            .map(|s| format!("memcache://{s}?timeout=1&tcp_nodelay=true"))
            .collect();
        Memcached {
            url: urls.join(","),
            client: std::sync::Mutex::new(None),
        }
    }

    fn with_client<T>(
        &self,
        op: impl FnOnce(&memcache::Client) -> Result<T, memcache::MemcacheError>,
    ) -> Option<T> {
        let mut guard = self.client.lock().ok()?;
        if guard.is_none() {
            let urls: Vec<&str> = self.url.split(',').collect();
            match memcache::Client::connect(urls) {
                Ok(client) => *guard = Some(client),
                Err(e) => {
                    tracing::warn!("memcached unavailable: {e}");
                    return None;
                }
            }
        }
        match op(guard.as_ref()?) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!("memcached operation failed: {e}");
                *guard = None;
                None
            }
        }
    }

    fn get(&self, key: &str) -> Option<String> {
        self.with_client(|c| c.get::<String>(key)).flatten()
    }

    fn set(&self, key: &str, value: &str, seconds: u32) {
        self.with_client(|c| c.set(key, value, seconds));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(expires_in: i64) -> Arc<AuthContext> {
        Arc::new(AuthContext {
            user_id: "u".into(),
            user_name: "u".into(),
            user_domain_id: "default".into(),
            project_id: Some("p".into()),
            project_name: None,
            project_domain_id: None,
            domain_id: None,
            domain_name: None,
            roles: vec!["member".into()],
            system_scope: None,
            is_admin_project: false,
            expires_at: Utc::now() + chrono::Duration::seconds(expires_in),
            service_roles: vec![],
            access_rules: vec![],
            token: Default::default(),
        })
    }

    #[tokio::test]
    async fn expired_tokens_are_never_served_from_cache() {
        let cache = TokenCache::new(Duration::from_secs(300), &[], None);
        cache.put("k", ctx(3600)).await;
        assert!(cache.get("k").await.is_some());
        cache.local.insert("old".into(), ctx(-1));
        assert!(cache.get("old").await.is_none());
        cache.put("gone", ctx(-5)).await;
        assert!(cache.get("gone").await.is_none());
    }

    #[test]
    fn keys_hide_the_token() {
        let key = TokenCache::key("gAAAAAsecret");
        assert!(!key.contains("secret"));
        assert_eq!(key.len(), "ferrostack/authtoken/".len() + 64);
    }
}
