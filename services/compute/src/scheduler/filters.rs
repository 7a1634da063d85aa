//! Choosing a host as Nova's filter scheduler does: hosts that cannot take the
//! server are filtered out (compute enabled and up, availability zone, forced
//! host, free VCPU/RAM/disk under the allocation ratios, aggregate extra specs,
//! same/different host, server-group affinity and anti-affinity), and the rest
//! are weighed (free RAM to spread or pack, soft group policies). Pure: the
//! caller loads the hosts and records the claims.

use std::collections::{BTreeMap, BTreeSet};

/// A compute host as the scheduler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct HostState {
    pub host: String,
    pub node: String,
    pub zone: String,
    /// Enabled, heartbeats fresh and not forced down.
    pub usable: bool,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub local_gb: i64,
    /// What allocations already hold here.
    pub used_vcpus: i64,
    pub used_memory_mb: i64,
    pub used_disk_gb: i64,
    /// Servers allocated here.
    pub instances: i64,
    /// The metadata of the host's aggregates, each key with every value.
    pub aggregate_metadata: BTreeMap<String, BTreeSet<String>>,
}

/// Overcommit and reservations (Nova's `*_allocation_ratio`, `reserved_host_*`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capacity {
    pub cpu_ratio: f64,
    pub ram_ratio: f64,
    pub disk_ratio: f64,
    pub reserved_cpus: i64,
    pub reserved_memory_mb: i64,
    pub reserved_disk_gb: i64,
    /// Positive spreads servers by free RAM, negative packs them.
    pub ram_weight_multiplier: f64,
}

/// A server-group policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupPolicy {
    Affinity,
    AntiAffinity,
    SoftAffinity,
    SoftAntiAffinity,
}

impl GroupPolicy {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "affinity" => GroupPolicy::Affinity,
            "anti-affinity" => GroupPolicy::AntiAffinity,
            "soft-affinity" => GroupPolicy::SoftAffinity,
            "soft-anti-affinity" => GroupPolicy::SoftAntiAffinity,
            _ => return None,
        })
    }
}

/// A server's group: its policy and how many members each host already has.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub policy: GroupPolicy,
    pub members_per_host: BTreeMap<String, i64>,
    /// anti-affinity's `max_server_per_host` rule (2.64); 1 by default.
    pub max_per_host: i64,
}

/// What one server needs of a host.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Want {
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    /// The zone asked for.
    pub zone: Option<String>,
    /// `az:host`.
    pub force_host: Option<String>,
    /// `same_host`: the hosts of those servers; the server must share one.
    pub same_hosts: Option<BTreeSet<String>>,
    /// `different_host`: hosts the server must avoid.
    pub different_hosts: BTreeSet<String>,
    /// Flavor extra specs `aggregate_instance_extra_specs:<key>` (and unscoped
    /// keys) that the host's aggregates must carry.
    pub aggregate_specs: BTreeMap<String, String>,
    pub group: Option<Group>,
}

impl HostState {
    fn free(&self, capacity: &Capacity) -> (f64, f64, f64) {
        (
            (self.vcpus - capacity.reserved_cpus) as f64 * capacity.cpu_ratio
                - self.used_vcpus as f64,
            (self.memory_mb - capacity.reserved_memory_mb) as f64 * capacity.ram_ratio
                - self.used_memory_mb as f64,
            (self.local_gb - capacity.reserved_disk_gb) as f64 * capacity.disk_ratio
                - self.used_disk_gb as f64,
        )
    }

    /// Whether every filter passes this host for `want`.
    pub fn passes(&self, want: &Want, capacity: &Capacity) -> bool {
        if !self.usable {
            return false;
        }
        if let Some(zone) = &want.zone {
            if !self.zone.split(',').any(|z| z == zone) {
                return false;
            }
        }
        if want.force_host.as_ref().is_some_and(|h| *h != self.host) {
            return false;
        }
        let (cpu, ram, disk) = self.free(capacity);
        if cpu < want.vcpus as f64 || ram < want.memory_mb as f64 || disk < want.disk_gb as f64 {
            return false;
        }
        if want
            .same_hosts
            .as_ref()
            .is_some_and(|hosts| !hosts.contains(&self.host))
            || want.different_hosts.contains(&self.host)
        {
            return false;
        }
        let aggregates_match = want.aggregate_specs.iter().all(|(key, value)| {
            self.aggregate_metadata
                .get(key)
                .is_some_and(|values| values.contains(value))
        });
        if !aggregates_match {
            return false;
        }
        match &want.group {
            Some(group) => self.group_allows(group),
            None => true,
        }
    }

    fn group_allows(&self, group: &Group) -> bool {
        let here = group.members_per_host.get(&self.host).copied().unwrap_or(0);
        match group.policy {
            GroupPolicy::Affinity => {
                let placed = group.members_per_host.values().any(|n| *n > 0);
                !placed || here > 0
            }
            GroupPolicy::AntiAffinity => here < group.max_per_host.max(1),
            GroupPolicy::SoftAffinity | GroupPolicy::SoftAntiAffinity => true,
        }
    }

    /// Higher is better: free RAM (scaled by the multiplier), then soft group
    /// policies, which outweigh it.
    pub fn weight(&self, want: &Want, capacity: &Capacity) -> f64 {
        let (_, ram, _) = self.free(capacity);
        let total = (self.memory_mb as f64 * capacity.ram_ratio).max(1.0);
        let mut weight = capacity.ram_weight_multiplier * ram / total;
        if let Some(group) = &want.group {
            let here = group.members_per_host.get(&self.host).copied().unwrap_or(0) as f64;
            match group.policy {
                GroupPolicy::SoftAffinity => weight += 10.0 * here,
                GroupPolicy::SoftAntiAffinity => weight -= 10.0 * here,
                _ => {}
            }
        }
        weight
    }

