//! `make bench`: how long the scheduler takes to place a volume among 1,000
//! backends (filters and weigher over their reported capabilities).

use std::time::Instant;

use ferrostack_block_storage::rpc::messages::{Capabilities, VolumeSpec};
use ferrostack_block_storage::scheduler::select;

fn main() {
    let backends: Vec<Capabilities> = (0..1000)
        .map(|i| Capabilities {
            host: format!("node{}@backend{}", i / 4, i % 4),
            volume_backend_name: format!("pool{}", i % 10),
            availability_zone: if i % 3 == 0 {
                "az2".into()
            } else {
                "nova".into()
            },
            total_capacity_gb: 10_000.0,
            free_capacity_gb: ((i * 7919) % 10_000) as f64,
            reported_at: 1_000,
            ..Capabilities::default()
        })
        .collect();
    let mut spec = VolumeSpec {
        size_gb: 100,
        availability_zone: "nova".into(),
        ..VolumeSpec::default()
    };
    spec.extra_specs
        .insert("volume_backend_name".into(), "pool3".into());
    let rounds = 20_000;
    let started = Instant::now();
    let mut placed = 0;
    for _ in 0..rounds {
        if select(backends.iter(), &spec, 1_010, 60).is_some() {
            placed += 1;
        }
    }
    let per = started.elapsed() / rounds;
    println!(
        "scheduler: {} backends, {placed}/{rounds} placed, {:.1} us per decision",
        backends.len(),
        per.as_secs_f64() * 1e6
    );
}
