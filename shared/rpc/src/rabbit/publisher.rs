//! Publishing with publisher confirms: a publish returns only once the broker has
//! taken responsibility for the message (or says it could not).

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use amqprs::{
    callbacks::ChannelCallback,
    channel::{BasicPublishArguments, Channel, ConfirmSelectArguments},
    Ack, BasicProperties, Cancel, CloseChannel, Nack, Return,
};
use tokio::sync::oneshot;

/// Publishes awaiting the outcome of this channel's confirms, keyed by delivery tag.
#[derive(Default)]
struct Confirms {
    next_tag: u64,
    waiting: BTreeMap<u64, oneshot::Sender<bool>>,
}

impl Confirms {
    fn settle(&mut self, tag: u64, multiple: bool, confirmed: bool) {
        let settled: Vec<u64> = if multiple {
            self.waiting.range(..=tag).map(|(t, _)| *t).collect()
        } else {
            vec![tag]
        };
        for t in settled {
            if let Some(tx) = self.waiting.remove(&t) {
                let _ = tx.send(confirmed);
            }
        }
    }
}

/// A confirm-mode channel.
pub(crate) struct Publisher {
    channel: Channel,
    send: tokio::sync::Mutex<()>,
    confirms: Arc<Mutex<Confirms>>,
}

impl Publisher {
    /// Puts `channel` in confirm mode.
    pub(crate) async fn new(channel: Channel) -> Result<Self, amqprs::error::Error> {
        let confirms = Arc::new(Mutex::new(Confirms::default()));
        channel
            .register_callback(ConfirmCallback {
                confirms: confirms.clone(),
            })
            .await?;
        channel
            .confirm_select(ConfirmSelectArguments::default())
            .await?;
        Ok(Publisher {
            channel,
            send: tokio::sync::Mutex::new(()),
            confirms,
        })
    }

    /// Publishes and waits up to `wait` for the broker's confirm.
    pub(crate) async fn publish(
        &self,
        exchange: &str,
        routing_key: &str,
        properties: BasicProperties,
        body: Vec<u8>,
        wait: Duration,
    ) -> Result<(), String> {
        let confirmed = {
            // Delivery tags count publishes in the order the broker sees them, so
            // numbering and sending happen under one lock.
            let _order = self.send.lock().await;
            let (tx, rx) = oneshot::channel();
            let tag = {
                let mut confirms = self.confirms.lock().expect("confirms poisoned");
                confirms.next_tag += 1;
                let tag = confirms.next_tag;
                confirms.waiting.insert(tag, tx);
                tag
            };
            let args = BasicPublishArguments::new(exchange, routing_key);
            if let Err(e) = self.channel.basic_publish(properties, body, args).await {
                self.confirms
                    .lock()
                    .expect("confirms poisoned")
                    .waiting
                    .remove(&tag);
                return Err(e.to_string());
            }
            rx
        };
        match tokio::time::timeout(wait, confirmed).await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err("the broker refused the message (nack)".into()),
            Ok(Err(_)) => Err("the channel closed before the broker confirmed".into()),
            Err(_) => Err(format!("no confirm within {wait:?}")),
        }
    }

    /// Fails every publish still waiting for a confirm; called when the connection is lost.
    pub(crate) fn abandon(&self) {
        self.confirms
            .lock()
            .expect("confirms poisoned")
            .waiting
            .clear();
    }
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
        self.confirms
            .lock()
            .expect("confirms poisoned")
            .waiting
            .clear();
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
        _ret: Return,
        _properties: BasicProperties,
        _content: Vec<u8>,
    ) {
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiple_settles_every_tag_up_to_it() {
        let mut confirms = Confirms::default();
        let mut rxs = Vec::new();
        for tag in 1..=3 {
            let (tx, rx) = oneshot::channel();
            confirms.waiting.insert(tag, tx);
            rxs.push(rx);
        }
        confirms.settle(2, true, true);
        assert_eq!(rxs[0].try_recv(), Ok(true));
        assert_eq!(rxs[1].try_recv(), Ok(true));
        assert!(rxs[2].try_recv().is_err());
        confirms.settle(3, false, false);
        assert_eq!(rxs[2].try_recv(), Ok(false));
    }
}
