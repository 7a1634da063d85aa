//! The sending side of typed methods: a client of one topic.

use std::marker::PhantomData;
use std::{sync::Arc, time::Duration};

use prost::Message;

use crate::envelope::{Context, Request};
use crate::{Call, Cast, Fanout, Method, RpcError, Target, Topic, Transport};

/// Sends the methods of topic `T`, with a default call timeout
/// (`rpc_response_timeout`, 60 s upstream).
pub struct Client<T: Topic> {
    transport: Arc<dyn Transport>,
    timeout: Duration,
    topic: PhantomData<T>,
}

impl<T: Topic> Clone for Client<T> {
    fn clone(&self) -> Self {
        Client {
            transport: self.transport.clone(),
            timeout: self.timeout,
            topic: PhantomData,
        }
    }
}

impl<T: Topic> Client<T> {
    pub fn new(transport: Arc<dyn Transport>, timeout: Duration) -> Self {
        Client {
            transport,
            timeout,
            topic: PhantomData,
        }
    }

    fn target(server: Option<&str>) -> Target {
        match server {
            Some(host) => Target::server(T::NAME, host),
            None => Target::topic(T::NAME),
        }
    }

    /// Calls `M` on one server of the topic (or the one on `server`) and waits
    /// for its reply, up to the method's timeout or the client's.
    pub async fn call<M: Call<Topic = T>>(
        &self,
        context: &Context,
        server: Option<&str>,
        request: &M::Request,
    ) -> Result<M::Reply, RpcError> {
        let reply = self
            .transport
            .call(
                &Self::target(server),
                envelope::<M>(context, request),
                M::TIMEOUT.unwrap_or(self.timeout),
            )
            .await?;
        Ok(M::Reply::decode(reply)?)
    }

    /// Casts `M` to one server of the topic (or the one on `server`).
    pub async fn cast<M: Cast<Topic = T>>(
        &self,
        context: &Context,
        server: Option<&str>,
        request: &M::Request,
    ) -> Result<(), RpcError> {
        self.transport
            .cast(&Self::target(server), envelope::<M>(context, request))
            .await
    }

    /// Casts `M` to every server of the topic.
    pub async fn fanout<M: Fanout<Topic = T>>(
        &self,
        context: &Context,
        request: &M::Request,
    ) -> Result<(), RpcError> {
        self.transport
            .fanout(T::NAME, envelope::<M>(context, request))
            .await
    }
}

fn envelope<M: Method>(context: &Context, request: &M::Request) -> Request {
    Request {
        method: M::NAME.to_owned(),
        context: Some(context.clone()),
        payload: request.encode_to_vec(),
        message_id: uuid::Uuid::new_v4().to_string(),
    }
}
