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
