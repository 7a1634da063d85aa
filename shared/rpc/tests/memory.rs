//! The conformance suite on `memory://`.

mod conformance;

fn url() -> String {
    format!("memory://{}", uuid::Uuid::new_v4().simple())
}

conformance_tests!(url());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn casts_are_all_handled() {
    assert!(
        conformance::confirmed_casts_survive(&url(), 1000, std::time::Duration::ZERO, async {})
            .await
            <= 1000
    );
}

#[tokio::test]
async fn unknown_scheme_is_refused() {
    let err = ferrostack_rpc::connect("kafka://x", Default::default())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("unsupported scheme"), "{err}");
}

/// Counts handlers running at once; each holds until released.
struct Gate {
    running: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
    release: tokio::sync::Notify,
}

#[async_trait::async_trait]
impl ferrostack_rpc::Handler for Gate {
    async fn handle(
        &self,
        _request: ferrostack_rpc::Request,
    ) -> Result<bytes::Bytes, ferrostack_rpc::RemoteError> {
        use std::sync::atomic::Ordering;
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        self.release.notified().await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        Ok(bytes::Bytes::new())
    }
}

/// The in-process bus is bounded: a server runs at most `prefetch` handlers at
/// once, and a queue holds at most its capacity, after which a sender waits and
/// then fails instead of piling messages up in memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_bus_is_bounded() {
    use std::sync::atomic::Ordering;
    use std::time::Duration;
    let options = ferrostack_rpc::TransportOptions {
        prefetch: 4,
        send_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let bus = ferrostack_rpc::connect(&url(), options).await.unwrap();
    let gate = std::sync::Arc::new(Gate {
        running: Default::default(),
        most: Default::default(),
        release: tokio::sync::Notify::new(),
    });
    let _server = bus.serve("bounded", "h", gate.clone()).await.unwrap();
    let target = ferrostack_rpc::Target::topic("bounded");
    let request = || ferrostack_rpc::Request {
        method: "hold".into(),
        message_id: uuid::Uuid::new_v4().to_string(),
        ..Default::default()
    };
    for _ in 0..20 {
        bus.cast(&target, request()).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(gate.most.load(Ordering::SeqCst), 4);
    // Fill the queue: the first refusal comes at its capacity, not before.
    let capacity = ferrostack_rpc::MEMORY_QUEUE_CAPACITY;
    let mut accepted = 20;
    let err = loop {
        match bus.cast(&target, request()).await {
            Ok(()) => accepted += 1,
            Err(err) => break err,
        }
        assert!(accepted <= capacity + 10, "the queue never filled");
    };
    assert!(err.to_string().contains("stayed full"), "{err}");
    assert!(accepted >= capacity, "refused at {accepted}");
    assert_eq!(gate.most.load(Ordering::SeqCst), 4);
}
