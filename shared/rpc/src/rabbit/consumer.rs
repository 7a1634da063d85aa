//! Consumers that survive reconnects: RPC servers and notification listeners.
//! Each declares its queues on every (re)connection, consumes with manual acks and
//! acknowledges a delivery only after its handler finished, so a message whose
//! handler never completed is delivered again.

use std::{sync::Arc, time::Duration};

use crate::envelope::Request;
use amqprs::{
    channel::{
        BasicAckArguments, BasicCancelArguments, BasicConsumeArguments, BasicQosArguments, Channel,
        ConsumerMessage,
    },
    BasicProperties,
};
use prost::Message;
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinSet,
};
use tokio_util::sync::CancellationToken;

use super::{
    connection::{declare_bound_queue, declare_exchange},
    Shared,
};
use crate::{
    handler::OnceByMessage, notification::NotificationStream, Handler, Notification, Priority,
    RpcError, ServerHandle,
};

/// How long a stopping consumer lets in-flight handlers finish.
const DRAIN: Duration = Duration::from_secs(10);

/// The fanout exchange of `topic`.
pub(crate) fn fanout_exchange(topic: &str) -> String {
    format!("{topic}_fanout")
}

/// What a consumer declares and what it does with each delivery.
#[async_trait::async_trait]
trait Subscription: Send + Sync + 'static {
    /// Declares the queues on a fresh channel; returns the names to consume.
    async fn declare(&self, shared: &Shared, channel: &Channel) -> Result<Vec<String>, String>;
    /// Handles one delivery; the caller acknowledges it afterwards.
    async fn deliver(&self, shared: &Shared, message: ConsumerMessage);
}

/// Starts an RPC server of `topic` on `host`, returning once its queues exist.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    topic: &str,
    host: &str,
    handler: Arc<dyn Handler>,
) -> Result<ServerHandle, RpcError> {
    let server = RpcServer {
        topic: topic.to_owned(),
        host: host.to_owned(),
        fanout_queue: format!(
            "{}_{}",
            fanout_exchange(topic),
            uuid::Uuid::new_v4().simple()
        ),
        handler,
        runs: OnceByMessage::new(),
    };
    start(shared, Arc::new(server)).await
}

/// Starts a listener of `notifications.<priority>`.
pub(crate) async fn listen(
    shared: Arc<Shared>,
    priority: Priority,
) -> Result<NotificationStream, RpcError> {
    let (tx, rx) = mpsc::channel(64);
    let handle = start(shared, Arc::new(Listener { priority, tx })).await?;
    Ok(NotificationStream::new(rx, Some(handle)))
}

async fn start(
    shared: Arc<Shared>,
    subscription: Arc<dyn Subscription>,
) -> Result<ServerHandle, RpcError> {
    let cancel = shared.cancel.child_token();
    let (ready_tx, ready_rx) = oneshot::channel();
    let deadline = shared.send_deadline();
    let task = tokio::spawn(run(shared, subscription, cancel.clone(), ready_tx));
    let handle = ServerHandle::new(cancel, task);
    match tokio::time::timeout_at(deadline, ready_rx).await {
        Ok(Ok(())) => Ok(handle),
        _ => Err(RpcError::Unavailable(
            "could not declare the consumer's queues in time".into(),
        )),
    }
}

async fn run(
    shared: Arc<Shared>,
    subscription: Arc<dyn Subscription>,
    cancel: CancellationToken,
    ready: oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    loop {
        let live = tokio::select! {
            _ = cancel.cancelled() => return,
            live = shared.live(None) => match live { Ok(live) => live, Err(_) => return },
        };
        match consume(
            &shared,
            &live.connection,
            &subscription,
            &cancel,
            &mut ready,
        )
        .await
        {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!("consumer interrupted: {e}; resuming after reconnect");
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                }
            }
        }
    }
}

