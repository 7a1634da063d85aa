//! The transport conformance suite: the same assertions for every transport.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use bytes::Bytes;
use ferrostack_rpc::{
    connect, Client, Context, Handler, Notification, Priority, RemoteError, Request, Router,
    RpcError, ServerHandle, Target, Transport, TransportOptions,
};

/// Declares one `#[tokio::test]` per shared conformance check, each run against the
/// transport URL `$url` yields.
#[macro_export]
macro_rules! conformance_tests {
    ($url:expr) => {
        $crate::conformance_tests!(@each $url;
            competing_consumers_each_message_once,
            directed_message_reaches_only_its_host,
            fanout_reaches_every_server,
            call_to_a_stopped_server_times_out,
            messages_for_queues_nobody_served_are_refused,
            handler_error_reaches_the_caller,
            typed_call_round_trips,
            typed_casts_and_fanouts_reach_their_servers,
            typed_unknown_methods_are_refused_by_name,
            typed_calls_wait_as_long_as_their_method_says,
            notifications_reach_a_listener,
        );
    };
    (@each $url:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                conformance::$check(&$url).await;
            }
        )*
    };
}

/// Everything the servers of one test handled: (host, method, message id).
#[derive(Default, Clone)]
pub struct Log(Arc<Mutex<Vec<(String, String, String)>>>);

impl Log {
    pub fn entries(&self) -> Vec<(String, String, String)> {
        self.0.lock().unwrap().clone()
    }

