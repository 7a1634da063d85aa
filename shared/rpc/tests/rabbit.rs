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

async fn rabbitmqctl(args: &[&str]) {
    let command = std::env::var("FERRO_TEST_RABBITMQCTL")
        .expect("FERRO_TEST_RABBITMQCTL is not set: run `make backends` (or `make test`)");
    let mut words = command.split_whitespace();
    let status = tokio::process::Command::new(words.next().unwrap())
        .args(words)
        .args(args)
        .status()
        .await
        .unwrap();
    assert!(status.success(), "rabbitmqctl {args:?} failed");
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
