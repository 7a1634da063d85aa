//! Messaging between a service's own roles (DESIGN.md §7).
//!
//! One [`Transport`] abstraction, two implementations chosen by URL:
//! `memory://[name]` (in-process, for the all-in-one cloud and tests) and
//! `rabbit://user:pass@host:port/vhost` (RabbitMQ through amqprs). Both give the same
//! semantics: `call` with a timeout, `cast` (at-least-once), fanout cast, `notify`;
//! a server consumes `<topic>` (competing consumers), `<topic>.<host>` (directed) and
//! its own fanout queue. Payloads are prost messages in the [`Request`] envelope.
//!
//! Services speak it through typed methods ([`rpc_topic!`], [`Client`],
//! [`Router`]): a method is a type naming its topic, wire name, request and
//! reply, and whether it is called, cast or fanned out.

mod client;
mod envelope;
mod error;
mod handler;
mod memory;
mod method;
mod notification;
mod notifier;
mod options;
mod rabbit;
mod router;
mod runner;
mod transport;

pub use crate::envelope::{reply, Context, RemoteError, Reply, Request};
pub use client::Client;
pub use error::RpcError;
pub use handler::{Handler, ServerHandle};
pub use memory::QUEUE_CAPACITY as MEMORY_QUEUE_CAPACITY;
pub use method::{Call, Cast, Fanout, Method, Topic};
pub use notification::{Notification, NotificationStream, Priority};
pub use notifier::{Notifier, NotifyDriver};
pub use options::{
    MessagingConfig, CONTROL_EXCHANGE, MESSAGING_OPTS, NOTIFICATION_DRIVER,
    NOTIFICATION_TRANSPORT_URL, RPC_RESPONSE_TIMEOUT, TRANSPORT_URL,
};
pub use router::Router;
pub use runner::Runner;
pub use transport::{connect, Target, Transport, TransportOptions};
