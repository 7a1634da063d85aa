//! `rabbit://`: RabbitMQ through amqprs, with oslo.messaging's topology — a topic
//! exchange per service (`control_exchange`), durable queues `<topic>` and
//! `<topic>.<host>`, a fanout exchange `<topic>_fanout` with one queue per server,
//! a reply queue per process, and `notifications.<priority>` queues.

mod connection;
mod consumer;
mod publisher;
mod url;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::envelope::{Reply, Request};
use amqprs::{BasicProperties, DELIVERY_MODE_PERSISTENT};
use bytes::Bytes;
use prost::Message;
use tokio::{
    sync::{oneshot, watch},
    time::Instant,
};
use tokio_util::sync::CancellationToken;

use crate::{
    handler::reply_result, notification::NotificationStream, Handler, Notification, Priority,
    RpcError, ServerHandle, Target, Transport, TransportOptions,
};
use connection::Live;
use publisher::PublishError;
pub(crate) use url::BrokerUrl;

/// State shared by the transport, its supervisor and its consumers.
pub(crate) struct Shared {
    url: BrokerUrl,
    options: TransportOptions,
    live: watch::Receiver<Option<Arc<Live>>>,
    reply_queue: String,
    calls: Mutex<HashMap<String, oneshot::Sender<Reply>>>,
    cancel: CancellationToken,
}