    /// Waits until `done` holds for the log, or panics after `within`.
    pub async fn wait_for(
        &self,
        within: Duration,
        done: impl Fn(&[(String, String, String)]) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if done(&self.entries()) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "condition not reached within {within:?}; log has {} entries",
                self.entries().len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A test server: `echo` returns its payload, `whoami` its host, `fail` a NotFound.
struct TestHandler {
    host: String,
    log: Log,
}

#[async_trait::async_trait]
impl Handler for TestHandler {
    async fn handle(&self, request: Request) -> Result<Bytes, RemoteError> {
        self.log.0.lock().unwrap().push((
            self.host.clone(),
            request.method.clone(),
            request.message_id.clone(),
        ));
        match request.method.as_str() {
            "echo" => Ok(Bytes::from(request.payload)),
            "whoami" => Ok(Bytes::from(self.host.clone().into_bytes())),
            "slow" => {
                tokio::time::sleep(Duration::from_millis(5)).await;
                Ok(Bytes::new())
            }
            "very_slow" => {
                tokio::time::sleep(Duration::from_secs(2)).await;
                Ok(Bytes::new())
            }
            "fail" => Err(RemoteError {
                kind: "NotFound".into(),
                message: "Instance 42 could not be found.".into(),
            }),
            other => Err(RemoteError {
                kind: "UnknownMethod".into(),
                message: other.into(),
            }),
        }
    }
}

/// One test's world: its own exchange and topic on the transport under test.
pub struct World {
    pub url: String,
    pub options: TransportOptions,
    pub topic: String,
    pub log: Log,
}

impl World {
    pub fn new(url: &str) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        World {
            url: url.to_owned(),
            options: TransportOptions {
                control_exchange: format!("conformance_{id}"),
                ..TransportOptions::default()
            },
            topic: format!("topic_{id}"),
            log: Log::default(),
        }
    }

    /// A new connection, as a separate process would have.
    pub async fn transport(&self) -> Arc<dyn Transport> {
        connect(&self.url, self.options.clone()).await.unwrap()
    }

    /// Starts a server of the world's topic on `host`, on its own connection.
    pub async fn server(&self, host: &str) -> (Arc<dyn Transport>, ServerHandle) {
        let transport = self.transport().await;
        let handler = Arc::new(TestHandler {
            host: host.to_owned(),
            log: self.log.clone(),
        });
        let server = transport.serve(&self.topic, host, handler).await.unwrap();
        (transport, server)
    }

    pub fn request(&self, method: &str, payload: &[u8]) -> Request {
        Request {
            method: method.into(),
            context: Some(Context::default()),
            payload: payload.to_vec(),
            message_id: uuid::Uuid::new_v4().to_string(),
        }
    }
}

pub async fn competing_consumers_each_message_once(url: &str) {
    let world = World::new(url);
    let _servers = [
        world.server("h0").await,
        world.server("h1").await,
        world.server("h2").await,
    ];
    let client = world.transport().await;
    let mut sent = HashSet::new();
    for _ in 0..300 {
        let request = world.request("slow", b"");
        sent.insert(request.message_id.clone());
        client
            .cast(&Target::topic(&world.topic), request)
            .await
            .unwrap();
    }
    world
        .log
        .wait_for(Duration::from_secs(30), |log| log.len() >= 300)
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = world.log.entries();
    assert_eq!(log.len(), 300, "a message was handled more than once");
    let handled: HashSet<_> = log.iter().map(|(_, _, id)| id.clone()).collect();
    assert_eq!(handled, sent);
    let hosts: HashSet<_> = log.iter().map(|(h, _, _)| h.clone()).collect();
    assert!(hosts.len() >= 2, "only {hosts:?} consumed: not competing");
}

pub async fn directed_message_reaches_only_its_host(url: &str) {
    let world = World::new(url);
    let _servers = [
        world.server("h0").await,
        world.server("h1").await,
        world.server("h2").await,
    ];
    let client = world.transport().await;
    for _ in 0..20 {
        client
            .cast(
                &Target::server(&world.topic, "h1"),
                world.request("slow", b""),
            )
            .await
            .unwrap();
    }
    let reply = client
        .call(
            &Target::server(&world.topic, "h2"),
            world.request("whoami", b""),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(&reply[..], b"h2");
    world
        .log
        .wait_for(Duration::from_secs(10), |log| log.len() >= 21)
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    for (host, method, _) in world.log.entries() {
        match method.as_str() {
            "slow" => assert_eq!(host, "h1"),
            _ => assert_eq!(host, "h2"),
        }
    }
}

pub async fn fanout_reaches_every_server(url: &str) {
    let world = World::new(url);
    let _servers = [
        world.server("h0").await,
        world.server("h1").await,
        world.server("h2").await,
    ];
    let client = world.transport().await;
    client
        .fanout(&world.topic, world.request("echo", b"all"))
        .await
        .unwrap();
    world
        .log
        .wait_for(Duration::from_secs(10), |log| log.len() >= 3)
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut hosts: Vec<_> = world.log.entries().into_iter().map(|(h, _, _)| h).collect();
    hosts.sort();
    assert_eq!(hosts, ["h0", "h1", "h2"]);
}

pub async fn call_to_a_stopped_server_times_out(url: &str) {
    let world = World::new(url);
    let (_transport, server) = world.server("h0").await;
    server.stop().await;
    let client = world.transport().await;
    let started = std::time::Instant::now();
    let err = client
        .call(
            &Target::topic(&world.topic),
            world.request("echo", b""),
            Duration::from_millis(500),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, RpcError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.to_string().contains(&world.topic));
}

/// A call or cast to a queue no server ever declared is refused at once, not
/// lost (RabbitMQ returns the mandatory publish); a fanout with no server is fine.
pub async fn messages_for_queues_nobody_served_are_refused(url: &str) {
    let world = World::new(url);
    let client = world.transport().await;
    let err = client
        .call(
            &Target::topic(&world.topic),
            world.request("echo", b""),
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, RpcError::Unroutable(_)), "{err:?}");
    let err = client
        .cast(
            &Target::server(&world.topic, "nowhere"),
            world.request("echo", b""),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, RpcError::Unroutable(_)), "{err:?}");
    assert!(err.to_string().contains("nowhere"), "{err}");
    client
        .fanout(&world.topic, world.request("echo", b""))
        .await
        .unwrap();
    // The publisher carries on after a refusal.
    let _server = world.server("h0").await;
    client
        .cast(&Target::topic(&world.topic), world.request("echo", b""))
        .await
        .unwrap();
    world
        .log
        .wait_for(Duration::from_secs(10), |log| !log.is_empty())
        .await;
}

pub async fn handler_error_reaches_the_caller(url: &str) {
    let world = World::new(url);
    let _server = world.server("h0").await;
    let client = world.transport().await;
    let err = client
        .call(
            &Target::topic(&world.topic),
            world.request("fail", b""),
            Duration::from_secs(10),
        )
        .await
        .unwrap_err();
    let remote = err.remote().expect("a remote error");
    assert_eq!(remote.kind, "NotFound");
    assert_eq!(remote.message, "Instance 42 could not be found.");
}

