//! The connection supervisor: connects (trying each node in turn, with backoff),
//! declares the topology, and starts over whenever the connection is lost.

use std::{collections::HashSet, sync::Arc, time::Duration};

use crate::envelope::Reply;
use amqprs::{
    callbacks::ConnectionCallback,
    channel::{
        BasicConsumeArguments, Channel, ExchangeDeclareArguments, QueueBindArguments,
        QueueDeclareArguments,
    },
    connection::{Connection, OpenConnectionArguments},
    Close, FieldTable, FieldValue,
};
use prost::Message;
use tokio::sync::watch;

use super::{publisher::Publisher, Shared};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// One established connection with its publishing and declaring channels.
pub(crate) struct Live {
    pub connection: Connection,
    pub publisher: Publisher,
    admin: tokio::sync::Mutex<Channel>,
    declared: std::sync::Mutex<HashSet<String>>,
}

impl Live {
    /// Declares an exchange once per connection.
    pub(crate) async fn ensure_exchange(
        &self,
        name: &str,
        kind: &str,
        durable: bool,
    ) -> Result<(), String> {
        if self
            .declared
            .lock()
            .expect("declared poisoned")
            .contains(name)
        {
            return Ok(());
        }
        let admin = self.admin.lock().await;
        declare_exchange(&admin, name, kind, durable).await?;
        self.declared
            .lock()
            .expect("declared poisoned")
            .insert(name.to_owned());
        Ok(())
    }

    /// Declares a durable queue bound to `exchange` by its own name, once per connection.
    pub(crate) async fn ensure_bound_queue(
        &self,
        queue: &str,
        exchange: &str,
    ) -> Result<(), String> {
        let key = format!("queue:{queue}");
        if self
            .declared
            .lock()
            .expect("declared poisoned")
            .contains(&key)
        {
            return Ok(());
        }
        let admin = self.admin.lock().await;
        declare_bound_queue(&admin, queue, exchange, queue, true).await?;
        self.declared.lock().expect("declared poisoned").insert(key);
        Ok(())
    }
}

/// Declares an exchange of `kind` (`topic`, `fanout`, ...).
pub(crate) async fn declare_exchange(
    channel: &Channel,
    name: &str,
    kind: &str,
    durable: bool,
) -> Result<(), String> {
    channel
        .exchange_declare(
            ExchangeDeclareArguments::new(name, kind)
                .durable(durable)
                .finish(),
        )
        .await
        .map_err(|e| format!("declaring exchange {name}: {e}"))
}

/// Declares `queue` and binds it to `exchange` with `key`.
pub(crate) async fn declare_bound_queue(
    channel: &Channel,
    queue: &str,
    exchange: &str,
    key: &str,
    durable: bool,
) -> Result<(), String> {
    let mut args = QueueDeclareArguments::new(queue);
    args.durable(durable)
        .auto_delete(!durable)
        .exclusive(!durable);
    channel
        .queue_declare(args)
        .await
        .map_err(|e| format!("declaring queue {queue}: {e}"))?;
    channel
        .queue_bind(QueueBindArguments::new(queue, exchange, key))
        .await
        .map_err(|e| format!("binding queue {queue}: {e}"))
}

