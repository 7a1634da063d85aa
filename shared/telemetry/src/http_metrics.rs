use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often recorded histogram samples are folded into their buckets.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(1);

fn recorder() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets(LATENCY_BUCKETS)
                .ok()?
                .install_recorder()
                .ok()?;
            // Histograms queue every sample until upkeep folds them into buckets;
            // `install_recorder` leaves that to us, and without it memory grows
            // with each request until someone scrapes `/metrics`.
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(UPKEEP_INTERVAL);
                    upkeep.run_upkeep();
                })
                .ok()?;
            Some(handle)
        })
        .as_ref()
}

/// Counts one HTTP request by service, route template and status, and records its
/// latency in a histogram.
pub fn record_request(
    service: &'static str,
    method: &str,
    route: &str,
    status: u16,
    elapsed: Duration,
) {
    if recorder().is_none() {
        return;
    }
    let labels = [
        ("service", service.to_string()),
        ("method", method.to_string()),
        ("route", route.to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!(
        "http_request_duration_seconds",
        &[
            ("service", service.to_string()),
            ("route", route.to_string())
        ]
    )
    .record(elapsed.as_secs_f64());
}

/// The Prometheus text exposition of everything recorded in this process.
pub fn render_metrics() -> String {
    recorder().map(PrometheusHandle::render).unwrap_or_default()
}
