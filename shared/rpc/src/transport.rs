//! The transport abstraction and the URL that picks an implementation.

use std::{fmt, sync::Arc, time::Duration};

use crate::envelope::Request;
use bytes::Bytes;

use crate::{
    memory::MemoryTransport, notification::NotificationStream, rabbit::RabbitTransport, Handler,
    Notification, Priority, RpcError, ServerHandle,
};

/// Where a message goes: a topic's shared queue, or one host's directed queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub topic: String,
    pub server: Option<String>,
}

impl Target {
    /// Any one of the servers consuming `topic`.
    pub fn topic(topic: &str) -> Self {
        Target {
            topic: topic.to_owned(),
            server: None,
        }
    }

    /// Only the server of `topic` running on `host`.
    pub fn server(topic: &str, host: &str) -> Self {
        Target {
            topic: topic.to_owned(),
            server: Some(host.to_owned()),
        }
    }

    /// The queue name and routing key: `<topic>` or `<topic>.<host>`.
    pub fn queue(&self) -> String {
        match &self.server {
            Some(host) => format!("{}.{host}", self.topic),
            None => self.topic.clone(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.queue())
    }
}

/// Settings shared by both transports, with oslo.messaging's option names in mind.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    /// The topic exchange of this service (`[DEFAULT] control_exchange`).
    pub control_exchange: String,
    /// How long `cast` and `notify` keep retrying while the broker is away.
    pub send_timeout: Duration,
    /// Idle time after which an abandoned reply queue is deleted by the broker
    /// (`rabbit_transient_queues_ttl`).
    pub reply_queue_expiry: Duration,
    /// Unacknowledged deliveries per consumer (`rabbit_qos_prefetch_count`).
    pub prefetch: u16,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            control_exchange: "openstack".into(),
            send_timeout: Duration::from_secs(60),
            reply_queue_expiry: Duration::from_secs(1800),
            prefetch: 64,
        }
    }
}

/// A message bus. Implementations must give the same semantics.
#[async_trait::async_trait]
pub trait Transport: Send + Sync + 'static {
    /// Whether casts outlive this process: a broker keeps them (and gives an
    /// unfinished one to the next server) when the process dies. The memory
    /// bus's die with it, so a service on it sends again, when it starts, the
    /// work its database says was accepted but never done.
    fn durable(&self) -> bool;

    /// Sends `request` to one server of `target` and waits up to `timeout` for its reply.
    async fn call(
        &self,
        target: &Target,
        request: Request,
        timeout: Duration,
    ) -> Result<Bytes, RpcError>;

    /// Sends `request` to one server of `target`; returns once the broker has it.
    async fn cast(&self, target: &Target, request: Request) -> Result<(), RpcError>;

    /// Sends `request` to every server of `topic`.
    async fn fanout(&self, topic: &str, request: Request) -> Result<(), RpcError>;

    /// Publishes a notification on `notifications.<priority>`.
    async fn notify(&self, notification: &Notification) -> Result<(), RpcError>;

    /// Serves `topic` as `host`: the shared queue, the directed queue and a fanout queue.
    async fn serve(
        &self,
        topic: &str,
        host: &str,
        handler: Arc<dyn Handler>,
    ) -> Result<ServerHandle, RpcError>;

    /// Consumes notifications of one priority.
    async fn listen(&self, priority: Priority) -> Result<NotificationStream, RpcError>;
}

/// Connects to the transport `url` names: `memory://[name]` or `rabbit://...`.
pub async fn connect(url: &str, options: TransportOptions) -> Result<Arc<dyn Transport>, RpcError> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| RpcError::InvalidUrl(format!("{url:?} has no scheme")))?;
    match scheme {
        "memory" => Ok(Arc::new(MemoryTransport::named(rest, options))),
        "rabbit" | "amqp" => Ok(Arc::new(RabbitTransport::connect(rest, options).await?)),
        other => Err(RpcError::InvalidUrl(format!(
            "unsupported scheme {other:?}; use memory:// or rabbit://"
        ))),
    }
}