/// Keeps `live` pointing at a working connection until the transport is dropped.
pub(crate) async fn supervise(shared: Arc<Shared>, live: watch::Sender<Option<Arc<Live>>>) {
    let mut backoff = Duration::from_millis(100);
    let mut attempt = 0usize;
    while !shared.cancel.is_cancelled() {
        let node = &shared.url.nodes[attempt % shared.url.nodes.len()];
        attempt += 1;
        match establish(&shared, node).await {
            Ok(current) => {
                tracing::info!(host = %node.host, port = node.port, "connected to RabbitMQ");
                backoff = Duration::from_millis(100);
                live.send_replace(Some(current.clone()));
                wait_for_loss(&current.connection, &shared).await;
                live.send_replace(None);
                current.publisher.abandon();
                if !shared.cancel.is_cancelled() {
                    tracing::warn!(host = %node.host, "lost the RabbitMQ connection; reconnecting");
                }
                let _ = current.connection.clone().close().await;
            }
            Err(e) => {
                tracing::warn!(host = %node.host, port = node.port, "RabbitMQ unavailable: {e}; retrying in {backoff:?}");
                tokio::select! {
                    _ = shared.cancel.cancelled() => break,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

async fn establish(shared: &Arc<Shared>, node: &super::url::Node) -> Result<Arc<Live>, String> {
    let args =
        OpenConnectionArguments::new(&node.host, node.port, &node.user, node.password.expose())
            .virtual_host(&shared.url.vhost)
            .connection_name(&shared.reply_queue)
            .heartbeat(30)
            .finish();
    let connection = tokio::time::timeout(CONNECT_TIMEOUT, Connection::open(&args))
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| e.to_string())?;
    connection
        .register_callback(QuietConnectionCallback)
        .await
        .map_err(|e| e.to_string())?;
    let channel = |c: &Connection| {
        let c = c.clone();
        async move { c.open_channel(None).await.map_err(|e| e.to_string()) }
    };
    let publisher = Publisher::new(connection.clone())
        .await
        .map_err(|e| e.to_string())?;
    let admin = channel(&connection).await?;
    declare_exchange(&admin, &shared.options.control_exchange, "topic", true).await?;
    start_reply_consumer(shared, channel(&connection).await?).await?;
    let mut declared = HashSet::new();
    declared.insert(shared.options.control_exchange.clone());
    Ok(Arc::new(Live {
        connection,
        publisher,
        admin: tokio::sync::Mutex::new(admin),
        declared: std::sync::Mutex::new(declared),
    }))
}

/// Declares this process's reply queue (deleted by the broker after it sits unused
/// for `reply_queue_expiry`) and routes each reply to the call waiting for it.
async fn start_reply_consumer(shared: &Arc<Shared>, channel: Channel) -> Result<(), String> {
    let mut arguments = FieldTable::new();
    let expiry_ms =
        i32::try_from(shared.options.reply_queue_expiry.as_millis()).unwrap_or(i32::MAX);
    arguments.insert(
        "x-expires".try_into().expect("short name"),
        FieldValue::I(expiry_ms),
    );
    let mut declare = QueueDeclareArguments::new(&shared.reply_queue);
    declare.arguments(arguments);
    channel
        .queue_declare(declare)
        .await
        .map_err(|e| format!("declaring reply queue: {e}"))?;
    let consume = BasicConsumeArguments::new(&shared.reply_queue, "")
        .manual_ack(false)
        .finish();
    let (_, mut deliveries) = channel
        .basic_consume_rx(consume)
        .await
        .map_err(|e| format!("consuming replies: {e}"))?;
    let shared = Arc::downgrade(shared);
    tokio::spawn(async move {
        let _channel = channel;
        while let Some(message) = deliveries.recv().await {
            let Some(shared) = shared.upgrade() else {
                break;
            };
            let correlation_id = message
                .basic_properties
                .as_ref()
                .and_then(|p| p.correlation_id())
                .cloned()
                .unwrap_or_default();
            let reply = match Reply::decode(message.content.as_deref().unwrap_or_default()) {
                Ok(reply) => reply,
                Err(e) => {
                    tracing::warn!(%correlation_id, "dropping undecodable reply: {e}");
                    continue;
                }
            };
            let waiting = shared
                .calls
                .lock()
                .expect("calls poisoned")
                .remove(&correlation_id);
            if let Some(tx) = waiting {
                let _ = tx.send(reply);
            }
        }
    });
    Ok(())
}

async fn wait_for_loss(connection: &Connection, shared: &Shared) {
    let mut poll = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = shared.cancel.cancelled() => return,
            _ = connection.listen_network_io_failure() => return,
            _ = poll.tick() => if !connection.is_open() { return },
        }
    }
}

/// Lets the broker close the connection (e.g. `rabbitmqctl stop_app`) without noise;
/// the supervisor notices and reconnects.
struct QuietConnectionCallback;

#[async_trait::async_trait]
impl ConnectionCallback for QuietConnectionCallback {
    async fn close(
        &mut self,
        _connection: &Connection,
        close: Close,
    ) -> Result<(), amqprs::error::Error> {
        tracing::warn!("RabbitMQ closed the connection: {close}");
        Ok(())
    }
    async fn blocked(&mut self, _connection: &Connection, reason: String) {
        tracing::warn!("RabbitMQ blocked publishing: {reason}");
    }
    async fn unblocked(&mut self, _connection: &Connection) {
        tracing::info!("RabbitMQ unblocked publishing");
    }
    async fn secret_updated(&mut self, _connection: &Connection) {}
}
