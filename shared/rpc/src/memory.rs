//! `memory://`: the bus inside one process. Transports connected with the same name
//! share queues, so several in-process services talk as they would over RabbitMQ:
//! queues exist once a server declared them (a message for a queue nobody ever
//! served is refused, as RabbitMQ returns a mandatory publish), hold at most
//! [`QUEUE_CAPACITY`] messages (a sender waits for room up to `send_timeout`), and
//! a server runs at most `prefetch` handlers at once, as RabbitMQ's QoS allows.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock, Weak},
    time::Duration,
};

use crate::envelope::{Reply, Request};
use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::{
    handler::{reply_result, run_handler},
    notification::NotificationStream,
    Handler, Notification, Priority, RpcError, ServerHandle, Target, Transport, TransportOptions,
};

/// Messages a queue holds before senders wait.
pub const QUEUE_CAPACITY: usize = 10_000;

/// A message in a memory queue; calls carry the channel their reply goes to.
enum Delivery {
    Request(Request, Option<oneshot::Sender<Reply>>),
    Notification(Notification),
}

/// A queue with competing consumers.
struct Queue {
    tx: mpsc::Sender<Delivery>,
    rx: tokio::sync::Mutex<mpsc::Receiver<Delivery>>,
}

impl Queue {
    fn new() -> Arc<Self> {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        Arc::new(Queue {
            tx,
            rx: tokio::sync::Mutex::new(rx),
        })
    }

    /// Puts `delivery` in the queue, waiting up to `wait` for room.
    async fn put(&self, delivery: Delivery, wait: Duration, name: &str) -> Result<(), RpcError> {
        match tokio::time::timeout(wait, self.tx.send(delivery)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(RpcError::Unavailable(format!("queue {name} is gone"))),
            Err(_) => Err(RpcError::Unavailable(format!(
                "queue {name} stayed full ({QUEUE_CAPACITY} messages) for {wait:?}"
            ))),
        }
    }

    /// The next delivery, or `None` once `cancel` fires.
    async fn next(&self, cancel: &CancellationToken) -> Option<Delivery> {
        tokio::select! {
            _ = cancel.cancelled() => None,
            delivery = async { self.rx.lock().await.recv().await } => delivery,
        }
    }
}

/// The queues and fanout bindings of one named bus.
#[derive(Default)]
struct Broker {
    queues: Mutex<HashMap<String, Arc<Queue>>>,
    fanout: Mutex<HashMap<String, Vec<Weak<Queue>>>>,
}

impl Broker {
    /// The queue `name`, if a server declared it.
    fn existing(&self, name: &str) -> Option<Arc<Queue>> {
        self.queues
            .lock()
            .expect("queue registry poisoned")
            .get(name)
            .cloned()
    }

    /// Declares `name` (servers and listeners do).
    fn queue(&self, name: &str) -> Arc<Queue> {
        self.queues
            .lock()
            .expect("queue registry poisoned")
            .entry(name.to_owned())
            .or_insert_with(Queue::new)
            .clone()
    }

    fn fanout_queues(&self, topic: &str) -> Vec<Arc<Queue>> {
        let mut bindings = self.fanout.lock().expect("fanout registry poisoned");
        let queues = bindings.entry(topic.to_owned()).or_default();
        queues.retain(|q| q.strong_count() > 0);
        queues.iter().filter_map(Weak::upgrade).collect()
    }

    fn bind_fanout(&self, topic: &str) -> Arc<Queue> {
        let queue = Queue::new();
        self.fanout
            .lock()
            .expect("fanout registry poisoned")
            .entry(topic.to_owned())
            .or_default()
            .push(Arc::downgrade(&queue));
        queue
    }
}

/// The in-process transport.
pub(crate) struct MemoryTransport {
    broker: Arc<Broker>,
    options: TransportOptions,
}

impl MemoryTransport {
    /// The bus called `name`, shared by every transport of this process with that name.
    pub(crate) fn named(name: &str, options: TransportOptions) -> Self {
        static BUSES: OnceLock<Mutex<HashMap<String, Arc<Broker>>>> = OnceLock::new();
        let broker = BUSES
            .get_or_init(Default::default)
            .lock()
            .expect("bus registry poisoned")
            .entry(name.trim_end_matches('/').to_owned())
            .or_default()
            .clone();
        MemoryTransport { broker, options }
    }

