//! Cinder's filter scheduler, reduced to what the backends report: drop backends
//! whose report is stale, that an admin disabled, in another availability zone, whose capabilities do
//! not satisfy the volume type's extra specs (CapabilitiesFilter, which also
//! covers `volume_backend_name`), or without room; then take the one with the
//! most free capacity.

use std::collections::HashMap;

use crate::rpc::messages::{Capabilities, VolumeSpec};

use super::extra_specs;

/// What a volume asks of a backend, read once from its spec.
pub struct Demand<'a> {
    zone: &'a str,
    disabled: &'a [String],
    extra_specs: &'a HashMap<String, String>,
    size_gb: f64,
}

impl<'a> Demand<'a> {
    pub fn of(spec: &'a VolumeSpec) -> Self {
        Demand {
            zone: &spec.availability_zone,
            disabled: &spec.disabled_hosts,
            extra_specs: &spec.extra_specs,
            size_gb: spec.size_gb as f64,
        }
    }

    /// Whether backend `c` suits it at `now` (reports older than `down_after`
    /// seconds do not), with room for it when `need_room`.
    pub fn suits(&self, c: &Capabilities, now: i64, down_after: i64, need_room: bool) -> bool {
        now - c.reported_at <= down_after
            && !self.disabled.contains(&c.host)
            && (self.zone.is_empty() || c.availability_zone == self.zone)
            && extra_specs::satisfied(c, self.extra_specs)
            && (!need_room || c.free_capacity_gb >= self.size_gb)
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
}
