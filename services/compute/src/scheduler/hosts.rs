//! The scheduler's view of the cloud, read inside its claim: every compute
//! host with its capacity, what allocations hold there, its zone and its
//! aggregates' metadata; and what a request's servers want.

use std::collections::{BTreeMap, BTreeSet};

use ferrostack_db::service_registry;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::filters::{Group, GroupPolicy, HostState, Want};
use crate::agent::BINARY as COMPUTE;
use crate::config::ComputeConfig;
use crate::db::entity::{allocation, compute_node, instance, service_record};
use crate::domain::aggregates::load_aggregates;
use crate::domain::Result;
use crate::rpc::messages::RequestSpec;

/// The scope of flavor extra specs the aggregate filter reads.
const AGGREGATE_SCOPE: &str = "aggregate_instance_extra_specs:";

/// Every compute host that has reported its node.
pub async fn load<C: ConnectionTrait>(db: &C, cfg: &ComputeConfig) -> Result<Vec<HostState>> {
    let services: BTreeMap<String, service_registry::ServiceState> =
        service_registry::list(db, cfg.service_down_time)
            .await?
            .into_iter()
            .filter(|s| s.binary == COMPUTE)
            .map(|s| (s.host.clone(), s))
            .collect();
    let forced_down: BTreeSet<String> = service_record::Entity::find()
        .filter(service_record::Column::Binary.eq(COMPUTE))
        .filter(service_record::Column::ForcedDown.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.host)
        .collect();
    let aggregates = load_aggregates(db).await?;
    let mut used: BTreeMap<String, (i64, i64, i64, i64)> = BTreeMap::new();
    let allocations: Vec<(String, i64, i64, i64)> = allocation::Entity::find()
        .select_only()
        .column(allocation::Column::Host)
        .column(allocation::Column::Vcpu)
        .column(allocation::Column::MemoryMb)
        .column(allocation::Column::DiskGb)
        .into_tuple()
        .all(db)
        .await?;
    for (host, vcpu, memory, disk) in allocations {
        let u = used.entry(host).or_default();
        *u = (u.0 + vcpu, u.1 + memory, u.2 + disk, u.3 + 1);
    }
    let nodes = compute_node::Entity::find().all(db).await?;
    Ok(nodes
        .into_iter()
        .map(|node| {
            let service = services.get(&node.host);
            let mut metadata: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            let mut zones = BTreeSet::new();
            for aggregate in aggregates.iter().filter(|a| a.hosts.contains(&node.host)) {
                for (key, value) in &aggregate.metadata {
                    metadata
                        .entry(key.clone())
                        .or_default()
                        .insert(value.clone());
                }
                zones.extend(aggregate.availability_zone().map(str::to_string));
            }
            let zone = if zones.is_empty() {
                cfg.default_zone.clone()
            } else {
                zones.into_iter().collect::<Vec<_>>().join(",")
            };
            let (vcpu, memory, disk, count) = used.get(&node.host).copied().unwrap_or_default();
            HostState {
                usable: service.is_some_and(|s| s.up && !s.disabled)
                    && !forced_down.contains(&node.host),
                zone,
                vcpus: node.vcpus,
                memory_mb: node.memory_mb,
                local_gb: node.local_gb,
                used_vcpus: vcpu,
                used_memory_mb: memory,
                used_disk_gb: disk,
                instances: count,
                aggregate_metadata: metadata,
                node: node.hypervisor_hostname,
                host: node.host,
            }
        })
        .collect())
}

/// Sets what `host` holds to what its allocations in the database say.
pub async fn refresh_usage<C: ConnectionTrait>(db: &C, host: &mut HostState) -> Result<()> {
    let rows: Vec<(i64, i64, i64)> = allocation::Entity::find()
        .select_only()
        .column(allocation::Column::Vcpu)
        .column(allocation::Column::MemoryMb)
        .column(allocation::Column::DiskGb)
        .filter(allocation::Column::Host.eq(host.host.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    host.used_vcpus = rows.iter().map(|r| r.0).sum();
    host.used_memory_mb = rows.iter().map(|r| r.1).sum();
    host.used_disk_gb = rows.iter().map(|r| r.2).sum();
    host.instances = rows.len() as i64;
    Ok(())
}

/// The hosts the servers `uuids` are on.
async fn hosts_of<C: ConnectionTrait>(db: &C, uuids: &[String]) -> Result<BTreeSet<String>> {
    if uuids.is_empty() {
        return Ok(BTreeSet::new());
    }
    Ok(instance::Entity::find()
        .filter(instance::Column::Uuid.is_in(uuids.iter().cloned()))
        .filter(instance::Column::Deleted.eq(false))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|i| i.host)
        .collect())
}

/// What each server of `spec` wants of a host.
pub async fn want<C: ConnectionTrait>(db: &C, spec: &RequestSpec) -> Result<Want> {
    let flavor = spec.flavor.clone().unwrap_or_default();
    let aggregate_specs = flavor
        .extra_specs
        .iter()
        .filter_map(|(key, value)| {
            let key = key.strip_prefix(AGGREGATE_SCOPE)?;
            Some((key.to_string(), value.clone()))
        })
        .collect();
    let group = GroupPolicy::parse(&spec.group_policy).map(|policy| {
        let mut members_per_host: BTreeMap<String, i64> = BTreeMap::new();
        for host in &spec.group_hosts {
            *members_per_host.entry(host.clone()).or_default() += 1;
        }
        Group {
            policy,
            members_per_host,
            max_per_host: spec.group_max_server_per_host,
        }
    });
    Ok(Want {
        vcpus: flavor.vcpus,
        memory_mb: flavor.memory_mb,
        disk_gb: flavor.root_gb + flavor.ephemeral_gb + (flavor.swap + 1023) / 1024,
        zone: (!spec.availability_zone.is_empty()).then(|| spec.availability_zone.clone()),
        force_host: (!spec.force_host.is_empty()).then(|| spec.force_host.clone()),
        same_hosts: if spec.same_host.is_empty() {
            None
        } else {
            Some(hosts_of(db, &spec.same_host).await?)
        },
        different_hosts: hosts_of(db, &spec.different_host).await?,
        aggregate_specs,
        group,
    })
}
