//! RPC methods as types. A [`Topic`] is what a role serves; a [`Method`] names
//! its topic, its name on the wire, its request and its reply, and is sent one
//! way only: as a [`Call`] (one server, a reply), a [`Cast`] (one server, no
//! reply) or a [`Fanout`] (every server of the topic). A [`Client`](crate::Client)
//! of a topic sends only that topic's methods, each only its own way, and the
//! reply type follows from the method; a [`Router`](crate::Router) of a topic
//! handles only that topic's methods. Declare them with [`rpc_topic!`](crate::rpc_topic).

use std::time::Duration;

/// A queue a role serves (`<name>`, `<name>.<host>` and its fanout).
pub trait Topic: Send + Sync + 'static {
    /// The topic's name on the bus.
    const NAME: &'static str;
}

/// One method of a topic.
pub trait Method: Send + Sync + 'static {
    /// The topic whose servers handle it.
    type Topic: Topic;
    /// Its name on the wire (oslo's `method`).
    const NAME: &'static str;
    /// What the caller sends.
    type Request: prost::Message + Default + Send + Sync + 'static;
    /// What the server answers (`()` for casts and fanouts).
    type Reply: prost::Message + Default + Send + 'static;
    /// How long a call waits for its reply, when not the client's default
    /// (`rpc_response_timeout`).
    const TIMEOUT: Option<Duration> = None;
}

/// A method sent to one server, which replies.
pub trait Call: Method {}
/// A method sent to one server, without a reply.
pub trait Cast: Method<Reply = ()> {}
/// A method sent to every server of its topic, without a reply.
pub trait Fanout: Method<Reply = ()> {}

/// Declares a topic and its methods:
///
/// ```
/// ferrostack_rpc::rpc_topic! {
///     /// The volume hosts.
///     pub VolumeTopic = "block-storage-volume" {
///         /// Make a volume.
///         cast CreateVolume = "create_volume" (String);
///         /// Export a volume; waits up to 5 minutes.
///         call Export = "export" (String) -> String, timeout = 300;
///         fanout Refresh = "refresh" (());
///     }
/// }
/// ```
#[macro_export]
macro_rules! rpc_topic {
    (
        $(#[$topic_meta:meta])*
        $vis:vis $topic:ident = $topic_name:literal {
            $(
                $(#[$meta:meta])*
                $kind:ident $method:ident = $name:literal ($request:ty)
                    $(-> $reply:ty)? $(, timeout = $secs:expr)?;
            )*
        }
    ) => {
        $(#[$topic_meta])*
        #[derive(Debug, Clone, Copy)]
        $vis struct $topic;
        impl $crate::Topic for $topic {
            const NAME: &'static str = $topic_name;
        }
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, Copy)]
            $vis struct $method;
            impl $crate::Method for $method {
                type Topic = $topic;
                const NAME: &'static str = $name;
                type Request = $request;
                type Reply = $crate::rpc_topic!(@reply $($reply)?);
                $(const TIMEOUT: Option<::std::time::Duration> =
                    Some(::std::time::Duration::from_secs($secs));)?
            }
            $crate::rpc_topic!(@kind $kind $method);
        )*
    };
    (@reply) => { () };
    (@reply $reply:ty) => { $reply };
    (@kind call $method:ident) => { impl $crate::Call for $method {} };
    (@kind cast $method:ident) => { impl $crate::Cast for $method {} };
    (@kind fanout $method:ident) => { impl $crate::Fanout for $method {} };
}
