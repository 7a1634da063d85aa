//! What a server runs for each request, and the handle that stops it.

use bytes::Bytes;
use ferrostack_proto::rpc::{RemoteError, Request};
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
) -> ferrostack_proto::rpc::Reply {
    use ferrostack_proto::rpc::{reply, Reply};
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

/// The caller's view of a reply.
pub(crate) fn reply_result(reply: ferrostack_proto::rpc::Reply) -> Result<Bytes, crate::RpcError> {
    use ferrostack_proto::rpc::reply;
    match reply.result {
        Some(reply::Result::Payload(payload)) => Ok(Bytes::from(payload)),
        Some(reply::Result::Error(error)) => Err(crate::RpcError::Remote(error)),
        None => Err(crate::RpcError::Decode("reply without result".into())),
    }
}
