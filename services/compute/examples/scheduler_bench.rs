//! `make bench`: how long the scheduler takes to place a server among 1,000
//! compute hosts — hosts, usage and aggregates read inside the claim lock,
//! filters and weigher, the allocation written — on SQLite, as the
//! all-in-one runs it. Prints p50 and p99 over 1,000 decisions.

use std::time::Instant;

use ferrostack_compute::config::ComputeConfig;
use ferrostack_compute::db::entity::compute_node;
use ferrostack_compute::rpc::messages::{FlavorSpec, RequestSpec};
use ferrostack_compute::scheduler::Scheduler;
use ferrostack_config::Config;
use sea_orm::{ActiveValue::Set, EntityTrait};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("ferro-scheduler-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut config = Config::default();
    config.set("DEFAULT", "state_path", dir.display().to_string());
    let cfg = ComputeConfig::from_config(&config)?;
    let db = ferrostack_db::connect(&cfg.database).await?;
    ferrostack_db::migrate::<ferrostack_compute::db::Migrator>(&db).await?;
    let hosts = 1000;
    let now = chrono::Utc::now().naive_utc();
    for chunk in (0..hosts).collect::<Vec<_>>().chunks(200) {
        compute_node::Entity::insert_many(chunk.iter().map(|i| compute_node::ActiveModel {
            uuid: Set(uuid::Uuid::new_v4().to_string()),
            host: Set(format!("fake-{i}")),
            hypervisor_hostname: Set(format!("fake-{i}")),
            hypervisor_type: Set("fake".into()),
            hypervisor_version: Set(1000),
            host_ip: Set("127.0.0.1".into()),
            vcpus: Set(64),
            memory_mb: Set(262_144),
            local_gb: Set(4096),
            vcpus_used: Set(0),
            memory_mb_used: Set(0),
            local_gb_used: Set(0),
            running_vms: Set(0),
            cpu_info: Set("{}".into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec(&db)
        .await?;
        for i in chunk {
            ferrostack_db::service_registry::heartbeat(
                &db,
                &format!("fake-{i}"),
                "nova-compute",
                "nova",
            )
            .await?;
        }
    }
    let scheduler = Scheduler::new(db, cfg);
    let mut times = Vec::new();
    for _ in 0..1000 {
        let spec = RequestSpec {
            project_id: "bench".into(),
            flavor: Some(FlavorSpec {
                vcpus: 1,
                memory_mb: 512,
                root_gb: 1,
                ..FlavorSpec::default()
            }),
            instance_uuids: vec![uuid::Uuid::new_v4().to_string()],
            ..RequestSpec::default()
        };
        let started = Instant::now();
        scheduler
            .select_destinations(spec)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        times.push(started.elapsed());
    }
    times.sort();
    let ms = |i: usize| times[i].as_secs_f64() * 1e3;
    println!(
        "scheduler: {hosts} hosts, 1000 servers placed one by one: p50 {:.2} ms, p99 {:.2} ms per decision",
        ms(times.len() / 2),
        ms(times.len() * 99 / 100)
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
