//! Events a build waits for (Nova's `InstanceEvents`): a server being built
//! here is expected before its ports are bound, so an event arriving before
//! anyone waits for it is kept; a wait ends when every awaited event came,
//! one came `failed`, the server was deleted, or time ran out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a delete is remembered for a build of the server that comes
/// after it (the two requests reach the host side by side).
const DELETES_KEPT: Duration = Duration::from_secs(600);

/// An event's key: its name and tag, as Nova writes it.
pub fn key(name: &str, tag: &str) -> String {
    format!("{name}-{tag}")
}

/// Why a wait ended without every event completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmet {
    /// These had not come when time ran out.
    TimedOut(Vec<String>),
    /// This one came `failed`.
    Failed(String),
    /// The server is being deleted.
    Cancelled,
}

/// What came for one expected server.
#[derive(Default)]
struct Expected {
    /// Key → status.
    came: HashMap<String, String>,
    cancelled: bool,
}

/// The events of the servers being built on one host.
#[derive(Default)]
pub struct InstanceEvents {
    /// Each expected server's events so far.
    expected: Mutex<HashMap<String, Expected>>,
    /// The servers deleted here lately, and when.
    deleted: Mutex<HashMap<String, Instant>>,
    arrived: tokio::sync::Notify,
}

/// A server's events kept while it lives; forgotten when dropped.
pub struct Expecting {
    events: Arc<InstanceEvents>,
    uuid: String,
}

impl Drop for Expecting {
    fn drop(&mut self) {
        self.events.lock().remove(&self.uuid);
    }
}

impl InstanceEvents {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Expected>> {
        self.expected.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn deleted(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.deleted.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps server `uuid`'s events from now on (its waits end at once
    /// when it was deleted here lately).
    pub fn expect(self: &Arc<Self>, uuid: &str) -> Expecting {
        let cancelled = self.deleted().contains_key(uuid);
        self.lock().entry(uuid.to_string()).or_default().cancelled |= cancelled;
        Expecting {
            events: self.clone(),
            uuid: uuid.to_string(),
        }
    }

    /// An event came; kept only for an expected server.
    pub fn deliver(&self, uuid: &str, name: &str, tag: &str, status: &str) {
        if let Some(expected) = self.lock().get_mut(uuid) {
            expected.came.insert(key(name, tag), status.to_string());
            self.arrived.notify_waiters();
        }
    }

    /// Ends the waits of server `uuid` (it is being deleted), also of a
    /// build of it still to come.
    pub fn cancel(&self, uuid: &str) {
        let now = Instant::now();
        let mut deleted = self.deleted();
        deleted.retain(|_, at| now.duration_since(*at) < DELETES_KEPT);
        deleted.insert(uuid.to_string(), now);
        drop(deleted);
        if let Some(expected) = self.lock().get_mut(uuid) {
            expected.cancelled = true;
            self.arrived.notify_waiters();
        }
    }

    /// Waits up to `timeout` for server `uuid`'s events `keys`.
    pub async fn wait(&self, uuid: &str, keys: &[String], timeout: Duration) -> Result<(), Unmet> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            // Registered before looking, so an event in between wakes it.
            arrived.as_mut().enable();
            let missing = {
                let expected = self.lock();
                let expected = expected.get(uuid);
                if expected.is_some_and(|e| e.cancelled) {
                    return Err(Unmet::Cancelled);
                }
                let status = |k: &String| expected.and_then(|e| e.came.get(k));
                if let Some(failed) = keys
                    .iter()
                    .find(|k| status(k).is_some_and(|s| s == "failed"))
                {
                    return Err(Unmet::Failed(failed.clone()));
                }
                keys.iter()
                    .filter(|k| status(k).is_none())
                    .cloned()
                    .collect::<Vec<_>>()
            };
            if missing.is_empty() {
                return Ok(());
            }
            tokio::select! {
                _ = &mut arrived => {}
                _ = tokio::time::sleep_until(deadline) => return Err(Unmet::TimedOut(missing)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ports: &[&str]) -> Vec<String> {
        ports
            .iter()
            .map(|p| key("network-vif-plugged", p))
            .collect()
    }

    #[tokio::test]
    async fn events_before_or_during_the_wait_end_it() {
        let events = Arc::new(InstanceEvents::default());
        let expecting = events.expect("s1");
        // One came before anyone waited: kept.
        events.deliver("s1", "network-vif-plugged", "p1", "completed");
        let later = events.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            later.deliver("s1", "network-vif-plugged", "p2", "completed");
        });
        let waited = events
            .wait("s1", &keys(&["p1", "p2"]), Duration::from_secs(5))
            .await;
        assert_eq!(waited, Ok(()));
        drop(expecting);
        assert!(events.lock().is_empty(), "a built server's events stay");
    }

    #[tokio::test]
    async fn a_failed_event_or_the_timeout_ends_it_unmet() {
        let events = Arc::new(InstanceEvents::default());
        let _expecting = events.expect("s1");
        events.deliver("s1", "network-vif-plugged", "p1", "failed");
        assert_eq!(
            events
                .wait("s1", &keys(&["p1"]), Duration::from_secs(5))
                .await,
            Err(Unmet::Failed(key("network-vif-plugged", "p1")))
        );
        assert_eq!(
            events
                .wait("s1", &keys(&["p2"]), Duration::from_millis(10))
                .await,
            Err(Unmet::TimedOut(keys(&["p2"])))
        );
    }

    #[tokio::test]
    async fn a_deleted_server_s_wait_ends() {
        let events = Arc::new(InstanceEvents::default());
        let _expecting = events.expect("s1");
        let deleter = events.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            deleter.cancel("s1");
        });
        assert_eq!(
            events
                .wait("s1", &keys(&["p1"]), Duration::from_secs(5))
                .await,
            Err(Unmet::Cancelled)
        );
    }

    #[tokio::test]
    async fn a_build_coming_after_the_delete_does_not_wait() {
        let events = Arc::new(InstanceEvents::default());
        events.cancel("s1");
        let _expecting = events.expect("s1");
        assert_eq!(
            events
                .wait("s1", &keys(&["p1"]), Duration::from_secs(5))
                .await,
            Err(Unmet::Cancelled)
        );
    }

    #[test]
    fn events_of_servers_not_expected_are_dropped() {
        let events = Arc::new(InstanceEvents::default());
        events.deliver("s9", "network-vif-plugged", "p1", "completed");
        assert!(events.lock().is_empty());
    }
}
