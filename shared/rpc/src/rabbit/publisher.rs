//! Publishing with publisher confirms: a publish returns only once the broker has
//! taken responsibility for the message, or says it could not — refused it
//! (nack), or, for a mandatory publish, found no queue to route it to (a return
//! before the ack). The channel is reopened when the broker closed it while the
//! connection lives on (a channel error), so one bad publish does not stop all.

use std::{
    collections::{BTreeMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use amqprs::{
    callbacks::ChannelCallback,
    channel::{BasicPublishArguments, Channel, ConfirmSelectArguments},
    connection::Connection,
    Ack, BasicProperties, Cancel, CloseChannel, Nack, Return,
};
use tokio::sync::oneshot;

/// What the broker said of a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Confirmed,
    Refused,
    /// Mandatory, and no queue was bound to take it.
    Unroutable,
}

/// Why a publish did not go through.
#[derive(Debug)]
pub(crate) enum PublishError {
    /// Mandatory and unroutable: no server has ever declared the target queue.
    Unroutable,
    /// Anything a retry on another channel or connection may cure.
    Failed(String),
}

/// Publishes awaiting the outcome of this channel's confirms, keyed by delivery tag.
#[derive(Default)]
struct Confirms {
    next_tag: u64,
    waiting: BTreeMap<u64, oneshot::Sender<Outcome>>,
    /// Tags the broker returned; their ack follows.
    returned: HashSet<u64>,
}

impl Confirms {
    fn settle(&mut self, tag: u64, multiple: bool, confirmed: bool) {
        let settled: Vec<u64> = if multiple {
            self.waiting.range(..=tag).map(|(t, _)| *t).collect()
        } else {
            vec![tag]
        };
        for t in settled {
            let outcome = match (self.returned.remove(&t), confirmed) {
                (true, _) => Outcome::Unroutable,
                (false, true) => Outcome::Confirmed,
                (false, false) => Outcome::Refused,
            };
            if let Some(tx) = self.waiting.remove(&t) {
                let _ = tx.send(outcome);
            }
        }
    }

    /// Fails every publish still waiting (their channel is gone).
    fn abandon(&mut self) {
        self.waiting.clear();
        self.returned.clear();
    }
}

/// The open confirm-mode channel and its confirms.
struct Open {
    channel: Channel,
    confirms: Arc<Mutex<Confirms>>,
}

/// Publishes on a confirm-mode channel of one connection, reopened as needed.
pub(crate) struct Publisher {
    connection: Connection,
    open: tokio::sync::Mutex<Option<Open>>,
}

/// The property that carries a publish's delivery tag, so a return names it.
fn tag_property(tag: u64) -> String {
    format!("ferro-{tag}")
}

impl Publisher {
    /// A publisher on `connection`, its channel opened now.
    pub(crate) async fn new(connection: Connection) -> Result<Self, amqprs::error::Error> {
        let open = open_channel(&connection).await?;
        Ok(Publisher {
            connection,
            open: tokio::sync::Mutex::new(Some(open)),
        })
    }

    /// Publishes and waits up to `wait` for the broker's confirm.
    pub(crate) async fn publish(
        &self,
        exchange: &str,
        routing_key: &str,
        mut properties: BasicProperties,
        body: Vec<u8>,
        mandatory: bool,
        wait: Duration,
    ) -> Result<(), PublishError> {
        let failed = |e: String| PublishError::Failed(e);
        let outcome = {
            // Delivery tags count publishes in the order the broker sees them, so
            // numbering and sending happen under one lock.
            let mut open = self.open.lock().await;
            if !open.as_ref().is_some_and(|o| o.channel.is_open()) {
                if let Some(closed) = open.take() {
                    closed.confirms.lock().expect("confirms poisoned").abandon();
                    tracing::info!("reopening the publishing channel");
                }
                *open = Some(
                    open_channel(&self.connection)
                        .await
                        .map_err(|e| failed(e.to_string()))?,
                );
            }
            let current = open.as_ref().expect("opened above");
            let (tx, rx) = oneshot::channel();
            let tag = {
                let mut confirms = current.confirms.lock().expect("confirms poisoned");
                confirms.next_tag += 1;
                let tag = confirms.next_tag;
                confirms.waiting.insert(tag, tx);
                tag
            };
            properties.with_message_id(&tag_property(tag));
            let mut args = BasicPublishArguments::new(exchange, routing_key);
            args.mandatory(mandatory);
            if let Err(e) = current.channel.basic_publish(properties, body, args).await {
                current
                    .confirms
                    .lock()
                    .expect("confirms poisoned")
                    .waiting
                    .remove(&tag);
                return Err(failed(e.to_string()));
            }
            rx
        };
        match tokio::time::timeout(wait, outcome).await {
            Ok(Ok(Outcome::Confirmed)) => Ok(()),
            Ok(Ok(Outcome::Unroutable)) => Err(PublishError::Unroutable),
            Ok(Ok(Outcome::Refused)) => Err(failed("the broker refused the message (nack)".into())),
            Ok(Err(_)) => Err(failed(
                "the channel closed before the broker confirmed".into(),
            )),
            Err(_) => Err(failed(format!("no confirm within {wait:?}"))),
        }
    }

    /// Fails every publish still waiting for a confirm; called when the connection is lost.
    pub(crate) fn abandon(&self) {
        if let Ok(open) = self.open.try_lock() {
            if let Some(open) = open.as_ref() {
                open.confirms.lock().expect("confirms poisoned").abandon();
            }
        }
    }
}

async fn open_channel(connection: &Connection) -> Result<Open, amqprs::error::Error> {
    let channel = connection.open_channel(None).await?;
    let confirms = Arc::new(Mutex::new(Confirms::default()));
    channel
        .register_callback(ConfirmCallback {
            confirms: confirms.clone(),
        })
        .await?;
    channel
        .confirm_select(ConfirmSelectArguments::default())
        .await?;
    Ok(Open { channel, confirms })
}

struct ConfirmCallback {
    confirms: Arc<Mutex<Confirms>>,
}

impl ConfirmCallback {
    fn settle(&self, tag: u64, multiple: bool, confirmed: bool) {
        self.confirms
            .lock()
            .expect("confirms poisoned")
            .settle(tag, multiple, confirmed);
    }
}

#[async_trait::async_trait]
impl ChannelCallback for ConfirmCallback {
    async fn close(
        &mut self,
        _channel: &Channel,
        close: CloseChannel,
    ) -> Result<(), amqprs::error::Error> {
        tracing::warn!("broker closed the publishing channel: {close}");
        self.confirms.lock().expect("confirms poisoned").abandon();
        Ok(())
    }
    async fn cancel(
        &mut self,
        _channel: &Channel,
        _cancel: Cancel,
    ) -> Result<(), amqprs::error::Error> {
        Ok(())
    }
    async fn flow(
        &mut self,
        _channel: &Channel,
        active: bool,
    ) -> Result<bool, amqprs::error::Error> {
        Ok(active)
    }
    async fn publish_ack(&mut self, _channel: &Channel, ack: Ack) {
        self.settle(ack.delivery_tag(), ack.mutiple(), true);
    }
    async fn publish_nack(&mut self, _channel: &Channel, nack: Nack) {
        self.settle(nack.delivery_tag(), nack.multiple(), false);
    }
    async fn publish_return(
        &mut self,
        _channel: &Channel,
        ret: Return,
        properties: BasicProperties,
        _content: Vec<u8>,
    ) {
        let tag = properties
            .message_id()
            .and_then(|id| id.strip_prefix("ferro-"))
            .and_then(|tag| tag.parse::<u64>().ok());
        match tag {
            Some(tag) => {
                tracing::debug!("the broker returned publish {tag}: {ret}");
                self.confirms
                    .lock()
                    .expect("confirms poisoned")
                    .returned
                    .insert(tag);
            }
            None => tracing::warn!("the broker returned an unknown publish: {ret}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiple_settles_every_tag_up_to_it_and_returns_are_unroutable() {
        let mut confirms = Confirms::default();
        let mut rxs = Vec::new();
        for tag in 1..=4 {
            let (tx, rx) = oneshot::channel();
            confirms.waiting.insert(tag, tx);
            rxs.push(rx);
        }
        confirms.settle(2, true, true);
        assert_eq!(rxs[0].try_recv(), Ok(Outcome::Confirmed));
        assert_eq!(rxs[1].try_recv(), Ok(Outcome::Confirmed));
        assert!(rxs[2].try_recv().is_err());
        confirms.settle(3, false, false);
        assert_eq!(rxs[2].try_recv(), Ok(Outcome::Refused));
        confirms.returned.insert(4);
        confirms.settle(4, false, true);
        assert_eq!(rxs[3].try_recv(), Ok(Outcome::Unroutable));
        assert!(confirms.returned.is_empty());
    }
}
