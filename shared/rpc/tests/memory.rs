//! The conformance suite on `memory://`.

mod conformance;

fn url() -> String {
    format!("memory://{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn competing_consumers_each_message_once() {
    conformance::competing_consumers_each_message_once(&url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directed_message_reaches_only_its_host() {
    conformance::directed_message_reaches_only_its_host(&url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_reaches_every_server() {
    conformance::fanout_reaches_every_server(&url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_to_nobody_times_out() {
    conformance::call_to_nobody_times_out(&url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_error_reaches_the_caller() {
    conformance::handler_error_reaches_the_caller(&url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_call_round_trips() {
    conformance::typed_call_round_trips(&url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_reach_a_listener() {
    conformance::notifications_reach_a_listener(&url()).await;
}

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