/// Typed methods, each test on a topic of its own (topics are queue names,
/// shared by every exchange on a broker).
pub mod typed {
    use ferrostack_rpc::RemoteError;
    ferrostack_rpc::rpc_topic! {
        pub Echoes = "conformance-typed-echo" {
            call Echo = "echo" (RemoteError) -> RemoteError;
        }
    }
    ferrostack_rpc::rpc_topic! {
        pub Notes = "conformance-typed-notes" {
            cast Note = "note" (String);
            fanout Shout = "shout" (String);
        }
    }
    ferrostack_rpc::rpc_topic! {
        pub Partial = "conformance-typed-partial" {
            call Served = "served" (());
            call Unserved = "unserved" (());
        }
    }
    ferrostack_rpc::rpc_topic! {
        pub Timed = "conformance-typed-timed" {
            /// Answers after a second; may wait two.
            call Patient = "patient" (u32) -> u32, timeout = 2;
            /// Answers after a second; may wait the client's default.
            call Hasty = "hasty" (u32) -> u32;
        }
    }
}

pub async fn typed_call_round_trips(url: &str) {
    let world = World::new(url);
    let transport = world.transport().await;
    let _server = Router::<typed::Echoes, ()>::new(Arc::new(()))
        .route::<typed::Echo, _, _>(|_, _, sent| async move { Ok(sent) })
        .serve(&transport, "h0")
        .await
        .unwrap();
    let client = Client::<typed::Echoes>::new(world.transport().await, Duration::from_secs(10));
    let sent = RemoteError {
        kind: "payload".into(),
        message: "é ☃".into(),
    };
    let got = client
        .call::<typed::Echo>(&Context::default(), None, &sent)
        .await
        .unwrap();
    assert_eq!(got, sent);
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (client, sent) = (client.clone(), sent.clone());
        calls.spawn(async move {
            client
                .call::<typed::Echo>(&Context::default(), Some("h0"), &sent)
                .await
        });
    }
    while let Some(result) = calls.join_next().await {
        assert_eq!(result.unwrap().unwrap(), sent);
    }
}

pub async fn typed_casts_and_fanouts_reach_their_servers(url: &str) {
    let world = World::new(url);
    // Each server on a connection of its own, kept while it serves.
    let mut servers = Vec::new();
    for host in ["h0", "h1"] {
        let transport = world.transport().await;
        let seen = (host.to_string(), world.log.clone());
        let server = Router::<typed::Notes, _>::new(Arc::new(seen))
            .route::<typed::Note, _, _>(|seen, _, text| async move {
                let (host, log) = &*seen;
                log.0
                    .lock()
                    .unwrap()
                    .push((host.clone(), "note".into(), text));
                Ok(())
            })
            .route::<typed::Shout, _, _>(|seen, _, text| async move {
                let (host, log) = &*seen;
                log.0
                    .lock()
                    .unwrap()
                    .push((host.clone(), "shout".into(), text));
                Ok(())
            })
            .serve(&transport, host)
            .await
            .unwrap();
        servers.push((transport, server));
    }
    let client = Client::<typed::Notes>::new(world.transport().await, Duration::from_secs(10));
    client
        .cast::<typed::Note>(&Context::default(), Some("h1"), &"for h1".to_string())
        .await
        .unwrap();
    client
        .fanout::<typed::Shout>(&Context::default(), &"for all".to_string())
        .await
        .unwrap();
    world
        .log
        .wait_for(Duration::from_secs(10), |log| log.len() == 3)
        .await;
    let mut entries = world.log.entries();
    entries.sort();
    assert_eq!(
        entries,
        [
            ("h0".into(), "shout".into(), "for all".into()),
            ("h1".into(), "note".into(), "for h1".into()),
            ("h1".into(), "shout".into(), "for all".into()),
        ]
    );
}