impl Shared {
    /// The current connection, waiting for one until `deadline`.
    async fn live(&self, deadline: Option<Instant>) -> Result<Arc<Live>, RpcError> {
        let mut rx = self.live.clone();
        loop {
            if let Some(live) = rx.borrow_and_update().clone() {
                if live.connection.is_open() {
                    return Ok(live);
                }
            }
            let changed = rx.changed();
            let outcome = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, changed).await,
                None => Ok(changed.await),
            };
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return Err(RpcError::Unavailable("transport closed".into())),
                Err(_) => {
                    return Err(RpcError::Unavailable(
                        "no connection to RabbitMQ before the deadline".into(),
                    ))
                }
            }
        }
    }

    /// Publishes with confirms, retrying across reconnects until `deadline`. A
    /// `mandatory` publish no queue takes fails at once.
    async fn publish(
        &self,
        exchange: &str,
        routing_key: &str,
        properties: BasicProperties,
        body: Vec<u8>,
        mandatory: bool,
        deadline: Instant,
    ) -> Result<(), RpcError> {
        loop {
            let live = self.live(Some(deadline)).await?;
            let wait = deadline.saturating_duration_since(Instant::now());
            match live
                .publisher
                .publish(
                    exchange,
                    routing_key,
                    properties.clone(),
                    body.clone(),
                    mandatory,
                    wait,
                )
                .await
            {
                Ok(()) => return Ok(()),
                Err(PublishError::Unroutable) => {
                    return Err(RpcError::Unroutable(routing_key.to_owned()))
                }
                Err(PublishError::Failed(e)) if Instant::now() >= deadline => {
                    return Err(RpcError::Unavailable(e))
                }
                Err(PublishError::Failed(e)) => {
                    tracing::debug!(
                        exchange,
                        routing_key,
                        "publish not confirmed, retrying: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn send_deadline(&self) -> Instant {
        Instant::now() + self.options.send_timeout
    }
}

/// The RabbitMQ transport; dropping it closes its connection.
pub(crate) struct RabbitTransport {
    shared: Arc<Shared>,
}

impl RabbitTransport {
    /// Starts connecting; operations wait for the connection (up to their deadlines).
    pub(crate) async fn connect(rest: &str, options: TransportOptions) -> Result<Self, RpcError> {
        let url = BrokerUrl::parse(rest)?;
        let (tx, rx) = watch::channel(None);
        let shared = Arc::new(Shared {
            url,
            options,
            live: rx,
            reply_queue: format!("reply_{}", uuid::Uuid::new_v4().simple()),
            calls: Mutex::new(HashMap::new()),
            cancel: CancellationToken::new(),
        });
        tokio::spawn(connection::supervise(shared.clone(), tx));
        Ok(RabbitTransport { shared })
    }
}

impl Drop for RabbitTransport {
    fn drop(&mut self) {
        self.shared.cancel.cancel();
    }
}

fn persistent() -> BasicProperties {
    let mut properties = BasicProperties::default();
    properties
        .with_delivery_mode(DELIVERY_MODE_PERSISTENT)
        .with_content_type("application/x-protobuf");
    properties
}

#[async_trait::async_trait]
impl Transport for RabbitTransport {
    fn durable(&self) -> bool {
        true
    }

    async fn call(
        &self,
        target: &Target,
        request: Request,
        timeout: Duration,
    ) -> Result<Bytes, RpcError> {
        let deadline = Instant::now() + timeout;
        let correlation_id = uuid::Uuid::new_v4().simple().to_string();
        let method = request.method.clone();
        let (tx, rx) = oneshot::channel();
        self.shared
            .calls
            .lock()
            .expect("calls poisoned")
            .insert(correlation_id.clone(), tx);
        let mut properties = BasicProperties::default();
        properties
            .with_content_type("application/x-protobuf")
            .with_reply_to(&self.shared.reply_queue)
            .with_correlation_id(&correlation_id)
            .with_expiration(&timeout.as_millis().to_string());
        let outcome = async {
            self.shared
                .publish(
                    &self.shared.options.control_exchange,
                    &target.queue(),
                    properties,
                    request.encode_to_vec(),
                    true,
                    deadline,
                )
                .await?;
            match tokio::time::timeout_at(deadline, rx).await {
                Ok(Ok(reply)) => reply_result(reply),
                _ => Err(RpcError::Timeout {
                    target: target.to_string(),
                    method,
                    timeout,
                }),
            }
        }
        .await;
        self.shared
            .calls
            .lock()
            .expect("calls poisoned")
            .remove(&correlation_id);
        outcome
    }

    async fn cast(&self, target: &Target, request: Request) -> Result<(), RpcError> {
        self.shared
            .publish(
                &self.shared.options.control_exchange,
                &target.queue(),
                persistent(),
                request.encode_to_vec(),
                true,
                self.shared.send_deadline(),
            )
            .await
    }

    async fn fanout(&self, topic: &str, request: Request) -> Result<(), RpcError> {
        let exchange = consumer::fanout_exchange(topic);
        let deadline = self.shared.send_deadline();
        let live = self.shared.live(Some(deadline)).await?;
        live.ensure_exchange(&exchange, "fanout", false)
            .await
            .map_err(RpcError::Unavailable)?;
        self.shared
            .publish(
                &exchange,
                "",
                BasicProperties::default(),
                request.encode_to_vec(),
                false,
                deadline,
            )
            .await
    }

    async fn notify(&self, notification: &Notification) -> Result<(), RpcError> {
        let deadline = self.shared.send_deadline();
        let queue = notification.priority.queue();
        let live = self.shared.live(Some(deadline)).await?;
        live.ensure_bound_queue(&queue, &self.shared.options.control_exchange)
            .await
            .map_err(RpcError::Unavailable)?;
        let mut properties = persistent();
        properties.with_content_type("application/json");
        self.shared
            .publish(
                &self.shared.options.control_exchange,
                &queue,
                properties,
                notification.to_wire(),
                false,
                deadline,
            )
            .await
    }

    async fn serve(
        &self,
        topic: &str,
        host: &str,
        handler: Arc<dyn Handler>,
    ) -> Result<ServerHandle, RpcError> {
        consumer::serve(self.shared.clone(), topic, host, handler).await
    }

    async fn listen(&self, priority: Priority) -> Result<NotificationStream, RpcError> {
        consumer::listen(self.shared.clone(), priority).await
    }
}
