//! What a server runs for each request, and the handle that stops it.

use crate::envelope::{RemoteError, Request};
use bytes::Bytes;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Handles one request. Casts may be delivered more than once (after a broker
/// restart, say), so handlers must be idempotent.
#[async_trait::async_trait]
pub trait Handler: Send + Sync + 'static {
    /// The reply payload, or the error the caller of `call` receives.
    async fn handle(&self, request: Request) -> Result<Bytes, RemoteError>;
}

/// A running server; it stops consuming when stopped or dropped.
pub struct ServerHandle {
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl ServerHandle {
    pub(crate) fn new(cancel: CancellationToken, task: JoinHandle<()>) -> Self {
        ServerHandle {
            cancel,
            task: Some(task),
        }
    }

    /// Stops consuming and waits until the server's consumers are gone.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Runs `handler` on `request` in its own task, so a panic becomes an error reply
/// instead of taking the consumer down.
pub(crate) async fn run_handler(
    handler: std::sync::Arc<dyn Handler>,
    request: Request,
) -> crate::envelope::Reply {
    use crate::envelope::{reply, Reply};
    let method = request.method.clone();
    let result = match tokio::spawn(async move { handler.handle(request).await }).await {
        Ok(result) => result,
        Err(e) => {
            tracing::error!(%method, "rpc handler panicked: {e}");
            Err(RemoteError {
                kind: "InternalError".into(),
                message: format!("handler for {method} failed"),
            })
        }
    };
    Reply {
        result: Some(match result {
            Ok(payload) => reply::Result::Payload(payload.to_vec()),
            Err(error) => reply::Result::Error(error),
        }),
    }
}

/// How long a handled message id is remembered: longer than a channel takes to
/// die and the broker to redeliver.
const REMEMBERED_FOR: std::time::Duration = std::time::Duration::from_secs(600);
/// Message ids remembered per server.
const REMEMBERED: u64 = 100_000;

/// The requests one server is handling or handled recently, by message id. A
/// delivery that comes again — the channel died before the ack reached the
/// broker, which redelivers — joins the first run instead of running again: it
/// waits for that run's reply, which survives the consumer that started it.
/// Redeliveries to another process are the handlers' to make harmless
/// (idempotent handlers); this makes them rare.
pub(crate) struct OnceByMessage {
    runs: moka::sync::Cache<String, std::sync::Arc<tokio::sync::OnceCell<crate::envelope::Reply>>>,
}

impl OnceByMessage {
    pub(crate) fn new() -> Self {
        OnceByMessage {
            runs: moka::sync::Cache::builder()
                .max_capacity(REMEMBERED)
                .time_to_live(REMEMBERED_FOR)
                .build(),
        }
    }

    /// The reply of `request`, running `handler` unless a run of the same message
    /// is under way or done.
    pub(crate) async fn handle(
        &self,
        handler: std::sync::Arc<dyn Handler>,
        request: Request,
    ) -> crate::envelope::Reply {
        if request.message_id.is_empty() {
            return run_handler(handler, request).await;
        }
        let run = self
            .runs
            .get_with(request.message_id.clone(), Default::default);
        let method = request.method.clone();
        // The run is a task of its own: the consumer waiting on it may be torn
        // down with its channel while the handler carries on.
        let task = tokio::spawn(async move {
            run.get_or_init(|| run_handler(handler, request))
                .await
                .clone()
        });
        task.await.unwrap_or_else(|e| {
            tracing::error!(%method, "rpc run failed: {e}");
            crate::envelope::Reply {
                result: Some(crate::envelope::reply::Result::Error(RemoteError {
                    kind: "InternalError".into(),
                    message: format!("handler for {method} failed"),
                })),
            }
        })
    }
}

/// The caller's view of a reply.
pub(crate) fn reply_result(reply: crate::envelope::Reply) -> Result<Bytes, crate::RpcError> {
    use crate::envelope::reply;
    match reply.result {
        Some(reply::Result::Payload(payload)) => Ok(Bytes::from(payload)),
        Some(reply::Result::Error(error)) => Err(crate::RpcError::Remote(error)),
        None => Err(crate::RpcError::Decode("reply without result".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    struct Slow(AtomicU32);

    #[async_trait::async_trait]
    impl Handler for Slow {
        async fn handle(&self, _request: Request) -> Result<Bytes, RemoteError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            Ok(Bytes::from_static(b"done"))
        }
    }

    fn request(id: &str) -> Request {
        Request {
            method: "slow".into(),
            message_id: id.into(),
            ..Request::default()
        }
    }

    #[tokio::test]
    async fn a_message_delivered_again_runs_once() {
        let handler = Arc::new(Slow(AtomicU32::new(0)));
        let once = Arc::new(OnceByMessage::new());
        // The first delivery's consumer dies while the handler runs.
        let first = tokio::spawn({
            let (once, handler) = (once.clone(), handler.clone());
            async move { once.handle(handler, request("m1")).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        first.abort();
        // Redelivered meanwhile, and again after it finished.
        let again = once.handle(handler.clone(), request("m1")).await;
        assert!(
            matches!(again.result, Some(crate::envelope::reply::Result::Payload(ref p)) if p == b"done")
        );
        once.handle(handler.clone(), request("m1")).await;
        assert_eq!(handler.0.load(Ordering::SeqCst), 1);
        // Another message runs.
        once.handle(handler.clone(), request("m2")).await;
        assert_eq!(handler.0.load(Ordering::SeqCst), 2);
    }
}