pub async fn typed_unknown_methods_are_refused_by_name(url: &str) {
    let world = World::new(url);
    let transport = world.transport().await;
    let _server = Router::<typed::Partial, ()>::new(Arc::new(()))
        .route::<typed::Served, _, _>(|_, _, ()| async move { Ok(()) })
        .serve(&transport, "h0")
        .await
        .unwrap();
    let client = Client::<typed::Partial>::new(world.transport().await, Duration::from_secs(10));
    client
        .call::<typed::Served>(&Context::default(), None, &())
        .await
        .unwrap();
    let err = client
        .call::<typed::Unserved>(&Context::default(), None, &())
        .await
        .unwrap_err();
    let remote = err.remote().expect("a remote error");
    assert_eq!(remote.kind, "UnknownMethod");
    assert_eq!(
        remote.message,
        "conformance-typed-partial has no method \"unserved\"; it serves served"
    );
    // A payload that is not the method's request is refused, not guessed at.
    let garbled = Request {
        method: "served".into(),
        context: None,
        payload: vec![0xff, 0xff, 0xff],
        message_id: uuid::Uuid::new_v4().to_string(),
    };
    let err = world
        .transport()
        .await
        .call(
            &Target::topic("conformance-typed-partial"),
            garbled,
            Duration::from_secs(10),
        )
        .await
        .unwrap_err();
    assert_eq!(err.remote().expect("a remote error").kind, "Invalid");
}

pub async fn typed_calls_wait_as_long_as_their_method_says(url: &str) {
    let world = World::new(url);
    let transport = world.transport().await;
    let slow = |_, _, n: u32| async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        Ok(n)
    };
    let _server = Router::<typed::Timed, ()>::new(Arc::new(()))
        .route::<typed::Patient, _, _>(slow)
        .route::<typed::Hasty, _, _>(slow)
        .serve(&transport, "h0")
        .await
        .unwrap();
    // The client's default is too short for a second's work; Patient's own is not.
    let client = Client::<typed::Timed>::new(world.transport().await, Duration::from_millis(300));
    assert!(matches!(
        client
            .call::<typed::Hasty>(&Context::default(), None, &1)
            .await,
        Err(RpcError::Timeout { .. })
    ));
    assert_eq!(
        client
            .call::<typed::Patient>(&Context::default(), None, &2)
            .await
            .unwrap(),
        2
    );
}

pub async fn notifications_reach_a_listener(url: &str) {
    let world = World::new(url);
    let transport = world.transport().await;
    let mut stream = transport.listen(Priority::Info).await.unwrap();
    // Drain what earlier runs left on the shared queue.
    while tokio::time::timeout(Duration::from_millis(100), stream.next())
        .await
        .is_ok()
    {}
    let sent = Notification::new(
        "identity.test",
        &format!("identity.project.created.{}", world.topic),
        Priority::Info,
        serde_json::json!({"resource_info": "p1"}),
    );
    transport.notify(&sent).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let n = stream.next().await.expect("stream open");
            if n.message_id == sent.message_id {
                return n;
            }
        }
    })
    .await
    .expect("notification delivered");
    assert_eq!(got, sent);
}

/// Casts `count` messages, one every `pace`, while `disrupt` runs; every confirmed
/// cast must be handled. Returns how many casts were confirmed when `disrupt` finished.
pub async fn confirmed_casts_survive(
    url: &str,
    count: usize,
    pace: Duration,
    disrupt: impl std::future::Future<Output = ()>,
) -> usize {
    let world = World::new(url);
    let (_server_transport, _server) = world.server("h0").await;
    let client = world.transport().await;
    let confirmed = Arc::new(Mutex::new(HashSet::new()));
    let sender = {
        let (client, confirmed) = (client.clone(), confirmed.clone());
        let requests: Vec<_> = (0..count).map(|_| world.request("echo", b"")).collect();
        let target = Target::topic(&world.topic);
        tokio::spawn(async move {
            let mut failures = HashMap::new();
            for request in requests {
                let id = request.message_id.clone();
                tokio::time::sleep(pace).await;
                match client.cast(&target, request).await {
                    Ok(()) => {
                        confirmed.lock().unwrap().insert(id);
                    }
                    Err(e) => *failures.entry(e.to_string()).or_insert(0) += 1,
                }
            }
            failures
        })
    };
    disrupt.await;
    let confirmed_when_disrupted = confirmed.lock().unwrap().len();
    let failures = sender.await.unwrap();
    let confirmed = confirmed.lock().unwrap().clone();
    assert_eq!(confirmed.len(), count, "unconfirmed casts: {failures:?}");
    world
        .log
        .wait_for(Duration::from_secs(60), |log| {
            let handled: HashSet<_> = log.iter().map(|(_, _, id)| id).collect();
            confirmed.iter().all(|id| handled.contains(id))
        })
        .await;
    // The same connections still serve calls: nobody restarted anything.
    let reply = client
        .call(
            &Target::topic(&world.topic),
            world.request("whoami", b""),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    assert_eq!(&reply[..], b"h0");
    confirmed_when_disrupted
}
