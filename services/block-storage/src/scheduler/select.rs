//! Cinder's filter scheduler, reduced to what the backends report: drop backends
//! whose report is stale, that an admin disabled, in another availability zone, whose capabilities do
//! not satisfy the volume type's extra specs (CapabilitiesFilter, which also
//! covers `volume_backend_name`), or without room (CapacityFilter, thin
//! provisioning included); then take the one with the most free capacity.

use std::collections::HashMap;

use crate::rpc::messages::{Capabilities, VolumeSpec};

use super::extra_specs;

/// What a volume asks of a backend, read once from its spec.
pub struct Demand<'a> {
    zone: &'a str,
    disabled: &'a [String],
    extra_specs: &'a HashMap<String, String>,
    size_gb: f64,
    /// Thin unless the type says `provisioning:type` is something else.
    thin: bool,
}

impl<'a> Demand<'a> {
    pub fn of(spec: &'a VolumeSpec) -> Self {
        Demand {
            zone: &spec.availability_zone,
            disabled: &spec.disabled_hosts,
            extra_specs: &spec.extra_specs,
            size_gb: spec.size_gb as f64,
            thin: spec
                .extra_specs
                .get("provisioning:type")
                .is_none_or(|kind| kind == "thin"),
        }
    }

    /// Cinder's CapacityFilter: room beyond the reserved share; on a thin
    /// backend, provisioning stays within `max_over_subscription_ratio` times
    /// the total and free space counts that many times over.
    fn has_room(&self, c: &Capabilities) -> bool {
        if c.total_capacity_gb <= 0.0 {
            return false;
        }
        let reserved = (c.total_capacity_gb * f64::from(c.reserved_percentage) / 100.0).floor();
        let free = c.free_capacity_gb - reserved;
        let ratio = c.max_over_subscription_ratio;
        if self.thin && c.thin_provisioning_support && ratio >= 1.0 {
            (c.provisioned_capacity_gb + self.size_gb) / c.total_capacity_gb <= ratio
                && free * ratio >= self.size_gb
        } else {
            free >= self.size_gb
        }
    }

    /// Whether backend `c` suits it at `now` (reports older than `down_after`
    /// seconds do not), with room for it when `need_room`.
    pub fn suits(&self, c: &Capabilities, now: i64, down_after: i64, need_room: bool) -> bool {
        now - c.reported_at <= down_after
            && !self.disabled.contains(&c.host)
            && (self.zone.is_empty() || c.availability_zone == self.zone)
            && extra_specs::satisfied(c, self.extra_specs)
            && (!need_room || self.has_room(c))
    }
}

/// The backend for `spec` among `backends`, reports older than `down_after`
/// seconds at `now` excluded.
pub fn select<'a>(
    backends: impl Iterator<Item = &'a Capabilities>,
    spec: &VolumeSpec,
    now: i64,
    down_after: i64,
) -> Option<&'a Capabilities> {
    let demand = Demand::of(spec);
    backends
        .filter(|c| demand.suits(c, now, down_after, true))
        .max_by(|a, b| {
            a.free_capacity_gb
                .total_cmp(&b.free_capacity_gb)
                .then_with(|| b.host.cmp(&a.host))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(host: &str, name: &str, zone: &str, free: f64, at: i64) -> Capabilities {
        Capabilities {
            host: host.into(),
            volume_backend_name: name.into(),
            availability_zone: zone.into(),
            free_capacity_gb: free,
            total_capacity_gb: 100.0,
            reported_at: at,
            ..Capabilities::default()
        }
    }

    #[test]
    fn filters_then_weighs_by_free_capacity() {
        let backends = [
            backend("h@a", "gold", "nova", 50.0, 100),
            backend("h@b", "silver", "nova", 80.0, 100),
            backend("h@c", "silver", "other", 90.0, 100),
            backend("h@d", "silver", "nova", 95.0, 10),
        ];
        let mut spec = VolumeSpec {
            size_gb: 10,
            availability_zone: "nova".into(),
            ..VolumeSpec::default()
        };
        let pick =
            |spec: &VolumeSpec| select(backends.iter(), spec, 120, 60).map(|c| c.host.as_str());
        assert_eq!(pick(&spec), Some("h@b"));
        spec.disabled_hosts = vec!["h@b".into()];
        assert_eq!(
            pick(&spec),
            Some("h@a"),
            "a disabled backend takes nothing new"
        );
        spec.disabled_hosts.clear();
        spec.extra_specs
            .insert("volume_backend_name".into(), "gold".into());
        assert_eq!(pick(&spec), Some("h@a"));
        spec.size_gb = 60;
        assert_eq!(pick(&spec), None);
        spec.extra_specs.clear();
        spec.availability_zone.clear();
        assert_eq!(pick(&spec), Some("h@c"));
        // Any extra spec the backends do not report rules them all out.
        spec.extra_specs.insert("tier".into(), "gold".into());
        assert_eq!(pick(&spec), None);
    }

    #[test]
    fn thin_backends_over_subscribe_up_to_their_ratio() {
        let mut thin = backend("h@thin", "thin", "nova", 10.0, 100);
        thin.thin_provisioning_support = true;
        thin.max_over_subscription_ratio = 20.0;
        thin.provisioned_capacity_gb = 1900.0;
        let fits = |c: &Capabilities, size_gb: i64, extra: &[(&str, &str)]| {
            let spec = VolumeSpec {
                size_gb,
                extra_specs: extra
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..VolumeSpec::default()
            };
            select([c].into_iter(), &spec, 120, 60).is_some()
        };
        // 10 GiB free counts as 200 thin; 1900 + 100 of 100 × 20 is the limit.
        assert!(fits(&thin, 100, &[]));
        assert!(!fits(&thin, 101, &[]), "past the over-subscription ratio");
        // A thick volume needs the room itself.
        assert!(fits(&thin, 10, &[("provisioning:type", "thick")]));
        assert!(!fits(&thin, 11, &[("provisioning:type", "thick")]));
        // Free space counts after the reserved share.
        thin.provisioned_capacity_gb = 0.0;
        thin.reserved_percentage = 5;
        assert!(fits(&thin, 100, &[]));
        assert!(!fits(&thin, 101, &[]), "5 GiB free times 20");
        // A ratio under 1 (an old backend's report) means thick.
        thin.max_over_subscription_ratio = 0.0;
        assert!(fits(&thin, 5, &[]));
        assert!(!fits(&thin, 6, &[]));
        // A backend that reports no total takes nothing.
        thin.total_capacity_gb = 0.0;
        assert!(!fits(&thin, 1, &[]));
    }
}
