//! Messaging between a service's own roles (DESIGN.md §7).
//!
//! One [`Transport`] abstraction, two implementations chosen by URL:
//! `memory://[name]` (in-process, for the all-in-one cloud and tests) and
//! `rabbit://user:pass@host:port/vhost` (RabbitMQ through amqprs). Both give the same
//! semantics: `call` with a timeout, `cast` (at-least-once), fanout cast, `notify`;
//! a server consumes `<topic>` (competing consumers), `<topic>.<host>` (directed) and
//! its own fanout queue. Payloads are prost messages in the [`Request`] envelope.

mod client;
mod error;
mod handler;
mod memory;
mod notification;
mod notifier;
mod options;
mod rabbit;
mod transport;

pub use client::RpcClient;
pub use error::RpcError;
pub use ferrostack_proto::rpc::{reply, Context, RemoteError, Reply, Request};
pub use handler::{Handler, ServerHandle};
pub use memory::QUEUE_CAPACITY as MEMORY_QUEUE_CAPACITY;
pub use notification::{Notification, NotificationStream, Priority};
pub use notifier::{Notifier, NotifyDriver};
pub use options::{
    MessagingConfig, CONTROL_EXCHANGE, MESSAGING_OPTS, NOTIFICATION_DRIVER,
    NOTIFICATION_TRANSPORT_URL, RPC_RESPONSE_TIMEOUT, TRANSPORT_URL,
};
pub use transport::{connect, Target, Transport, TransportOptions};
