//! Typed calls: prost messages in, prost messages out.

use std::{sync::Arc, time::Duration};

use ferrostack_proto::rpc::{Context, Request};
use prost::Message;

use crate::{RpcError, Target, Transport};

/// A client of one topic, e.g. `compute`, with a default call timeout
/// (`rpc_response_timeout`, 60 s upstream).
#[derive(Clone)]
pub struct RpcClient {
    transport: Arc<dyn Transport>,
    topic: String,
    timeout: Duration,
}

impl RpcClient {
    pub fn new(transport: Arc<dyn Transport>, topic: &str, timeout: Duration) -> Self {
        RpcClient {
            transport,
            topic: topic.to_owned(),
            timeout,
        }
    }

    fn target(&self, server: Option<&str>) -> Target {
        match server {
            Some(host) => Target::server(&self.topic, host),
            None => Target::topic(&self.topic),
        }
    }

    /// Calls `method` on one server (or the one on `server`) and decodes its reply.
    pub async fn call<Q: Message, R: Message + Default>(
        &self,
        context: &Context,
        server: Option<&str>,
        method: &str,
        payload: &Q,
    ) -> Result<R, RpcError> {
        let reply = self
            .transport
            .call(
                &self.target(server),
                request(context, method, payload),
                self.timeout,
            )
            .await?;
        Ok(R::decode(reply)?)
    }

    /// Casts `method` to one server (or the one on `server`).
    pub async fn cast<Q: Message>(
        &self,
        context: &Context,
        server: Option<&str>,
        method: &str,
        payload: &Q,
    ) -> Result<(), RpcError> {
        self.transport
            .cast(&self.target(server), request(context, method, payload))
            .await
    }

    /// Casts `method` to every server of the topic.
    pub async fn fanout<Q: Message>(
        &self,
        context: &Context,
        method: &str,
        payload: &Q,
    ) -> Result<(), RpcError> {
        self.transport
            .fanout(&self.topic, request(context, method, payload))
            .await
    }
}

fn request<Q: Message>(context: &Context, method: &str, payload: &Q) -> Request {
    Request {
        method: method.to_owned(),
        context: Some(context.clone()),
        payload: payload.encode_to_vec(),
        message_id: uuid::Uuid::new_v4().to_string(),
    }
}