/// Consumes until cancelled (`Ok`) or until the channel dies (`Err`).
async fn consume(
    shared: &Arc<Shared>,
    connection: &amqprs::connection::Connection,
    subscription: &Arc<dyn Subscription>,
    cancel: &CancellationToken,
    ready: &mut Option<oneshot::Sender<()>>,
) -> Result<(), String> {
    let channel = connection
        .open_channel(None)
        .await
        .map_err(|e| e.to_string())?;
    channel
        .basic_qos(BasicQosArguments::new(0, shared.options.prefetch, false))
        .await
        .map_err(|e| e.to_string())?;
    let queues = subscription.declare(shared, &channel).await?;
    let (merged_tx, mut merged) = mpsc::unbounded_channel();
    let mut tags = Vec::new();
    for queue in &queues {
        let args = BasicConsumeArguments::new(queue, "")
            .manual_ack(true)
            .finish();
        let (tag, mut rx) = channel
            .basic_consume_rx(args)
            .await
            .map_err(|e| format!("consuming {queue}: {e}"))?;
        tags.push(tag);
        let tx = merged_tx.clone();
        tokio::spawn(async move {
            while let Some(message) = rx.recv().await {
                if tx.send(Some(message)).is_err() {
                    return;
                }
            }
            let _ = tx.send(None);
        });
    }
    if let Some(ready) = ready.take() {
        let _ = ready.send(());
    }
    let mut inflight = JoinSet::new();
    let outcome = loop {
        let next = tokio::select! {
            _ = cancel.cancelled() => break Ok(()),
            Some(_) = inflight.join_next(), if !inflight.is_empty() => continue,
            next = merged.recv() => next,
        };
        let Some(Some(message)) = next else {
            break Err("the consuming channel closed".to_string());
        };
        let tag = message.deliver.as_ref().map(|d| d.delivery_tag());
        let (shared, subscription, channel) =
            (shared.clone(), subscription.clone(), channel.clone());
        inflight.spawn(async move {
            subscription.deliver(&shared, message).await;
            if let Some(tag) = tag {
                if let Err(e) = channel.basic_ack(BasicAckArguments::new(tag, false)).await {
                    tracing::debug!("ack failed, the broker will redeliver: {e}");
                }
            }
        });
    };
    if outcome.is_ok() {
        for tag in tags {
            let _ = channel.basic_cancel(BasicCancelArguments::new(&tag)).await;
        }
    }
    let _ = tokio::time::timeout(DRAIN, async {
        while inflight.join_next().await.is_some() {}
    })
    .await;
    let _ = channel.close().await;
    outcome
}

struct RpcServer {
    topic: String,
    host: String,
    fanout_queue: String,
    handler: Arc<dyn Handler>,
    runs: OnceByMessage,
}

#[async_trait::async_trait]
impl Subscription for RpcServer {
    async fn declare(&self, shared: &Shared, channel: &Channel) -> Result<Vec<String>, String> {
        let exchange = &shared.options.control_exchange;
        declare_exchange(channel, exchange, "topic", true).await?;
        declare_bound_queue(channel, &self.topic, exchange, &self.topic, true).await?;
        let directed = format!("{}.{}", self.topic, self.host);
        declare_bound_queue(channel, &directed, exchange, &directed, true).await?;
        let fanout = fanout_exchange(&self.topic);
        declare_exchange(channel, &fanout, "fanout", false).await?;
        declare_bound_queue(channel, &self.fanout_queue, &fanout, "", false).await?;
        Ok(vec![
            self.topic.clone(),
            directed,
            self.fanout_queue.clone(),
        ])
    }

    async fn deliver(&self, shared: &Shared, message: ConsumerMessage) {
        let request = match Request::decode(message.content.as_deref().unwrap_or_default()) {
            Ok(request) => request,
            Err(e) => {
                tracing::warn!(topic = %self.topic, "dropping undecodable request: {e}");
                return;
            }
        };
        let reply = self.runs.handle(self.handler.clone(), request).await;
        let properties = message.basic_properties.unwrap_or_default();
        if let (Some(reply_to), Some(correlation_id)) =
            (properties.reply_to(), properties.correlation_id())
        {
            let mut reply_properties = BasicProperties::default();
            reply_properties
                .with_correlation_id(correlation_id)
                .with_content_type("application/x-protobuf");
            if let Err(e) = shared
                .publish(
                    "",
                    reply_to,
                    reply_properties,
                    reply.encode_to_vec(),
                    false,
                    shared.send_deadline(),
                )
                .await
            {
                tracing::warn!(%reply_to, "could not send a reply: {e}");
            }
        }
    }
}

struct Listener {
    priority: Priority,
    tx: mpsc::Sender<Notification>,
}

#[async_trait::async_trait]
impl Subscription for Listener {
    async fn declare(&self, shared: &Shared, channel: &Channel) -> Result<Vec<String>, String> {
        let exchange = &shared.options.control_exchange;
        let queue = self.priority.queue();
        declare_exchange(channel, exchange, "topic", true).await?;
        declare_bound_queue(channel, &queue, exchange, &queue, true).await?;
        Ok(vec![queue])
    }

    async fn deliver(&self, _shared: &Shared, message: ConsumerMessage) {
        match Notification::from_wire(message.content.as_deref().unwrap_or_default()) {
            Ok(notification) => {
                let _ = self.tx.send(notification).await;
            }
            Err(e) => tracing::warn!("dropping malformed notification: {e}"),
        }
    }
}