    /// Sends to `target`'s queue, which a server must have declared.
    async fn send(&self, target: &Target, delivery: Delivery) -> Result<(), RpcError> {
        let name = target.queue();
        let queue = self
            .broker
            .existing(&name)
            .ok_or_else(|| RpcError::Unroutable(name.clone()))?;
        queue.put(delivery, self.options.send_timeout, &name).await
    }
}

#[async_trait::async_trait]
impl Transport for MemoryTransport {
    fn durable(&self) -> bool {
        false
    }

    async fn call(
        &self,
        target: &Target,
        request: Request,
        timeout: Duration,
    ) -> Result<Bytes, RpcError> {
        let (tx, rx) = oneshot::channel();
        let method = request.method.clone();
        self.send(target, Delivery::Request(request, Some(tx)))
            .await?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(reply)) => reply_result(reply),
            _ => Err(RpcError::Timeout {
                target: target.to_string(),
                method,
                timeout,
            }),
        }
    }

    async fn cast(&self, target: &Target, request: Request) -> Result<(), RpcError> {
        self.send(target, Delivery::Request(request, None)).await
    }

    async fn fanout(&self, topic: &str, request: Request) -> Result<(), RpcError> {
        for queue in self.broker.fanout_queues(topic) {
            queue
                .put(
                    Delivery::Request(request.clone(), None),
                    self.options.send_timeout,
                    topic,
                )
                .await?;
        }
        Ok(())
    }

    async fn notify(&self, notification: &Notification) -> Result<(), RpcError> {
        // Kept for a listener to come, as on RabbitMQ, up to the queue's capacity;
        // past it new ones are dropped rather than stall whoever notifies.
        let name = notification.priority.queue();
        let queue = self.broker.queue(&name);
        if queue
            .tx
            .try_send(Delivery::Notification(notification.clone()))
            .is_err()
        {
            tracing::warn!(
                queue = name,
                "notification dropped: nobody listens and the queue is full"
            );
        }
        Ok(())
    }

    async fn serve(
        &self,
        topic: &str,
        host: &str,
        handler: Arc<dyn Handler>,
    ) -> Result<ServerHandle, RpcError> {
        let queues = [
            self.broker.queue(topic),
            self.broker.queue(&format!("{topic}.{host}")),
            self.broker.bind_fanout(topic),
        ];
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        // At most `prefetch` handlers at once, over the server's three queues.
        let running = Arc::new(tokio::sync::Semaphore::new(usize::from(
            self.options.prefetch.max(1),
        )));
        let task = tokio::spawn(async move {
            let consumers = queues.into_iter().map(|queue| {
                let handler = handler.clone();
                let cancel = cancel.clone();
                let running = running.clone();
                tokio::spawn(async move {
                    while let Some(delivery) = queue.next(&cancel).await {
                        let Delivery::Request(request, reply_to) = delivery else {
                            continue;
                        };
                        // Taken from the queue only once a handler is free.
                        let permit = tokio::select! {
                            _ = cancel.cancelled() => return,
                            permit = running.clone().acquire_owned() => match permit {
                                Ok(permit) => permit,
                                Err(_) => return,
                            },
                        };
                        let handler = handler.clone();
                        tokio::spawn(async move {
                            let reply = run_handler(handler, request).await;
                            if let Some(reply_to) = reply_to {
                                let _ = reply_to.send(reply);
                            }
                            drop(permit);
                        });
                    }
                })
            });
            for consumer in consumers.collect::<Vec<_>>() {
                let _ = consumer.await;
            }
        });
        Ok(ServerHandle::new(stop, task))
    }

    async fn listen(&self, priority: Priority) -> Result<NotificationStream, RpcError> {
        let queue = self.broker.queue(&priority.queue());
        let (tx, rx) = mpsc::channel(64);
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        let task = tokio::spawn(async move {
            while let Some(delivery) = queue.next(&cancel).await {
                if let Delivery::Notification(n) = delivery {
                    if tx.send(n).await.is_err() {
                        break;
                    }
                }
            }
        });
        Ok(NotificationStream::new(
            rx,
            Some(ServerHandle::new(stop, task)),
        ))
    }
}
