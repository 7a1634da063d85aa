//! Runs a service's roles: what every role has besides its handlers. A
//! [`Runner`] keeps the RPC servers the roles serve, runs their periodic tasks
//! (heartbeats, capability reports, sweeps) every interval with a jitter, so
//! that many hosts do not report in step, and stops it all on shutdown: no new
//! periodic runs, servers stop consuming, and it waits for both.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::ServerHandle;

/// The roles running in one process.
pub struct Runner {
    shutdown: CancellationToken,
    servers: Vec<ServerHandle>,
    tasks: Vec<JoinHandle<()>>,
}

/// Up to this share of an interval is added or taken at random.
const JITTER: f64 = 0.1;

/// `interval` give or take [`JITTER`] of it.
fn jittered(interval: Duration) -> Duration {
    let unit = (uuid::Uuid::new_v4().as_u128() % 10_000) as f64 / 10_000.0;
    interval.mul_f64(1.0 - JITTER + 2.0 * JITTER * unit)
}

impl Runner {
    /// A runner whose roles stop when `shutdown` is cancelled (or [`Runner::stop`]).
    pub fn new(shutdown: CancellationToken) -> Self {
        Runner {
            shutdown,
            servers: Vec::new(),
            tasks: Vec::new(),
        }
    }

    /// The token that stops the roles.
    pub fn shutdown(&self) -> &CancellationToken {
        &self.shutdown
    }

    /// Keeps `server` serving until the runner stops.
    pub fn serve(&mut self, server: ServerHandle) {
        self.servers.push(server);
    }

    /// Runs `task` now, then again `interval` (± 10%) after each run ends, until
    /// shutdown; a run is never cut short, and runs never overlap.
    pub fn every<F, Fut>(&mut self, name: &'static str, interval: Duration, mut task: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let shutdown = self.shutdown.clone();
        self.tasks.push(tokio::spawn(async move {
            loop {
                task().await;
                tokio::select! {
                    _ = shutdown.cancelled() => {
                        tracing::debug!(task = name, "periodic task stopped");
                        return;
                    }
                    _ = tokio::time::sleep(jittered(interval)) => {}
                }
            }
        }));
    }

    /// Stops the roles and waits until their servers stopped consuming and
    /// their periodic tasks ended.
    pub async fn stop(self) {
        self.shutdown.cancel();
        for server in self.servers {
            server.stop().await;
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    #[test]
    fn jitter_stays_within_a_tenth() {
        for _ in 0..1000 {
            let d = jittered(Duration::from_secs(10));
            assert!(
                d >= Duration::from_secs(9) && d <= Duration::from_secs(11),
                "{d:?}"
            );
        }
    }

    #[tokio::test]
    async fn periodic_tasks_run_until_stopped() {
        let mut runner = Runner::new(CancellationToken::new());
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        runner.every("count", Duration::from_millis(20), move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        });
        tokio::time::sleep(Duration::from_millis(150)).await;
        runner.stop().await;
        let stopped_at = runs.load(Ordering::SeqCst);
        assert!(stopped_at >= 3, "{stopped_at} runs");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(runs.load(Ordering::SeqCst), stopped_at, "no run after stop");
    }
}
