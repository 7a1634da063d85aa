//! The conformance suite on RabbitMQ. `make test` starts a broker and sets
//! `FERRO_TEST_RABBIT_URL` (and `FERRO_TEST_RABBITMQCTL`, the command that controls
//! that broker); without them these tests fail rather than skip.

mod conformance;

use std::time::Duration;

fn url() -> String {
    std::env::var("FERRO_TEST_RABBIT_URL")
        .expect("FERRO_TEST_RABBIT_URL is not set: run `make backends` (or `make test`)")
}

conformance_tests!(url());

async fn rabbitmqctl(args: &[&str]) -> String {
    let command = std::env::var("FERRO_TEST_RABBITMQCTL")
        .expect("FERRO_TEST_RABBITMQCTL is not set: run `make backends` (or `make test`)");
    let mut words = command.split_whitespace();
    let output = tokio::process::Command::new(words.next().unwrap())
        .args(words)
        .args(args)
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "rabbitmqctl {args:?} failed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A cast whose handler is still running when the server's connection dies is
/// delivered again by the broker (it was never acknowledged); the server joins
/// the run under way instead of running the handler a second time. In a virtual
/// host of its own, whose connections the test closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_cast_does_not_run_twice() {
    let vhost = format!("ferro-redeliver-{}", uuid::Uuid::new_v4().simple());
    rabbitmqctl(&["add_vhost", &vhost]).await;
    rabbitmqctl(&["set_permissions", "-p", &vhost, "guest", ".*", ".*", ".*"]).await;
    let base = url();
    let base = base.trim_end_matches('/');
    let root = &base[..base.rfind('/').unwrap()];
    let world = conformance::World::new(&format!("{root}/{vhost}"));
    let (_server_transport, _server) = world.server("h1").await;
    let client = world.transport().await;
    client
        .cast(
            &ferrostack_rpc::Target::topic(&world.topic),
            world.request("very_slow", b""),
        )
        .await
        .unwrap();
    world
        .log
        .wait_for(Duration::from_secs(10), |log| !log.is_empty())
        .await;
    rabbitmqctl(&["close_all_connections", "-p", &vhost, "redelivery test"]).await;
    // Settled: the redelivered message was acknowledged by the reconnected server.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let queues = rabbitmqctl(&["list_queues", "-p", &vhost, "name", "messages"]).await;
        let pending = queues
            .lines()
            .find(|l| l.starts_with(&format!("{}\t", world.topic)))
            .and_then(|l| l.split('\t').nth(1))
            .and_then(|n| n.trim().parse::<u32>().ok());
        if pending == Some(0) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never settled: {queues}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let runs = world
        .log
        .entries()
        .iter()
        .filter(|(_, method, _)| method == "very_slow")
        .count();
    rabbitmqctl(&["delete_vhost", &vhost]).await;
    assert_eq!(runs, 1, "the handler ran again for the redelivery");
}

/// The broker's application stops and starts again while 1,000 casts are sent:
/// every confirmed cast is handled, and the same clients and servers carry on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_during_casts() {
    // Paced (10 ms apart, >= 10 s in all) so that the restart, which takes a few
    // seconds of rabbitmqctl, lands in the middle of the casts.
    let pace = Duration::from_millis(10);
    let confirmed_during_outage = conformance::confirmed_casts_survive(&url(), 1000, pace, async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        rabbitmqctl(&["stop_app"]).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        rabbitmqctl(&["start_app"]).await;
    })
    .await;
    assert!(
        confirmed_during_outage < 1000,
        "the casts finished before the broker restarted; the test proved nothing"
    );
}

#[tokio::test]
async fn bad_url_is_refused() {
    let err = ferrostack_rpc::connect("rabbit://u:p@host:port/", Default::default())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("bad port"), "{err}");
}
