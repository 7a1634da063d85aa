//! `memory://`: the bus inside one process. Transports connected with the same name
//! share queues, so several in-process services talk as they would over RabbitMQ.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock, Weak},
    time::Duration,
};

use bytes::Bytes;
use ferrostack_proto::rpc::{Reply, Request};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::{
    handler::{reply_result, run_handler},
    notification::NotificationStream,
    Handler, Notification, Priority, RpcError, ServerHandle, Target, Transport,
};

/// A message in a memory queue; calls carry the channel their reply goes to.
enum Delivery {
    Request(Request, Option<oneshot::Sender<Reply>>),
    Notification(Notification),
}

/// A queue with competing consumers.
struct Queue {
    tx: mpsc::UnboundedSender<Delivery>,
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Delivery>>,
}

impl Queue {
    fn new() -> Arc<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        Arc::new(Queue {
            tx,
            rx: tokio::sync::Mutex::new(rx),
        })
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
}

impl MemoryTransport {
    /// The bus called `name`, shared by every transport of this process with that name.
    pub(crate) fn named(name: &str) -> Self {
        static BUSES: OnceLock<Mutex<HashMap<String, Arc<Broker>>>> = OnceLock::new();
        let broker = BUSES
            .get_or_init(Default::default)
            .lock()
            .expect("bus registry poisoned")
            .entry(name.trim_end_matches('/').to_owned())
            .or_default()
            .clone();
        MemoryTransport { broker }
    }
}

#[async_trait::async_trait]
impl Transport for MemoryTransport {
    async fn call(
        &self,
        target: &Target,
        request: Request,
        timeout: Duration,
    ) -> Result<Bytes, RpcError> {
        let (tx, rx) = oneshot::channel();
        let method = request.method.clone();
        let _ = self
            .broker
            .queue(&target.queue())
            .tx
            .send(Delivery::Request(request, Some(tx)));
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
        let _ = self
            .broker
            .queue(&target.queue())
            .tx
            .send(Delivery::Request(request, None));
        Ok(())
    }

    async fn fanout(&self, topic: &str, request: Request) -> Result<(), RpcError> {
        for queue in self.broker.fanout_queues(topic) {
            let _ = queue.tx.send(Delivery::Request(request.clone(), None));
        }
        Ok(())
    }

    async fn notify(&self, notification: &Notification) -> Result<(), RpcError> {
        let queue = self.broker.queue(&notification.priority.queue());
        let _ = queue.tx.send(Delivery::Notification(notification.clone()));
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
        let task = tokio::spawn(async move {
            let consumers = queues.into_iter().map(|queue| {
                let handler = handler.clone();
                let cancel = cancel.clone();
                tokio::spawn(async move {
                    while let Some(delivery) = queue.next(&cancel).await {
                        let Delivery::Request(request, reply_to) = delivery else {
                            continue;
                        };
                        let handler = handler.clone();
                        tokio::spawn(async move {
                            let reply = run_handler(handler, request).await;
                            if let Some(reply_to) = reply_to {
                                let _ = reply_to.send(reply);
                            }
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