    /// Records a server placed here.
    pub fn consume(&mut self, want: &Want) {
        self.used_vcpus += want.vcpus;
        self.used_memory_mb += want.memory_mb;
        self.used_disk_gb += want.disk_gb;
        self.instances += 1;
    }
}

/// The best host for `want`, or `None` when every host is filtered out. Ties
/// go to the host named first, so results are stable.
pub fn choose(hosts: &[HostState], want: &Want, capacity: &Capacity) -> Option<usize> {
    hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| h.passes(want, capacity))
        .map(|(i, h)| (i, h.weight(want, capacity)))
        .fold(None, |best: Option<(usize, f64)>, (i, w)| match best {
            Some((_, bw)) if bw >= w => best,
            _ => Some((i, w)),
        })
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPACITY: Capacity = Capacity {
        cpu_ratio: 4.0,
        ram_ratio: 1.0,
        disk_ratio: 1.0,
        reserved_cpus: 0,
        reserved_memory_mb: 512,
        reserved_disk_gb: 0,
        ram_weight_multiplier: 1.0,
    };

    fn host(name: &str, memory_mb: i64) -> HostState {
        HostState {
            host: name.into(),
            node: name.into(),
            zone: "nova".into(),
            usable: true,
            vcpus: 2,
            memory_mb,
            local_gb: 10,
            used_vcpus: 0,
            used_memory_mb: 0,
            used_disk_gb: 0,
            instances: 0,
            aggregate_metadata: BTreeMap::new(),
        }
    }

    fn want(memory_mb: i64) -> Want {
        Want {
            vcpus: 1,
            memory_mb,
            disk_gb: 1,
            ..Want::default()
        }
    }

    #[test]
    fn spreads_by_free_ram_and_packs_with_a_negative_multiplier() {
        let hosts = [host("a", 2048), host("b", 4096)];
        assert_eq!(choose(&hosts, &want(256), &CAPACITY), Some(1));
        let pack = Capacity {
            ram_weight_multiplier: -1.0,
            ..CAPACITY
        };
        assert_eq!(choose(&hosts, &want(256), &pack), Some(0));
    }

    #[test]
    fn resources_are_filtered_under_the_ratios() {
        let mut full = host("a", 1024);
        // 512 reserved: 512 left.
        assert!(full.passes(&want(512), &CAPACITY));
        assert!(!full.passes(&want(513), &CAPACITY));
        // 2 vCPUs at 4.0 take eight one-vCPU servers.
        for _ in 0..8 {
            assert!(full.passes(&want(0), &CAPACITY));
            full.consume(&want(0));
        }
        assert!(!full.passes(&want(0), &CAPACITY));
    }

    #[test]
    fn zones_forced_hosts_and_unusable_hosts() {
        let mut hosts = [host("a", 4096), host("b", 2048)];
        hosts[1].zone = "edge".into();
        let mut w = want(256);
        w.zone = Some("edge".into());
        assert_eq!(choose(&hosts, &w, &CAPACITY), Some(1));
        hosts[1].usable = false;
        assert_eq!(choose(&hosts, &w, &CAPACITY), None);
        let mut forced = want(256);
        forced.force_host = Some("b".into());
        hosts[1].usable = true;
        assert_eq!(choose(&hosts, &forced, &CAPACITY), Some(1));
    }

    #[test]
    fn same_and_different_host_hints() {
        let hosts = [host("a", 2048), host("b", 4096)];
        let mut w = want(256);
        w.same_hosts = Some(["a".to_string()].into());
        assert_eq!(choose(&hosts, &w, &CAPACITY), Some(0));
        let mut w = want(256);
        w.different_hosts = ["b".to_string()].into();
        assert_eq!(choose(&hosts, &w, &CAPACITY), Some(0));
    }

    #[test]
    fn aggregate_extra_specs_must_match() {
        let mut hosts = [host("a", 2048), host("b", 4096)];
        hosts[0]
            .aggregate_metadata
            .insert("ssd".into(), ["true".to_string()].into());
        let mut w = want(256);
        w.aggregate_specs.insert("ssd".into(), "true".into());
        assert_eq!(choose(&hosts, &w, &CAPACITY), Some(0));
    }

    #[test]
    fn group_policies() {
        let hosts = [host("a", 2048), host("b", 4096)];
        let group = |policy, on_a| Group {
            policy,
            members_per_host: [("a".to_string(), on_a)].into(),
            max_per_host: 1,
        };
        let mut w = want(256);
        w.group = Some(group(GroupPolicy::Affinity, 1));
        assert_eq!(choose(&hosts, &w, &CAPACITY), Some(0));
        w.group = Some(group(GroupPolicy::AntiAffinity, 1));
        assert_eq!(choose(&[hosts[0].clone()], &w, &CAPACITY), None);
        w.group = Some(group(GroupPolicy::SoftAffinity, 1));
        assert_eq!(choose(&hosts, &w, &CAPACITY), Some(0));
        w.group = Some(group(GroupPolicy::SoftAntiAffinity, 1));
        assert_eq!(choose(&[hosts[0].clone()], &w, &CAPACITY), Some(0));
    }
}
