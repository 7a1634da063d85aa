//! The serving side of typed methods: a topic's handlers, one per method.

use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use prost::Message;

use crate::envelope::{Context, RemoteError, Request};
use crate::{Handler, Method, RpcError, ServerHandle, Topic, Transport};

type Reply = Pin<Box<dyn Future<Output = Result<Bytes, RemoteError>> + Send>>;
type Route<S> = Box<dyn Fn(Arc<S>, Context, &[u8]) -> Reply + Send + Sync>;

/// Handles topic `T`'s methods on a shared state `S`: each request is decoded
/// as its method's request, handed to that method's handler, and the reply
/// encoded. A method nobody registered is refused (`UnknownMethod`), naming the
/// ones the topic serves; an undecodable payload is refused (`Invalid`).
pub struct Router<T: Topic, S> {
    state: Arc<S>,
    routes: BTreeMap<&'static str, Route<S>>,
    topic: PhantomData<T>,
}

impl<T: Topic, S: Send + Sync + 'static> Router<T, S> {
    pub fn new(state: Arc<S>) -> Self {
        Router {
            state,
            routes: BTreeMap::new(),
            topic: PhantomData,
        }
    }

    /// Handles `M` with `handler`. Panics when `M` already has one: a
    /// programming error, found when the role starts.
    pub fn route<M, F, Fut>(mut self, handler: F) -> Self
    where
        M: Method<Topic = T>,
        F: Fn(Arc<S>, Context, M::Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<M::Reply, RemoteError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let route: Route<S> = Box::new(move |state, context, payload| {
            let request = M::Request::decode(payload);
            let handler = handler.clone();
            Box::pin(async move {
                let request = request.map_err(|e| RemoteError {
                    kind: "Invalid".into(),
                    message: format!("{} with an undecodable payload: {e}", M::NAME),
                })?;
                let reply = handler(state, context, request).await?;
                Ok(Bytes::from(reply.encode_to_vec()))
            })
        });
        let known = self.routes.insert(M::NAME, route);
        assert!(known.is_none(), "{} routed twice on {}", M::NAME, T::NAME);
        self
    }

    /// Serves the topic as `host` on `transport`.
    pub async fn serve(
        self,
        transport: &Arc<dyn Transport>,
        host: &str,
    ) -> Result<ServerHandle, RpcError> {
        transport.serve(T::NAME, host, Arc::new(self)).await
    }
}

#[async_trait::async_trait]
impl<T: Topic, S: Send + Sync + 'static> Handler for Router<T, S> {
    async fn handle(&self, request: Request) -> Result<Bytes, RemoteError> {
        let Some(route) = self.routes.get(request.method.as_str()) else {
            let known: Vec<&str> = self.routes.keys().copied().collect();
            return Err(RemoteError {
                kind: "UnknownMethod".into(),
                message: format!(
                    "{} has no method {:?}; it serves {}",
                    T::NAME,
                    request.method,
                    known.join(", ")
                ),
            });
        };
        route(
            self.state.clone(),
            request.context.unwrap_or_default(),
            &request.payload,
        )
        .await
    }
}
